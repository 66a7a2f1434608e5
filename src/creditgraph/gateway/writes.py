"""A mutation's writes and its audit entry commit together: the gateway's side.

The gateway runs every mutation inside a unit of work (`WriteUnit`): its own
open transaction on one connection, and a hold, a random name for the
request. The unit is lent to the transports for the mutation's fetches
(`lending`), as the request id is: the in-process transport hands the
connection to the subgraph, so its write runs inside the gateway's
transaction; the HTTP transport puts the hold in the subgraph's credential,
and the subgraph leaves its write pending as a prepared transaction named
after the hold (subgraphs/writing.py has that side).

Then, in the same transaction, the gateway finds the request's pending writes
(`pending`), records its decision to commit them (`decide`, into
gateway.write_decisions) and appends the audit entry. If that transaction
commits, the pending writes are committed after it (`finish`); if it fails,
they are rolled back, and the client is told nothing was done, which is then
true. A crash between the two leaves a decided write pending: `settle`, run
before each mutation, commits what was decided and rolls back what was not,
once it is older than any request could still be running. Decisions are kept
for an hour after their write is finished, so a gateway that comes back late
to a write `settle` rolled back finds it decided, and its own transaction (and
the audit entry claiming the write) fails instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import asyncpg

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.subgraphs.context import OneConnection
from creditgraph.subgraphs.credential import LIFETIME_SECONDS
from creditgraph.subgraphs.writing import GID_PREFIX, hold_prefix

SQL = load_queries(Path(__file__).with_name("writes.sql"))

STALE_SECONDS: Final = 2 * LIFETIME_SECONDS
"""A pending write this old belongs to a request that is over: a hold's credential has expired."""

KEEP_DECISIONS_SECONDS: Final = 3600.0
"""How long a decision outlives its write, for a gateway that comes back to it late."""

_GID: Final = re.compile(re.escape(GID_PREFIX) + r"[0-9a-f]{32}\.[0-9]+")

Outcome = Literal["COMMIT", "ROLLBACK"]


@dataclass(frozen=True, slots=True)
class WriteUnit:
    """One mutation's unit of work: the gateway's open transaction and the request's hold.

    `lent` is the transaction's connection as the in-process subgraphs use it: every
    fetch of the mutation reads and writes there, one statement at a time, so none
    waits for a second connection of the pool while the gateway holds this one.
    """

    connection: DatabaseConnection
    hold: str
    lent: OneConnection = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lent", OneConnection(connection=self.connection))

    @property
    def prefix(self) -> str:
        """What the id of every write pending under this hold starts with."""
        return hold_prefix(self.hold)


_LENT: ContextVar[WriteUnit | None] = ContextVar("creditgraph_write_unit", default=None)


@contextmanager
def lending(unit: WriteUnit) -> Iterator[None]:
    """Lend `unit` to every subgraph fetch made in this block (and the tasks it starts)."""
    token = _LENT.set(unit)
    try:
        yield
    finally:
        _LENT.reset(token)


def lent() -> WriteUnit | None:
    """The unit a transport's fetch may write in, None outside a mutation."""
    return _LENT.get()


async def pending(conn: DatabaseConnection, unit: WriteUnit) -> list[str]:
    """The ids of the writes subgraphs left pending under `unit`'s hold."""
    return [row["gid"] for row in await conn.fetch(SQL["pending"], unit.prefix)]


async def decide(conn: DatabaseConnection, gids: list[str]) -> None:
    """Record the decision to commit `gids`, inside the transaction that appends the audit entry."""
    if gids:
        await conn.execute(SQL["decide"], gids, "COMMIT")


async def finish(conn: DatabaseConnection, gids: list[str], outcome: Outcome) -> None:
    """Commit or roll back pending writes (their decision is kept: see `settle`)."""
    for gid in gids:
        # COMMIT/ROLLBACK PREPARED take no bound parameter; the id is checked against the one
        # shape our writes prepare under (letters, hex digits, a number) before it is quoted
        if not _GID.fullmatch(gid):
            raise ValueError(f"not a pending write of ours: {gid!r}")
        await conn.execute(f"{outcome} prepared '{gid}'")
    if outcome == "COMMIT" and gids:
        # the live notices the writes could not send themselves (subgraphs/writing.py)
        await conn.execute(SQL["send_live_notices"], gids)


async def settle(conn: DatabaseConnection, older_than: float = STALE_SECONDS) -> None:
    """Finish writes a crash left pending: decided ones committed, the rest rolled back.

    Only writes older than `older_than` seconds are touched, so a request still
    between its subgraph's write and its audit entry is left alone; and whoever
    writes a decision first wins, so a gateway that comes back to such a write
    late finds it decided and fails its own transaction instead of contradicting it.
    """
    for row in await conn.fetch(SQL["stale"], GID_PREFIX, float(older_than)):
        gid: str = row["gid"]
        await conn.execute(SQL["decide_if_undecided"], gid)
        outcome = await conn.fetchval(SQL["decision"], gid)
        try:
            await finish(conn, [gid], "COMMIT" if outcome == "COMMIT" else "ROLLBACK")
        except asyncpg.UndefinedObjectError:
            continue  # another gateway finished it first
    await conn.execute(SQL["forget"], KEEP_DECISIONS_SECONDS)
