"""The audit log: one entry per request, append-only and hash-chained.

The database already refuses UPDATE, DELETE and TRUNCATE on gateway.audit_log
(migration gateway/0003). The chain is for what a superuser can still do behind
the triggers' back: each entry's hash covers its own content and the previous
entry's hash, so editing, deleting or reordering any entry breaks the chain at
that entry, and `verify` names it.

The hash
--------
``hash = SHA-256(canonical)``, where ``canonical`` is the UTF-8 encoding of one
JSON object with exactly these keys, written with sorted keys, no whitespace
(separators ``,`` and ``:``) and non-ASCII characters unescaped — what
``json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
writes:

- ``seq``: the entry's number, a JSON integer; the chain is 1, 2, 3 … with no
  gaps, so a missing number is a deleted entry;
- ``occurred_at``: ISO-8601 in UTC with microseconds and a ``Z``
  (``2025-01-31T08:15:00.123456Z``), PostgreSQL's own precision, so the value
  read back hashes the same as the value written;
- ``prev_hash``: the previous entry's hash in lower-case hex; the first entry's
  is 32 zero bytes (64 zeros);
- ``request_id``, ``role``, ``requester``, ``operator``, ``operation``,
  ``decision``: strings, or null where the column is null;
- ``subjects``, ``fields``: arrays of strings, in the stored order;
- ``detail``: a string holding PostgreSQL's text form of the stored jsonb
  (``detail::text``), not the object itself. jsonb already normalises key
  order, duplicates and whitespace, and its text keeps numbers exactly as
  stored, so the hash covers the stored value to the last digit instead of a
  float's approximation of it.

Every value is a string, an integer, null or an array of strings, so the
document has one spelling and no two entries share it.

Appending
---------
`append` and `append_many` run inside the caller's transaction, so a request
whose entry cannot be written can fail closed: nothing it did commits, and it
answers nothing. Appends serialise on a transaction-scoped advisory lock, then
read the newest entry, hash, and insert; the lock is released at commit or
rollback, so a rolled-back append leaves neither a gap nor a fork. All of it
is one statement, one round trip, through a function (migration
gateway/0018): each of its statements sees what committed before it ran,
which one statement taking the lock could not, and the hashes are computed
there, under the lock, from the canonical document above; `verify` recomputes
them here, independently of that function. Many
entries appended in one transaction (`append_many`) are consecutive links
sharing one ``occurred_at``: the chain cannot tell them from entries appended
one by one, and `verify` checks them the same way. The
unique constraint on ``prev_hash`` refuses a fork even from a writer that
skips the lock.

What the chain cannot tell: removing the newest entries leaves a shorter
chain that is still intact. Record the newest hash somewhere else (a
notary, another system's log) to catch that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import asyncpg
import orjson

from creditgraph.db.connect import DatabaseConnection, connect
from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError

SQL = load_queries(Path(__file__).with_name("audit.sql"))

GENESIS = bytes(32)
"""The prev_hash of the first entry: there is nothing before it."""

_LOCK_KEY = int.from_bytes(b"cg:audit", "big")
"""The advisory lock appends queue on; any bigint no other lock in creditgraph uses."""

_WALK_PREFETCH = 1000
"""Rows `verify` fetches per round trip: few round trips, flat memory however long the log."""

"""A connection of our own or one lent by a pool: `append` and `verify` take either."""


Decision = Literal["ALLOWED", "PARTIAL", "DENIED", "ERROR"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What one request did, as the gateway records it: who, on whom, which fields, the outcome."""

    request_id: str
    role: str | None
    """SUBJECT, BANK, GOVERNMENT, or None for an anonymous request."""
    requester: str | None
    """The subject's identifier or the institution's code, as the token said."""
    operator: str | None
    """The person at the institution who asked, as the token said."""
    operation: str | None
    """The operation's name, when it has one."""
    subjects: tuple[str, ...]
    """Identifiers of the subjects whose data was returned or asked for."""
    fields: tuple[str, ...]
    """The "Type.field" coordinates returned."""
    decision: Decision
    detail: Mapping[str, object]
    """Anything else worth keeping, JSON-serialisable: editions per subject, error codes."""


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of walking the chain.

    `checked` counts the entries found intact before the first broken link
    (all of them when `ok`); `first_broken` is the seq of the first entry
    whose link does not hold, and `reason` says why.
    """

    checked: int
    ok: bool
    first_broken: int | None
    reason: str | None


class AuditLogError(RuntimeError):
    """The audit log cannot be written as asked; the caller must not answer the request."""


class AuditLogMissing(CreditgraphError):
    """The database has no audit log yet: it was never migrated."""


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_hash(
    *,
    seq: int,
    occurred_at: datetime,
    prev_hash: bytes,
    request_id: str | None,
    role: str | None,
    requester: str | None,
    operator: str | None,
    operation: str | None,
    subjects: list[str] | tuple[str, ...],
    fields: list[str] | tuple[str, ...],
    decision: str | None,
    detail: str,
) -> bytes:
    """SHA-256 of the canonical document described in the module docstring.

    Parameters are typed loosely (None where the table forbids it) because
    `verify` hashes whatever is stored, including what a tamperer left.
    """
    document = {
        "seq": seq,
        "occurred_at": _timestamp(occurred_at),
        "prev_hash": prev_hash.hex(),
        "request_id": request_id,
        "role": role,
        "requester": requester,
        "operator": operator,
        "operation": operation,
        "subjects": list(subjects),
        "fields": list(fields),
        "decision": decision,
        "detail": detail,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


async def append(conn: DatabaseConnection, entry: AuditEntry) -> int:
    """Add `entry` to the end of the chain; return its seq (`append_many` of one)."""
    (seq,) = await append_many(conn, [entry])
    return seq


async def append_many(conn: DatabaseConnection, entries: Sequence[AuditEntry]) -> list[int]:
    """Add `entries`, in order, to the end of the chain; return their seqs.

    Must run inside the caller's transaction (refused otherwise): the entries
    commit with the work they record or not at all, and the advisory lock
    that keeps the chain from forking is held until that transaction ends.
    The transaction must be READ COMMITTED (PostgreSQL's default): under a
    stricter level the snapshot predates the lock, so the newest entry read
    could be stale. See `record` for how.
    """
    if not conn.is_in_transaction():
        raise AuditLogError("audit.append must run inside the caller's transaction")
    return await record(conn, entries)


async def record(
    conn: DatabaseConnection,
    entries: Sequence[AuditEntry],
    *,
    answers: Sequence[Sequence[object]] = (),
    inquiries: Sequence[Sequence[object]] = (),
) -> list[int]:
    """Write `answers` and `inquiries` (rows of gateway.eligibility_answers and
    gateway.inquiries, in their columns' order), then add `entries` to the chain; their seqs.

    One statement, so one round trip however many rows (migration gateway/0018): the rows
    first, then the chain's lock, the newest link, and the entries hashed and inserted. In
    the caller's transaction, it commits with that transaction; outside one, the statement
    is its own transaction, committed (so durable) when this returns, or undone whole when
    it raises. Either way it must be READ COMMITTED; a stricter level is refused
    (AuditLogError) before anything is written.
    """
    if not entries and not answers and not inquiries:
        return []
    rows = []
    for entry in entries:
        try:
            detail = orjson.dumps(dict(entry.detail)).decode()
        except TypeError as exc:
            raise AuditLogError(f"audit entry detail is not JSON-serialisable: {exc}") from None
        rows.append(
            (
                entry.request_id,
                entry.role,
                entry.requester,
                entry.operator,
                entry.operation,
                list(entry.subjects),
                list(entry.fields),
                entry.decision,
                detail,
            )
        )
    try:
        found = await conn.fetch(SQL["record"], _LOCK_KEY, answers, inquiries, rows)
    except asyncpg.InvalidTransactionStateError as exc:
        raise AuditLogError(exc.args[0] if exc.args else str(exc)) from None
    return [int(row["seq"]) for row in found]


def _missing(expected: int, found: int) -> str:
    if found == expected + 1:
        return f"row {expected} missing"
    return f"rows {expected} to {found - 1} missing"


def _check(row: asyncpg.Record, expected_seq: int, expected_prev: bytes) -> str | None:
    """Why `row` breaks the chain at `expected_seq`, or None when its link holds."""
    seq: int = row["seq"]
    if seq != expected_seq:
        return _missing(expected_seq, seq)
    prev_hash = bytes(row["prev_hash"])
    if prev_hash != expected_prev:
        if seq == 1:
            return "prev_hash of the first entry is not 32 zero bytes"
        return f"prev_hash does not match row {seq - 1}'s hash"
    recomputed = entry_hash(
        seq=seq,
        occurred_at=row["occurred_at"],
        prev_hash=prev_hash,
        request_id=row["request_id"],
        role=row["role"],
        requester=row["requester"],
        operator=row["operator"],
        operation=row["operation"],
        subjects=row["subjects"],
        fields=row["fields"],
        decision=row["decision"],
        detail=row["detail"],
    )
    if recomputed != bytes(row["hash"]):
        return "content does not match its hash"
    return None


@asynccontextmanager
async def _connection(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool,
) -> AsyncIterator[DatabaseConnection]:
    if isinstance(conn_or_pool, asyncpg.Pool):
        async with conn_or_pool.acquire() as conn:
            yield conn
    else:
        yield conn_or_pool


async def _walk(conn: DatabaseConnection) -> Verification:
    checked = 0
    expected_prev = GENESIS
    async for row in conn.cursor(SQL["walk"], prefetch=_WALK_PREFETCH):
        expected_seq = checked + 1
        reason = _check(row, expected_seq, expected_prev)
        if reason is not None:
            return Verification(checked=checked, ok=False, first_broken=expected_seq, reason=reason)
        checked += 1
        expected_prev = bytes(row["hash"])
    return Verification(checked=checked, ok=True, first_broken=None, reason=None)


async def verify(conn_or_pool: asyncpg.Connection | asyncpg.Pool) -> Verification:
    """Walk the whole chain in seq order and report the first link that does not hold.

    Rows stream through a cursor, so memory stays flat however long the log.
    The walk reads one snapshot: entries appended while it runs are left for
    the next verification. A gap in seq is reported at the first missing
    number; otherwise the broken entry is the first whose prev_hash is not
    its predecessor's hash, or whose content no longer hashes to its hash.
    """
    async with _connection(conn_or_pool) as conn:
        if conn.is_in_transaction():
            return await _walk(conn)
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await _walk(conn)


async def verify_database(dsn: str) -> Verification:
    """`verify` over a connection of its own, for `creditgraph audit verify`.

    It does not migrate: a check of the record should not change the
    database it checks, so an unmigrated one is reported instead.
    """
    conn = await connect(dsn)
    try:
        return await verify(conn)
    except asyncpg.UndefinedTableError:
        raise AuditLogMissing(
            "the database has no audit log (gateway.audit_log): run `creditgraph migrate`"
        ) from None
    finally:
        await conn.close()
