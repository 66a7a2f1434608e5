"""The gateway's HTTP application.

- `POST /graphql` and `GET /graphql` serve the graph (GraphQL over HTTP, see
  gateway/http.py);
- `GET /healthz` answers as long as the process is up;
- `GET /readyz` answers 200 only when the database and every subgraph do, and
  503 naming what is down otherwise, so a load balancer stops sending traffic
  to a replica that lost one (observability/readiness.py);
- `GET /metrics` serves the app's metrics to Prometheus (observability/metrics.py);
- `GET /` is GraphiQL when `creditgraph up` serves the app (graphiql/), `GET /portal` the
  subject's portal (portal/) and `GET /live` its live channel (live/);
- `POST /furnish` takes a furnisher's batch upload (furnishing/http.py) when the app serves
  creditgraph's own graph under its policy.

Every request gets a request id and one JSON log line (observability/request_log.py);
browser apps on the origins the configuration allows may call it (middleware/cors.py), and
`/graphql` answers are compressed for clients that accept it (middleware/compression.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from creditgraph.config import SCHEMA, Config
from creditgraph.furnishing.http import furnishing_routes
from creditgraph.gateway import Gateway
from creditgraph.gateway.http import handle
from creditgraph.gateway.persisted_queries import PersistedQueries, load_persisted_queries
from creditgraph.gateway.stages.pipeline import Access, Pipeline
from creditgraph.middleware.authentication import Authentication
from creditgraph.middleware.compression import Compression, CompressionPolicy
from creditgraph.middleware.cors import Cors, CorsPolicy
from creditgraph.observability import Metrics, Readiness, RequestLog, Subgraphs


def build_app(
    gateway: Gateway | None,
    *,
    pool: asyncpg.Pool | None = None,
    access: Access | None = None,
    metrics: Metrics | None = None,
    subgraphs: Subgraphs | None = None,
    queries: PersistedQueries | None = None,
    pages: Sequence[BaseRoute] = (),
    config: Config | None = None,
) -> Starlette:
    """The probes and metrics, and `/graphql` when there is a gateway to serve.

    `metrics` is the registry the gateway's `MeteredTransport` records fetches in
    (a fresh one when not given); `subgraphs` says how `/readyz` reaches each of
    the gateway's subgraphs (when not given, it checks only the database);
    `queries` is the persisted-query store and mode (when not given, APQ with
    creditgraph's trusted operations known by hash, any operation accepted);
    `pages` are routes for people rather than clients (GraphiQL at `/`); `config` is the
    configuration the HTTP layer reads its sections from (the defaults when not given).
    """
    config = config or SCHEMA.defaults()
    metrics = metrics or Metrics()
    readiness = Readiness(pool, subgraphs or Subgraphs())

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        report = await readiness.check()
        return JSONResponse(report.body, status_code=200 if report.ready else 503)

    async def scrape(request: Request) -> Response:
        body, content_type = metrics.exposition(request.headers.get("accept", ""))
        return Response(body, headers={"content-type": content_type})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", scrape),
    ]
    if gateway is not None:
        served, persisted = gateway, queries or load_persisted_queries()
        metrics.watch_caches(served, persisted)
        # the stages every request passes: the edition policy's, or the open ones without it
        pipeline = Pipeline.open(served) if access is None else access.pipeline()

        async def graphql(request: Request) -> Response:
            return await handle(served, request, persisted, pipeline)

        # the first stage, authenticate, wraps the route: the probes and pages never need it
        authenticate = [Middleware(Authentication, authenticator=pipeline.authenticate)]
        routes.append(
            Route(
                "/graphql",
                metrics.measured(graphql),
                methods=["GET", "POST"],
                middleware=authenticate,
            )
        )
    if access is not None and access.furnishing is not None and pool is not None:
        routes.extend(furnishing_routes(pool, access.pipeline()))
    routes.extend(pages)
    return Starlette(routes=routes, middleware=http_middleware(config))


def http_middleware(config: Config) -> list[Middleware]:
    """The middleware around every route, outermost first: each request logged (preflights
    and refusals included), then CORS, then compression."""
    stack = [Middleware(RequestLog)]
    cors = CorsPolicy.from_config(config)
    if cors is not None:
        stack.append(Middleware(Cors, policy=cors))
    compression = CompressionPolicy.from_config(config)
    if compression is not None:
        stack.append(Middleware(Compression, policy=compression))
    return stack
