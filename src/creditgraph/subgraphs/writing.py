"""The transaction a subgraph's write runs in: the gateway's, so it commits with its record.

A mutation's write and the gateway's audit entry for the request commit
together or not at all. The gateway lends every mutation it sends a unit of
work, and a subgraph writes only inside one:

* In process, the unit is the gateway's own open transaction: the write runs
  on the gateway's connection, in a savepoint (so a refused field undoes its
  own statements and nothing else), and commits when the gateway commits its
  audit entry in the same transaction.
* Over HTTP the gateway's credential carries a hold: a random name for this
  request. Each write runs in a transaction of the subgraph's own, which ends
  in PostgreSQL's `PREPARE TRANSACTION` instead of a commit, under a
  transaction id naming the hold (`GID_PREFIX` + hold + `.` + a number). The
  write is then pending: durable, its locks held, visible to no one. The
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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from graphql import GraphQLError

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
    """The id of the `number`th write prepared under `hold`."""
    return f"{hold_prefix(hold)}{number}"


@asynccontextmanager
async def write(context: SubgraphContext) -> AsyncIterator[DatabaseConnection]:
    """A connection in a transaction that commits only with the gateway's audit entry."""
    if context.connection is not None:
        async with context.connection.transaction():
            yield context.connection
        return
    hold = context.hold
    if hold is None or not HOLD_PATTERN.fullmatch(hold):
        raise GraphQLError(
            "a write must come through the gateway, which records it",
            extensions={"code": "UNAUTHENTICATED"},
        )
    gid = transaction_id(hold, context.next_write())
    async with context.pool.acquire() as conn:
        # PREPARE TRANSACTION takes no bound parameter: the id is built from a hold that
        # matched HOLD_PATTERN (hex digits) and a number, so nothing else can reach the SQL
        await conn.execute("begin")
        try:
            await conn.execute(SQL["name_the_write"], gid)
            yield conn
        except BaseException:
            await conn.execute("rollback")
            raise
        await conn.execute(f"prepare transaction '{gid}'")
