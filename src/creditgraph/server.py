"""The HTTP application.

For now it carries the two probes every deployment needs: `/healthz` answers
as long as the process is up; `/readyz` answers 200 only when the database
does, so a load balancer stops sending traffic to a replica that lost it.
"""

from __future__ import annotations

import asyncio

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_READY_TIMEOUT = 2.0


def build_app(pool: asyncpg.Pool) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(_READY_TIMEOUT):
                await pool.fetchval("select 1")
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return JSONResponse(
                {"status": "unavailable", "database": type(exc).__name__}, status_code=503
            )
        return JSONResponse({"status": "ready", "database": "ok"})

    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz)])
