"""The transaction a subgraph's write runs in: the gateway's, so it commits with its record.

A mutation's write and the gateway's audit entry for the request commit
together or not at all. The gateway lends every mutation it sends a unit of
work, and a subgraph writes only inside one:

* In process, the unit is the gateway's own open transaction: the write runs
  on the gateway's connection, in a savepoint (so a refused field undoes its
  own statements and nothing else), and commits when the gateway commits its
  audit entry in the same transaction.
* Over HTTP the gateway's credential carries a hold: a random name for this
  request. The request's writes run in one transaction of the subgraph's own,
  each in a savepoint as in process, and the transaction ends, once the
  subgraph has answered the whole request (`held`), in PostgreSQL's
  `PREPARE TRANSACTION` instead of a commit, under a transaction id naming the
  hold (`GID_PREFIX` + hold + `.` + a random number, as each subgraph the
  mutation reaches prepares one under the same hold). One transaction a
  request, not one a write: a prepared write keeps its locks until the gateway
  decides it, so a second write of the same request taking the same lock (a
  subject's own file) would wait for the first, and the first for the
  request's end. The writes are then pending: durable, their locks held,
  visible to no one. The
  gateway finds the request's pending writes by that name, records its
  decision to commit them in the transaction that appends its audit entry,
  and commits them after (gateway/writes.py, which also settles writes a
  crash left pending). The database needs `max_prepared_transactions` above
  zero; the embedded PostgreSQL sets it. PostgreSQL prepares no transaction that has sent a
  NOTIFY, so the write names itself in `creditgraph.prepared_write` and the tables' live
  notices wait in an outbox, sent once the gateway has committed it (migration common/0006).

A write with neither is refused: whatever reaches a subgraph other than
through the gateway cannot write anything the audit log does not hold.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.credential import HOLD_PATTERN

SQL = load_queries(Path(__file__).with_name("writing.sql"))

GID_PREFIX: Final = "creditgraph:"
"""Every transaction id a pending write prepares under starts so; nothing else of ours does."""

"""The gateway's own connection (in process) or one of the subgraph's pool."""


def hold_prefix(hold: str) -> str:
    """What the id of every write prepared under `hold` starts with."""
    return f"{GID_PREFIX}{hold}."


def transaction_id(hold: str, number: int) -> str:
    """The id of a request's writes prepared under `hold`, told apart by `number`."""
    return f"{hold_prefix(hold)}{number}"


@dataclass(frozen=True, slots=True)
class Pending:
    """A request's open transaction over HTTP: its connection, taken from `pool`, and the id
    it will be prepared under."""

    pool: asyncpg.Pool
    connection: PoolConnectionProxy[asyncpg.Record]
    gid: str


@asynccontextmanager
async def write(context: SubgraphContext) -> AsyncIterator[DatabaseConnection]:
    """A connection in a transaction that commits only with the gateway's audit entry: one
    write, in a savepoint of the request's transaction, undone alone if it fails.

    It is the request's one connection (context.py), held alone for the write: the
    gateway's lent transaction in process, else the request's own, never a second one.
    """
    if context.db.lent:
        async with context.db.exclusive() as conn, conn.transaction():
            yield conn
        return
    hold = context.hold
    if hold is None or not HOLD_PATTERN.fullmatch(hold):
        raise GraphQLError(
            "a write must come through the gateway, which records it",
            extensions={"code": "UNAUTHENTICATED"},
        )
    async with context.db.exclusive() as conn:
        if context.pending is None:
            context.pending = await _begin(context, conn, hold)
        # a mutation's fields run one after another, so its writes' savepoints never overlap
        await conn.execute("savepoint creditgraph_write")
        try:
            yield conn
        except BaseException:
            await conn.execute("rollback to savepoint creditgraph_write")
            raise
        await conn.execute("release savepoint creditgraph_write")


async def _begin(context: SubgraphContext, conn: DatabaseConnection, hold: str) -> Pending:
    """The request's transaction, begun on its connection, named for its hold; the connection
    is kept for it past the operation's end, until `held` or `abandon` gives it back."""
    gid = transaction_id(hold, secrets.randbits(62))
    await conn.execute("begin")
    await conn.execute(SQL["name_the_write"], gid)
    pool, kept = context.db.keep()
    return Pending(pool, kept, gid)


async def held(context: SubgraphContext, result: ExecutionResult) -> ExecutionResult:
    """The request's answer once its writes are pending for the gateway (`result` as it is
    when it wrote nothing); if they cannot be prepared, none is kept and the answer is the
    one error saying so, so that no field claims a write the gateway will not find."""
    pending, context.pending = context.pending, None
    if pending is None:
        return result
    conn = pending.connection
    try:
        # PREPARE TRANSACTION takes no bound parameter: the id is built from a hold that
        # matched HOLD_PATTERN (hex digits) and a number, so nothing else can reach the SQL
        await conn.execute(f"prepare transaction '{pending.gid}'")
    except (asyncpg.PostgresError, OSError):
        with contextlib.suppress(asyncpg.PostgresError, OSError):
            await conn.execute("rollback")
        failed = GraphQLError(
            "the writes could not be held for the gateway; nothing was written",
            extensions={"code": "SUBGRAPH_UNAVAILABLE"},
        )
        return ExecutionResult(data=None, errors=[failed])
    finally:
        await pending.pool.release(conn)
    return result


async def abandon(context: SubgraphContext) -> None:
    """Undo the request's writes (its answer never left: the request failed or was cancelled)."""
    pending, context.pending = context.pending, None
    if pending is not None:
        try:
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await pending.connection.execute("rollback")
        finally:
            await pending.pool.release(pending.connection)
