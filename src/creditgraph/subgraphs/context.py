"""Per-request state of a subgraph: the database pool and the request's dataloaders.

aiodataloader binds the running event loop when a loader is built, and a
loader caches what it loaded, so loaders must never outlive a request. A
context is made for each request; its loaders are built lazily, one per
batch function, the first time a resolver asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Hashable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import asyncpg
import strawberry
from aiodataloader import DataLoader
from asyncpg.pool import PoolConnectionProxy
from graphql import GraphQLError

from creditgraph.requester import Requester, Role

if TYPE_CHECKING:
    from creditgraph.subgraphs.writing import Pending

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFunction: TypeAlias = Callable[[asyncpg.Pool, list[K]], Coroutine[Any, Any, list[V]]]


class SubgraphContext:
    """What every resolver of a subgraph gets as `info.context`."""

    __slots__ = (
        "_loaders",
        "connection",
        "history_months",
        "hold",
        "pending",
        "pool",
        "requester",
    )

    def __init__(
        self,
        pool: asyncpg.Pool,
        requester: Requester | None = None,
        *,
        connection: asyncpg.Connection | PoolConnectionProxy | None = None,
        hold: str | None = None,
    ) -> None:
        self.pool = pool
        # who the gateway attests is asking (in-process: the transport's requester; over HTTP:
        # the one its credential names), None for its own lookups: mutations act for them only
        self.requester = requester
        # where a write may go (writing.py): the gateway's open transaction when in process,
        # or over HTTP the hold its credential names; neither, and nothing may be written
        self.connection = connection
        self.hold = hold
        # over HTTP, the request's transaction its writes run in, once one has begun
        self.pending: Pending | None = None
        # the most months of history this request may show, when the gateway fetches under a
        # grant with a data period (its internal roots take `historyMonths`); None: no limit
        self.history_months: int | None = None
        self._loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    def acting_as(self, role: Role) -> Requester:
        """The requester a write acts for, who must hold `role`; refused otherwise.

        The gateway lets only the right role call each mutation (the policy's
        `[mutations]` table); a subgraph checks again, so a write reached some
        other way (no requester attested) fails closed.
        """
        if self.requester is None:
            raise GraphQLError("sign in first", extensions={"code": "UNAUTHENTICATED"})
        if self.requester.role != role:
            raise GraphQLError(
                f"only a {role.lower()} may do this", extensions={"code": "FORBIDDEN_FIELD"}
            )
        return self.requester

    def loader(self, batch: BatchFunction[K, V]) -> DataLoader[K, V]:
        found = self._loaders.get(batch)
        if found is None:
            found = DataLoader(partial(batch, self.pool))
            self._loaders[batch] = found
        return found


# what every resolver of a subgraph is handed, as its `info` argument
Info: TypeAlias = strawberry.Info[SubgraphContext, None]
