"""Per-request state of a subgraph: its database connection and its dataloaders.

aiodataloader binds the running event loop when a loader is built, and a
loader caches what it loaded, so loaders must never outlive a request. A
context is made for each request; its loaders are built lazily, one per
batch function, the first time a resolver asks for it.

A request reads (and writes) on one connection (`OneConnection`), taken from
the pool at its first statement and given back when its execution ends
(`GiveBackConnection`), instead of a pool acquire per statement: the acquire
and release cost about as much CPU as the statement. Its statements take
turns on it. A request never waits for a second connection of the pool while
it holds one, so requests cannot deadlock on the pool however many there are:
a mutation reads and writes on the connection the gateway lends it (its open
transaction, which it holds while the mutation runs), never on another of the
pool; over HTTP its writes take their turn on the request's own connection.
"""

from __future__ import annotations

from asyncio import Lock
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

import asyncpg
import strawberry
from aiodataloader import DataLoader
from asyncpg.pool import PoolConnectionProxy
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from creditgraph.requester import Requester, Role

if TYPE_CHECKING:
    from creditgraph.subgraphs.writing import Pending

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Statements(Protocol):
    """What a batch function runs its statement on: a request's one connection, or a pool
    (for the readers outside a request that use the same batch functions)."""

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]: ...


class RequestOver(RuntimeError):
    """A statement that would run on a lent connection after the request that borrowed it."""


class OneConnection:
    """One connection whose statements take turns: a subgraph request's, or one lent to it.

    Built on a pool, it takes a connection at its first statement and keeps it until
    `release`; built on a connection (the gateway's open transaction, lent to a
    mutation's fetches), it uses that one and never touches a pool, and each request
    borrows it through a view of its own (`for_request`) that shares its turns. Every
    user of one connection goes through the same turns, as asyncpg runs one statement
    at a time on a connection.

    A request can end with statements of its own still to run: graphql-core answers
    once a failure has nulled the whole answer, leaving the failed field's siblings
    running. `release` waits for the statement on the connection, then gives it back;
    a statement after that runs on a connection of its own from the pool, as it would
    have without this class, or, on a lent connection the lender has moved on with,
    is refused.
    """

    __slots__ = ("_connection", "_kept", "_lock", "_over", "_pool")

    def __init__(
        self,
        pool: asyncpg.Pool | None = None,
        connection: asyncpg.Connection | PoolConnectionProxy | None = None,
        *,
        turns: Lock | None = None,
    ) -> None:
        if pool is not None and connection is not None:
            raise ValueError("one connection comes from a pool or is lent, not both")
        self._pool = pool
        self._connection = connection
        self._lock = turns or Lock()
        self._over = False
        self._kept = False

    @property
    def lent(self) -> bool:
        """Whether the connection was lent (and is given back by whoever lent it)."""
        return self._pool is None

    def for_request(self) -> OneConnection:
        """A lent connection as one request borrows it: its turns shared, its end its own."""
        if self._connection is None or self._pool is not None:
            raise ValueError("only a lent connection is borrowed request by request")
        return OneConnection(connection=self._connection, turns=self._lock)

    async def _taken(self) -> asyncpg.Connection | PoolConnectionProxy:
        if self._over:
            raise RequestOver("the request that borrowed this connection is over")
        found = self._connection
        if found is None:
            if self._pool is None:  # a subgraph served from memory, with no database
                raise RuntimeError("this subgraph has no database to run a statement on")
            found = self._connection = await self._pool.acquire()
        return found

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """The statement's rows, run when the connection is free."""
        async with self._lock:
            if self._over and self._pool is not None:
                return await self._pool.fetch(query, *args)
            return await (await self._taken()).fetch(query, *args)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[asyncpg.Connection | PoolConnectionProxy]:
        """The connection alone for the block (a write's transaction), nothing else run on it."""
        async with self._lock:
            yield await self._taken()

    def keep(self) -> tuple[asyncpg.Pool, PoolConnectionProxy[asyncpg.Record]]:
        """The connection taken from the pool, kept past the request's end by whoever gives it
        back themselves (a transaction that outlives the operation: writing.py's `held`);
        `release` then leaves it. Called with the connection held (`exclusive`)."""
        taken, pool = self._connection, self._pool
        if not isinstance(taken, PoolConnectionProxy) or pool is None:
            raise ValueError("only a connection taken from the pool is kept")
        self._kept = True
        return pool, taken

    async def release(self) -> None:
        """The request is over: a connection taken from the pool goes back once its statement
        is done, unless it was kept; a lent one stays with its lender."""
        async with self._lock:
            self._over = True
            taken, pool = self._connection, self._pool
            self._connection = None if pool is not None else taken
            if isinstance(taken, PoolConnectionProxy) and pool is not None and not self._kept:
                await pool.release(taken)


BatchFunction: TypeAlias = Callable[[Statements, list[K]], Coroutine[Any, Any, list[V]]]
# a batch of dated records (subgraphs answer them to a requester within its data period):
# given the request's data period in months (None: none) before its keys
DatedBatchFunction: TypeAlias = Callable[
    [Statements, int | None, list[K]], Coroutine[Any, Any, list[V]]
]


class SubgraphContext:
    """What every resolver of a subgraph gets as `info.context`."""

    __slots__ = ("_loaders", "db", "history_months", "hold", "pending", "requester")

    def __init__(
        self,
        pool: asyncpg.Pool,
        requester: Requester | None = None,
        *,
        lent: OneConnection | None = None,
        hold: str | None = None,
    ) -> None:
        # where every statement of the request runs: the connection the gateway lent (its open
        # transaction, when in process a mutation's writes must commit with its audit entry),
        # else one of the pool's, taken at the first statement
        self.db = lent if lent is not None else OneConnection(pool)
        # who the gateway attests is asking (in-process: the transport's requester; over HTTP:
        # the one its credential names), None for its own lookups: mutations act for them only
        self.requester = requester
        # where a write may go (writing.py): the gateway's open transaction when in process
        # (`db` is lent), or over HTTP the hold its credential names; neither, and nothing
        # may be written
        self.hold = hold
        # over HTTP, the request's transaction its writes run in, once one has begun
        self.pending: Pending | None = None
        # the most months of history this request may show: the limit the gateway fetches
        # under (a grant's data period), carried with the requester whatever the fetch's shape;
        # None: no limit
        self.history_months = None if requester is None else requester.history_months
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
            found = DataLoader(partial(batch, self.db))
            self._loaders[batch] = found
        return found

    def dated(self, batch: DatedBatchFunction[K, V]) -> DataLoader[K, V]:
        """The loader of a kind of dated record, read under the request's data period.

        A record whose dated life ended before the period began (an account closed, a
        case concluded, a look made) is no record of a requester holding that period:
        its batch's statement leaves it out (common.in_period, the one place the period's
        start is computed), so every path to such records (a list, a count, a root or an
        entity by key) is bounded alike. None (the subject's own view, a mandate, the
        gateway's own lookups): every record, as before."""
        found = self._loaders.get(batch)
        if found is None:
            found = DataLoader(partial(batch, self.db, self.history_months))
            self._loaders[batch] = found
        return found


# what every resolver of a subgraph is handed, as its `info` argument
Info: TypeAlias = strawberry.Info[SubgraphContext, None]


class GiveBackConnection(SchemaExtension):
    """Every subgraph schema's: the request's connection goes back to the pool when its
    operation ends, however it ends, whoever executed it (a server, a transport, a test)."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            context = self.execution_context.context
            if isinstance(context, SubgraphContext):
                await context.db.release()
