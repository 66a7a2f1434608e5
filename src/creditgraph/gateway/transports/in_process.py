"""Subgraphs mounted in the gateway's own process: their schemas, executed directly.

No HTTP and no serialisation: the strawberry schema runs on the gateway's
event loop with a fresh `SubgraphContext` per call, exactly as one HTTP
request to the subgraph would get, so loaders are never shared between
calls. No internal credential is needed, as nothing crosses a process
boundary. A mutation's fetches run inside the gateway's transaction: the
context carries the connection of the unit the gateway lent (gateway/writes.py),
so what the subgraph writes commits with the request's audit entry, and what it
reads is read there too, never on a second connection of the pool the gateway
holds one of.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import strawberry

from creditgraph.gateway import writes
from creditgraph.gateway.transports._base import SubgraphUnavailable
from creditgraph.requester import Requester
from creditgraph.subgraphs.context import SubgraphContext


class InProcessTransport:
    def __init__(
        self,
        schemas: Mapping[str, strawberry.Schema],
        pool: asyncpg.Pool,
        requester: Requester | None = None,
    ) -> None:
        self._schemas = dict(schemas)
        self._pool = pool
        self._requester = requester

    def acting_for(self, requester: Requester | None) -> InProcessTransport:
        return InProcessTransport(self._schemas, self._pool, requester)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        schema = self._schemas.get(subgraph)
        if schema is None:
            raise SubgraphUnavailable(f"no subgraph named {subgraph!r} is mounted in this process")
        unit = writes.lent()
        context = SubgraphContext(
            self._pool, self._requester, lent=None if unit is None else unit.lent.for_request()
        )
        result = await schema.execute(document, variable_values=variables, context_value=context)
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [dict(error.formatted) for error in result.errors]
        return response

    async def aclose(self) -> None:
        """The pool belongs to whoever made it."""
