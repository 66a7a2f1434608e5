"""The audit log: appends form one chain, the table refuses edits, and tampering is found.

Every test gets a database of its own (conftest's `database_url`), so the
tests that tamper with the log as a superuser change nothing another test sees.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import orjson
import pytest

from creditgraph.access import audit
from creditgraph.access.audit import GENESIS, AuditEntry, AuditLogError, append, verify
from tests.cli_helpers import assert_one_line_error, cli_env, run_cli


def _entry(n: int, *, detail: Mapping[str, object] | None = None) -> AuditEntry:
    return AuditEntry(
        request_id=f"req-{n}",
        role="BANK",
        requester="91110000100000000X",
        operator="loan officer 7",
        operation="Underwriting",
        subjects=("110101199003074514", "110101199104123429"),
        fields=("Subject.name", "Subject.accounts"),
        decision="ALLOWED",
        detail={"editions": {"110101199003074514": "BANK"}, "n": n} if detail is None else detail,
    )


async def _append_committed(conn: asyncpg.Connection, entry: AuditEntry) -> int:
    async with conn.transaction():
        return await append(conn, entry)


async def _fill(conn: asyncpg.Connection, count: int) -> list[int]:
    return [await _append_committed(conn, _entry(n)) for n in range(1, count + 1)]


async def _behind_the_triggers(conn: asyncpg.Connection, statement: str, *args: object) -> None:
    """Run `statement` as a superuser would to get past the append-only triggers."""
    async with conn.transaction():
        await conn.execute("set local session_replication_role = replica")
        await conn.execute(statement, *args)


# --- appending ------------------------------------------------------------


async def test_an_empty_log_is_intact(db: asyncpg.Connection) -> None:
    assert await verify(db) == audit.Verification(
        checked=0, ok=True, first_broken=None, reason=None
    )


async def test_appends_form_a_chain(db: asyncpg.Connection) -> None:
    assert await _fill(db, 5) == [1, 2, 3, 4, 5]
    rows = await db.fetch("select seq, prev_hash, hash from gateway.audit_log order by seq")
    assert rows[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
    assert await verify(db) == audit.Verification(
        checked=5, ok=True, first_broken=None, reason=None
    )


async def test_an_entry_is_stored_as_given(db: asyncpg.Connection) -> None:
    entry = _entry(1, detail={"amount": 0.1, "big": 1e20, "nested": {"b": [1, 2], "a": "数"}})
    await _append_committed(db, entry)
    row = await db.fetchrow("select * from gateway.audit_log")
    assert row is not None
    assert row["request_id"] == entry.request_id
    assert (row["role"], row["requester"], row["operator"], row["operation"]) == (
        entry.role,
        entry.requester,
        entry.operator,
        entry.operation,
    )
    assert tuple(row["subjects"]) == entry.subjects
    assert tuple(row["fields"]) == entry.fields
    assert row["decision"] == entry.decision
    assert orjson.loads(row["detail"]) == entry.detail
    # numbers a float cannot hold exactly still hash as stored
    assert (await verify(db)).ok


async def test_an_anonymous_refusal_is_recorded(db: asyncpg.Connection) -> None:
    entry = AuditEntry(
        request_id="req-anon",
        role=None,
        requester=None,
        operator=None,
        operation=None,
        subjects=(),
        fields=(),
        decision="DENIED",
        detail={"errors": ["UNAUTHENTICATED"]},
    )
    await _append_committed(db, entry)
    assert (await verify(db)).ok


# Every ASCII character but NUL (which PostgreSQL's text cannot hold), so every one a JSON
# string escapes and every one it keeps, then text beyond ASCII, astral plane included.
_AWKWARD = "".join(chr(code) for code in range(1, 0x80)) + "é数\u2028\u2029\U0001f600\ufeff"


async def test_any_text_hashes_alike_where_it_is_appended_and_where_it_is_verified(
    db: asyncpg.Connection,
) -> None:
    """The database hashes each entry as it appends it; `verify` hashes the stored row again
    here, from the documented encoding: the two agree on every character."""
    entry = AuditEntry(
        request_id=_AWKWARD,
        role="BANK",
        requester=_AWKWARD[::-1],
        operator='"quoted" \\ back',
        operation="tab\there",
        subjects=(_AWKWARD, ""),
        fields=("a\nb", "数"),
        decision="PARTIAL",
        detail={_AWKWARD: [_AWKWARD, {"k": "\x01\x1f\x7f"}], "n": 1.5},
    )
    async with db.transaction():
        assert await audit.append_many(db, [entry, _entry(2)]) == [1, 2]
    row = await db.fetchrow("select request_id, subjects from gateway.audit_log where seq = 1")
    assert row is not None
    assert (row["request_id"], tuple(row["subjects"])) == (_AWKWARD, entry.subjects)
    assert await verify(db) == audit.Verification(
        checked=2, ok=True, first_broken=None, reason=None
    )


async def test_append_outside_a_transaction_is_refused(db: asyncpg.Connection) -> None:
    with pytest.raises(AuditLogError, match="inside the caller's transaction"):
        await append(db, _entry(1))
    assert await db.fetchval("select count(*) from gateway.audit_log") == 0


async def test_append_under_repeatable_read_is_refused(db: asyncpg.Connection) -> None:
    with pytest.raises(AuditLogError, match="READ COMMITTED"):
        async with db.transaction(isolation="repeatable_read"):
            await append(db, _entry(1))


async def test_detail_that_is_not_json_is_refused(db: asyncpg.Connection) -> None:
    with pytest.raises(AuditLogError, match="not JSON-serialisable"):
        async with db.transaction():
            await append(db, _entry(1, detail={"x": object()}))


async def test_a_rolled_back_append_leaves_no_gap(db: asyncpg.Connection) -> None:
    """The caller fails closed by rolling back; the log must not look tampered with after."""
    await _append_committed(db, _entry(1))
    tx = db.transaction()
    await tx.start()
    assert await append(db, _entry(2)) == 2
    await tx.rollback()
    assert await _append_committed(db, _entry(3)) == 2
    assert (await verify(db)).ok


async def test_concurrent_appends_form_one_chain(database_url: str) -> None:
    """Twenty transactions open at once, each appending: one chain, no fork, no loss."""
    count = 20
    conns = [await asyncpg.connect(database_url) for _ in range(count)]
    begun = asyncio.Barrier(count)

    async def one(conn: asyncpg.Connection, n: int) -> int:
        async with conn.transaction():
            await conn.execute("select 1")  # the transaction has really begun
            await begun.wait()
            return await append(conn, _entry(n))

    try:
        seqs = await asyncio.gather(*(one(c, n) for n, c in enumerate(conns)))
        assert sorted(seqs) == list(range(1, count + 1))
        result = await verify(conns[0])
        assert result == audit.Verification(checked=count, ok=True, first_broken=None, reason=None)
        stored = await conns[0].fetch("select request_id from gateway.audit_log")
        assert {r["request_id"] for r in stored} == {f"req-{n}" for n in range(count)}
    finally:
        for conn in conns:
            await conn.close()


async def test_verify_takes_a_pool(migrated_pool: asyncpg.Pool) -> None:
    async with migrated_pool.acquire() as conn, conn.transaction():
        await append(conn, _entry(1))
    assert (await verify(migrated_pool)).checked == 1


async def test_verify_streams_across_pages(
    db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "_WALK_PREFETCH", 2)
    await _fill(db, 7)
    assert (await verify(db)).checked == 7
    await _behind_the_triggers(db, "delete from gateway.audit_log where seq = 6")
    result = await verify(db)
    assert (result.first_broken, result.reason) == (6, "row 6 missing")


# --- the table's own refusal ----------------------------------------------


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("update gateway.audit_log set requester = 'someone else'", "UPDATE"),
        ("delete from gateway.audit_log where seq = 1", "DELETE"),
        ("truncate gateway.audit_log", "TRUNCATE"),
    ],
)
async def test_the_table_refuses_changes(
    db: asyncpg.Connection, statement: str, operation: str
) -> None:
    await _fill(db, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match=f"append-only: {operation}"):
        await db.execute(statement)
    assert await db.fetchval("select count(*) from gateway.audit_log") == 2
    assert (await verify(db)).ok


# --- tampering --------------------------------------------------------------


async def _rehash(conn: asyncpg.Connection, seq: int) -> None:
    """Recompute row `seq`'s hash from what it now holds, as a tamperer who read the code would."""
    row = await conn.fetchrow(
        "select *, detail::text as detail_text from gateway.audit_log where seq = $1", seq
    )
    assert row is not None
    digest = audit.entry_hash(
        seq=seq,
        occurred_at=row["occurred_at"],
        prev_hash=row["prev_hash"],
        request_id=row["request_id"],
        role=row["role"],
        requester=row["requester"],
        operator=row["operator"],
        operation=row["operation"],
        subjects=row["subjects"],
        fields=row["fields"],
        decision=row["decision"],
        detail=row["detail_text"],
    )
    await _behind_the_triggers(
        conn, "update gateway.audit_log set hash = $2 where seq = $1", seq, digest
    )


TAMPERING = {
    "requester changed": (
        "update gateway.audit_log set requester = 'someone else' where seq = 3",
        3,
        "content does not match its hash",
    ),
    "a subject hidden": (
        "update gateway.audit_log set subjects = subjects[1:1] where seq = 3",
        3,
        "content does not match its hash",
    ),
    "decision changed": (
        "update gateway.audit_log set decision = 'DENIED' where seq = 2",
        2,
        "content does not match its hash",
    ),
    "detail changed": (
        "update gateway.audit_log set detail = detail || '{\"n\": 99}' where seq = 4",
        4,
        "content does not match its hash",
    ),
    "a number's precision changed": (
        "update gateway.audit_log set detail = '{\"amount\": 0.10}' where seq = 4",
        4,
        "content does not match its hash",
    ),
    "time moved by a microsecond": (
        "update gateway.audit_log set occurred_at = occurred_at + interval '1 microsecond' "
        "where seq = 5",
        5,
        "content does not match its hash",
    ),
    "middle row deleted": ("delete from gateway.audit_log where seq = 3", 3, "row 3 missing"),
    "two rows deleted": (
        "delete from gateway.audit_log where seq in (2, 3)",
        2,
        "rows 2 to 3 missing",
    ),
    "first row deleted": ("delete from gateway.audit_log where seq = 1", 1, "row 1 missing"),
    "prev_hash altered": (
        "update gateway.audit_log set prev_hash = sha256('forged') where seq = 4",
        4,
        "prev_hash does not match row 3's hash",
    ),
    "first prev_hash altered": (
        "update gateway.audit_log set prev_hash = sha256('forged') where seq = 1",
        1,
        "prev_hash of the first entry is not 32 zero bytes",
    ),
    "hash altered": (
        "update gateway.audit_log set hash = sha256('forged') where seq = 5",
        5,
        "content does not match its hash",
    ),
}


@pytest.mark.parametrize(("statement", "seq", "reason"), TAMPERING.values(), ids=TAMPERING.keys())
async def test_tampering_is_found_at_its_entry(
    db: asyncpg.Connection, statement: str, seq: int, reason: str
) -> None:
    await _fill(db, 6)
    await _behind_the_triggers(db, statement)
    assert await verify(db) == audit.Verification(
        checked=seq - 1, ok=False, first_broken=seq, reason=reason
    )


async def test_a_rehashed_edit_breaks_the_next_link(db: asyncpg.Connection) -> None:
    """Recomputing the edited entry's hash only moves the break to the entry after it."""
    await _fill(db, 5)
    await _behind_the_triggers(
        db, "update gateway.audit_log set requester = 'someone else' where seq = 3"
    )
    await _rehash(db, 3)
    result = await verify(db)
    assert (result.first_broken, result.reason) == (4, "prev_hash does not match row 3's hash")


async def test_reordered_entries_are_found(db: asyncpg.Connection) -> None:
    """Entries 2 and 3 put back under each other's numbers, every byte of each kept."""
    await _fill(db, 4)
    async with db.transaction():
        await db.execute("set local session_replication_role = replica")
        await db.execute(
            "create temporary table moved on commit drop as "
            "select * from gateway.audit_log where seq in (2, 3)"
        )
        await db.execute("delete from gateway.audit_log where seq in (2, 3)")
        await db.execute(
            "insert into gateway.audit_log overriding system value "
            "select 5 - seq, occurred_at, request_id, role, requester, operator, operation, "
            "subjects, fields, decision, detail, prev_hash, hash from moved"
        )
    result = await verify(db)
    assert (result.first_broken, result.reason) == (2, "prev_hash does not match row 1's hash")


# --- the command ------------------------------------------------------------


async def test_command_reports_an_intact_log(database_url: str) -> None:
    env = cli_env(database_url=database_url)
    empty = run_cli("audit", "verify", env=env)
    assert (empty.returncode, empty.stdout.strip()) == (0, "audit log intact: 0 entries")
    conn = await asyncpg.connect(database_url)
    try:
        await _fill(conn, 3)
    finally:
        await conn.close()
    filled = run_cli("audit", "verify", env=env)
    assert (filled.returncode, filled.stdout.strip()) == (0, "audit log intact: 3 entries")


async def test_command_reports_a_broken_log(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await _fill(conn, 3)
        await _behind_the_triggers(
            conn, "update gateway.audit_log set operation = 'Innocent' where seq = 2"
        )
    finally:
        await conn.close()
    result = run_cli("audit", "verify", env=cli_env(database_url=database_url))
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip() == "audit log broken at entry 2: content does not match its hash"


def test_command_on_an_unmigrated_database(empty_database_url: str) -> None:
    result = run_cli("audit", "verify", env=cli_env(database_url=empty_database_url))
    assert_one_line_error(result, "no audit log", "creditgraph migrate")


def test_timestamps_hash_at_microsecond_precision() -> None:
    """Two instants a microsecond apart never share a hash: the encoding keeps every digit."""

    def at(moment: datetime) -> bytes:
        return audit.entry_hash(
            seq=1,
            occurred_at=moment,
            prev_hash=GENESIS,
            request_id="r",
            role=None,
            requester=None,
            operator=None,
            operation=None,
            subjects=(),
            fields=(),
            decision="ERROR",
            detail="{}",
        )

    moment = datetime(2025, 1, 31, 8, 15, tzinfo=UTC)
    assert at(moment) != at(moment + timedelta(microseconds=1))
    # the same instant in another zone is the same instant
    assert at(moment) == at(moment.astimezone(timezone(timedelta(hours=8))))
