"""The gateway's HTTP application.

`POST /graphql` and `GET /graphql` serve the graph (GraphQL over HTTP, see
gateway/http.py); `/healthz` answers as long as the process is up; `/readyz`
answers 200 only when the database does (when there is one), so a load
balancer stops sending traffic to a replica that lost it.
"""

from __future__ import annotations

import asyncio

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from creditgraph.gateway import Gateway
from creditgraph.gateway.http import Access, handle

_READY_TIMEOUT = 2.0


def build_app(
    gateway: Gateway | None, *, pool: asyncpg.Pool | None = None, access: Access | None = None
) -> Starlette:
    """The probes, and `/graphql` when there is a gateway to serve."""

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        if pool is None:
            return JSONResponse({"status": "ready"})
        try:
            async with asyncio.timeout(_READY_TIMEOUT):
                await pool.fetchval("select 1")
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return JSONResponse(
                {"status": "unavailable", "database": type(exc).__name__}, status_code=503
            )
        return JSONResponse({"status": "ready", "database": "ok"})

    routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
    if gateway is not None:
        served = gateway

        async def graphql(request: Request) -> Response:
            return await handle(served, request, access)

        routes.append(Route("/graphql", graphql, methods=["GET", "POST"]))
    return Starlette(routes=routes)
