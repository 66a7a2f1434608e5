"""Running a subgraph's schema in-process, and counting the SQL it sends."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import strawberry

from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.subgraphs.context import SubgraphContext


async def execute(
    schema: strawberry.Schema,
    pool: asyncpg.Pool,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    requester: Requester | None = None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(data, errors as the client sees them) for one request with a fresh context, made on
    `requester`'s behalf when given (as the gateway's transport names it).

    The variables are copied, as decoding a request's JSON would: strawberry
    pops `__typename` out of each `_entities` representation it is given.
    """
    result = await schema.execute(
        query,
        variable_values=copy.deepcopy(variables),
        context_value=SubgraphContext(pool, requester),
    )
    return result.data, [dict(error.formatted) for error in result.errors or []]


async def data_of(
    schema: strawberry.Schema,
    pool: asyncpg.Pool,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    requester: Requester | None = None,
) -> dict[str, Any]:
    """The data of a request that must succeed."""
    data, errors = await execute(schema, pool, query, variables, requester=requester)
    assert not errors, errors
    assert data is not None
    return data


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [error.get("extensions", {}).get("code", "") for error in errors]


# asyncpg's own housekeeping, not queries of ours: the reset when a connection goes back
# to the pool, and the type introspection (with jit switched off around it) a connection
# runs the first time it meets a type, which depends on which connection a query lands on
_HOUSEKEEPING = ("SELECT pg_advisory_unlock_all();", "set_config('jit'", "pg_catalog.pg_type")


class StatementLog:
    """Every statement the pool's connections send for queries, in order."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, record: Any) -> None:
        if not any(marker in record.query for marker in _HOUSEKEEPING):
            self.statements.append(record.query)

    def clear(self) -> None:
        self.statements.clear()

    def __len__(self) -> int:
        return len(self.statements)


@asynccontextmanager
async def counting_pool(dsn: str) -> AsyncIterator[tuple[asyncpg.Pool, StatementLog]]:
    log = StatementLog()

    async def watch(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(log)

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, init=watch)
    assert pool is not None
    try:
        yield pool, log
    finally:
        await pool.close()


class Recorder:
    """The in-process transport, keeping every fetch the gateway sends a subgraph."""

    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner
        self.fetches: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        # the subgraph pops `__typename` from the representations it is given
        self.fetches.append((subgraph, document, copy.deepcopy(variables)))
        return await self.inner.send(subgraph, document, variables)

    def acting_for(self, requester: Requester | None) -> Recorder:
        return self

    async def aclose(self) -> None:
        return None
