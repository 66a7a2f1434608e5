"""Every request's record, its inquiries and its audit entry, committed in groups.

The audit log is one hash chain, so its appends take turns (access/audit.py):
one transaction at a time holds the chain's lock, from reading the newest link
to its commit. Were each request to take its turn alone, the chain would
admit one request per lock round (a round trip and a commit) however
many requests and gateway replicas wait, and waiting requests would each hold
a pooled connection while they queue.

So a query's record goes through `GroupCommit`: while one group is being
written, the records that arrive queue; once it commits, everything queued is
written as the next group, in one transaction (one lock round, one commit for
all of them), sent as one statement: one round trip records the group, its
inquiries and its chained entries alike (audit.record). A record that
arrives while nothing is being written starts a group of one at once, so a
lone request waits for no timer. Throughput then grows with concurrency, as
groups grow, instead of stopping at one lock round.

It stays fail-closed: `record` returns only once the transaction holding the
record has committed, so a response leaves only after its entry is durable.
If a group's transaction fails for a reason that is the database's (an
outage, a lock held too long) every request it carried gets that error. If it
fails for any other reason (one record the database refuses), each record of
the group is written again alone, so only the request whose record cannot be
written fails.

A mutation does not go through the group: its audit entry must commit in the
very transaction that holds its writes (gateway/writes.py), so it calls
`write` in that transaction, and takes its turn at the chain's lock with the
groups.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import asyncpg

from creditgraph.access import audit
from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.faults import database_fault

MAX_GROUP: Final = 512
"""Records per transaction at most: bounds one transaction's size and its lock hold."""

Inquiry = tuple[object, ...]
"""One inquiry row, as `audit.record` takes it: subject, requester id, operator, purpose,
edition, grant id, mandate id, eligibility answer id."""


@dataclass(frozen=True, slots=True)
class Record:
    """What one request leaves behind: the looks it made, and its audit entry.

    `answers` are the eligibility answers it gave (`Answer.row`), written before the
    inquiries that name them."""

    entry: audit.AuditEntry
    inquiries: tuple[Inquiry, ...] = ()
    answers: tuple[tuple[object, ...], ...] = ()


async def write(conn: DatabaseConnection, records: Sequence[Record]) -> list[int]:
    """Write `records`; the seqs of their audit entries.

    One statement (audit.record): the answers and inquiries go in first, before the chain's
    lock is taken, so the lock is held only for the audit entries themselves. Inside the
    caller's transaction it commits with it; outside one it is its own transaction, durable
    when this returns, or nothing of it written when this raises.
    """
    return await audit.record(
        conn,
        [record.entry for record in records],
        answers=[row for record in records for row in record.answers],
        inquiries=[row for record in records for row in record.inquiries],
    )


@dataclass(frozen=True, slots=True)
class _Waiting:
    record: Record
    done: asyncio.Future[int]


class GroupCommit:
    """Records from concurrent requests written together, one transaction per group."""

    def __init__(self, pool: asyncpg.Pool, max_group: int = MAX_GROUP) -> None:
        self.pool = pool
        self.max_group = max_group
        self._queue: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, record: Record) -> int:
        """Write `record` durably (with others that arrive meanwhile); its audit entry's seq.

        Raises whatever kept it from being written; then nothing of it was.
        A caller cancelled while it waits leaves its record to be written all the same:
        the request happened, and is recorded.
        """
        waiting = _Waiting(record, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await asyncio.shield(waiting.done)

    async def _drain(self) -> None:
        # no await between the queue found empty and the writer forgotten, so a record
        # queued meanwhile always finds a writer running or starts one
        try:
            while self._queue:
                group = self._queue[: self.max_group]
                del self._queue[: self.max_group]
                await self._commit(group)
        finally:
            self._writer = None

    async def _commit(self, group: list[_Waiting]) -> None:
        try:
            seqs = await self._transaction([waiting.record for waiting in group])
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
            if database_fault(exc) is not None or len(group) == 1:
                _fail(group, exc)
                return
            # one record refused: find it by writing each alone
            for waiting in group:
                await self._commit([waiting])
            return
        except BaseException:
            # the writer itself was stopped (the loop is closing): its group fails closed
            _fail(group, audit.AuditLogError("recording was interrupted"))
            raise
        for waiting, seq in zip(group, seqs, strict=True):
            if not waiting.done.done():
                waiting.done.set_result(seq)

    async def _transaction(self, records: list[Record]) -> list[int]:
        # one statement outside a transaction block is a transaction of its own: no BEGIN
        # and no COMMIT to wait for, and its result arrives once it has committed
        async with self.pool.acquire() as conn:
            return await write(conn, records)


def _fail(group: list[_Waiting], exc: BaseException) -> None:
    for waiting in group:
        if not waiting.done.done():
            waiting.done.set_exception(exc)
