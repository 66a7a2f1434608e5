"""The gateway's real ASGI app over the seeded database, for tests that speak HTTP to it.

The app is the one `creditgraph up` serves (`server.build_app`), with the
edition policy and a token verifier under a private home unless told to serve
plain; requests go through httpx's ASGI transport on the test's own event
loop, so the database pool is shared without a socket in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import Role, TokenVerifier, mint_demo_token
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.http import Access
from creditgraph.gateway.persisted_queries import PersistedQueries
from creditgraph.gateway.transports import InProcessTransport
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
    access = None
    if policy:
        verifier = TokenVerifier.from_settings(home, NO_ENV)
        access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), pool))
    app = build_app(gateway, pool=pool, access=access, queries=queries)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def bearer(home: Path, role: Role, identifier: str, operator: str | None = None) -> dict[str, str]:
    token = mint_demo_token(home, role, identifier, operator, env=NO_ENV)
    return {"authorization": f"Bearer {token}"}
