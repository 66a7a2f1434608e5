"""Group commit of the request record: concurrent requests share one transaction, the chain
stays whole, and a record that cannot be written fails its own request and no other."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from creditgraph.access import audit
from creditgraph.access.recording import GroupCommit, Record
from creditgraph.db.connect import create_pool
from creditgraph.seed.personas import WESTLAKE_BANK
from creditgraph.settings import DatabaseLimits


def _record(n: int, *, inquiries: tuple[tuple[object, ...], ...] = ()) -> Record:
    entry = audit.AuditEntry(
        request_id=f"req-{n}",
        role="BANK",
        requester=WESTLAKE_BANK.code,
        operator="loan officer 7",
        operation="Underwriting",
        subjects=("110101199003074514",),
        fields=("Subject.name",),
        decision="ALLOWED",
        detail={"n": n},
    )
    return Record(entry, inquiries)


async def _bank(pool: asyncpg.Pool) -> int:
    bank_id: int = await pool.fetchval(
        "insert into gateway.requesters (role, identifier, name)"
        " values ('BANK', $1, 'a bank') returning id",
        WESTLAKE_BANK.code,
    )
    return bank_id


def _look(requester_id: int) -> tuple[object, ...]:
    return (
        "110101199003074514",
        requester_id,
        "loan officer 7",
        "POST_LOAN_MANAGEMENT",
        "BANK",
        None,
        None,
        None,
    )


async def test_concurrent_records_share_one_transaction_and_one_chain(
    migrated_pool: asyncpg.Pool,
) -> None:
    recorder = GroupCommit(migrated_pool)
    bank = await _bank(migrated_pool)
    count = 50
    seqs = await asyncio.gather(
        *(recorder.record(_record(n, inquiries=(_look(bank),))) for n in range(count))
    )
    assert sorted(seqs) == list(range(1, count + 1))
    # the records that queued together were written in one transaction: one clock reading
    moments = await migrated_pool.fetchval(
        "select count(distinct occurred_at) from gateway.audit_log"
    )
    assert moments < count
    assert await migrated_pool.fetchval("select count(*) from gateway.inquiries") == count
    assert await audit.verify(migrated_pool) == audit.Verification(
        checked=count, ok=True, first_broken=None, reason=None
    )
    # and the next group extends the same chain
    assert await recorder.record(_record(count)) == count + 1
    assert (await audit.verify(migrated_pool)).ok


async def test_a_returned_record_is_already_committed(migrated_pool: asyncpg.Pool) -> None:
    recorder = GroupCommit(migrated_pool)
    seq = await recorder.record(_record(1))
    # read on another connection: what `record` returned for is there for anyone to see
    async with migrated_pool.acquire() as other:
        stored = await other.fetchval(
            "select request_id from gateway.audit_log where seq = $1", seq
        )
    assert stored == "req-1"


async def test_a_refused_record_fails_its_own_request_only(migrated_pool: asyncpg.Pool) -> None:
    recorder = GroupCommit(migrated_pool)
    bank = await _bank(migrated_pool)
    nobody = bank + 1000  # no such requester: the database refuses the look
    outcomes = await asyncio.gather(
        *(
            recorder.record(_record(n, inquiries=(_look(nobody if n == 3 else bank),)))
            for n in range(6)
        ),
        return_exceptions=True,
    )
    assert isinstance(outcomes[3], asyncpg.ForeignKeyViolationError)
    assert all(isinstance(seq, int) for n, seq in enumerate(outcomes) if n != 3)
    stored = await migrated_pool.fetch("select request_id from gateway.audit_log order by seq")
    assert [row["request_id"] for row in stored] == [f"req-{n}" for n in range(6) if n != 3]
    assert await migrated_pool.fetchval("select count(*) from gateway.inquiries") == 5
    assert (await audit.verify(migrated_pool)).ok


async def test_an_outage_fails_every_request_of_the_group(database_url: str) -> None:
    """The chain's table locked past the lock timeout: every waiting request fails, nothing is
    written, and the recorder works again once the lock is gone."""
    pool = await create_pool(database_url, limits=DatabaseLimits(lock=0.2))
    blocker = await asyncpg.connect(database_url)
    try:
        recorder = GroupCommit(pool)
        async with blocker.transaction():
            await blocker.execute("lock table gateway.audit_log in access exclusive mode")
            outcomes = await asyncio.gather(
                *(recorder.record(_record(n)) for n in range(5)), return_exceptions=True
            )
        assert all(isinstance(item, asyncpg.LockNotAvailableError) for item in outcomes)
        assert await pool.fetchval("select count(*) from gateway.audit_log") == 0
        assert await recorder.record(_record(9)) == 1
    finally:
        await blocker.close()
        await pool.close()


@pytest.mark.parametrize("size", [1, 7])
async def test_groups_are_bounded(migrated_pool: asyncpg.Pool, size: int) -> None:
    recorder = GroupCommit(migrated_pool, max_group=size)
    await asyncio.gather(*(recorder.record(_record(n)) for n in range(20)))
    groups = await migrated_pool.fetch(
        "select count(*) as n from gateway.audit_log group by occurred_at"
    )
    assert max(row["n"] for row in groups) <= size
    assert sum(row["n"] for row in groups) == 20
    assert (await audit.verify(migrated_pool)).ok
