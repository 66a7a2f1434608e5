"""The gateway's real ASGI app over the seeded database, for tests that speak HTTP to it.

The app is the one `creditgraph up` serves (`server.build_app`), with the
edition policy and a token verifier under a private home unless told to serve
plain; requests go through httpx's ASGI transport on the test's own event
loop, so the database pool is shared without a socket in between. `listening`
serves the same app with uvicorn on a socket on 127.0.0.1, for tests that want
the whole HTTP path.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from starlette.types import ASGIApp

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_demo_token, mint_furnisher_token
from creditgraph.config import Config
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.persisted_queries import PersistedQueries
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Role
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.server import build_app
from creditgraph.settings import LIMIT_VARIABLES, OperationLimits
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

NO_ENV: dict[str, str] = {}
# for tests about answers to operations of any size; the limits have tests of their own
UNLIMITED = OperationLimits(**dict.fromkeys(LIMIT_VARIABLES, 10**9))
UNLIMITED_ENV = dict.fromkeys(LIMIT_VARIABLES.values(), str(10**9))


def in_process_gateway(pool: asyncpg.Pool) -> Gateway:
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    return Gateway(supergraph, InProcessTransport(schemas, pool))


@asynccontextmanager
async def serving(
    gateway: Gateway,
    pool: asyncpg.Pool,
    home: Path,
    *,
    policy: bool = True,
    queries: PersistedQueries | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app serving `gateway`: under the policy, or plain."""
    access = _guarded(gateway, pool, home) if policy else None
    app = build_app(gateway, pool=pool, access=access, queries=queries)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def _guarded(gateway: Gateway, pool: asyncpg.Pool, home: Path) -> Access:
    verifier = TokenVerifier.from_settings(home, NO_ENV)
    return Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), pool))


def furnishing_access(gateway: Gateway, pool: asyncpg.Pool, home: Path) -> Access:
    """The policy with furnishers' tokens accepted too, as `creditgraph up` serves it."""
    return Access(
        TokenVerifier.from_settings(home, NO_ENV),
        PolicyGateway(gateway, Policy.load(policy_path()), pool),
        TokenVerifier.from_settings(home, NO_ENV, furnishing=True),
    )


def furnisher(home: Path, institution: str, operator: str = "uploader") -> dict[str, str]:
    """The headers of `institution`'s furnishing token, signed under `home`."""
    token = mint_furnisher_token(home, institution, operator, env=NO_ENV)
    return {"authorization": f"Bearer {token}"}


@asynccontextmanager
async def listening(
    gateway: Gateway, pool: asyncpg.Pool, home: Path, config: Config | None = None
) -> AsyncIterator[str]:
    """The app under the policy, served by uvicorn on 127.0.0.1: its GraphQL URL.

    `config`: the configuration the app's HTTP layer reads (the defaults when not given)."""
    app = build_app(gateway, pool=pool, access=_guarded(gateway, pool, home), config=config)
    async with uvicorn_serving(app) as url:
        yield f"{url}/graphql"


@asynccontextmanager
async def listening_in_process(pool: asyncpg.Pool, home: Path) -> AsyncIterator[str]:
    """creditgraph's own gateway, its subgraphs in this process, served under the policy as
    `listening` serves it: its GraphQL URL; the gateway is closed after."""
    gateway = in_process_gateway(pool)
    try:
        async with listening(gateway, pool, home) as url:
            yield url
    finally:
        await gateway.aclose()


@asynccontextmanager
async def uvicorn_serving(app: ASGIApp) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1, on this event loop: its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                serving.result()  # the server's own error, if it failed to start
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


def bearer(
    home: Path,
    role: Role,
    identifier: str,
    operator: str | None = None,
    representative: str | None = None,
) -> dict[str, str]:
    token = mint_demo_token(
        home, role, identifier, operator, env=NO_ENV, representative=representative
    )
    return {"authorization": f"Bearer {token}"}
