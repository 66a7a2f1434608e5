"""The one way records come in: a batch file, an upload and a single record all pass here.

Lines are taken from the source a part at a time (`PART_LINES`), copied into staging tables
of the transaction's own (`_staging`) and checked there as one set by SQL (`pipeline.sql`):
the shape of every field against
the published schema, then each kind's own rules (the furnisher owns the account, months in
sequence, an overdue month states when the subject was told...). What passes is merged into
the bureau's tables in a few statements. A record is accepted whole or not at all: a line
with any problem is left out entirely and answered with a (line, field, reason) row.

The bureau scores of the subjects a part changed records of are recomputed in the part's own
transaction (`rescore_subjects`), so the score a lender reads next is the score of the file
it reads, never one waiting for a nightly run. A statement counts only when its month is or
was overdue, or follows an overdue month (it may end a run, which dates when the months the
score counted age out): the scorecard reads months only as overdue or not, so any other
normal month cannot move a score, and a monthly batch is mostly those.

Each part commits with its audit entry, so a batch cut short (the process killed) keeps every
part that committed and loses nothing it had answered as accepted; sent again, the parts
already in change nothing (the same record again is UNCHANGED), and the rest go in. With
`all_or_nothing`, every part runs in one transaction and any rejected line rolls the whole
batch back; the answer still names every rejected line.

The staging tables are made in the transaction that uses them and dropped before it ends
(`furnishing.open_staging`, migration furnishing/0006), never temporary tables: PostgreSQL
refuses to prepare a transaction that touched one, and a furnishing mutation through a bureau
subgraph served over HTTP ends in PREPARE TRANSACTION (subgraphs/writing.py). So one pipeline
serves a batch, an upload and a mutation, whichever way the bureau is reached.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import asyncpg

from creditgraph.access import audit
from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError
from creditgraph.furnishing.kinds import kinds_for, public_book, record_kinds
from creditgraph.requester import Furnisher
from creditgraph.scores.recompute import rescore_subjects
from creditgraph.signals import OVERDUE_SYMBOLS

SQL = load_queries(Path(__file__).with_name("pipeline.sql"))
CHECKS = load_queries(Path(__file__).with_name("checks.sql"))

Channel = Literal["FILE", "UPLOAD", "MUTATION"]
"""A connection of the command's own or one lent by the gateway's pool."""

#: Lines checked and merged together: one COPY, one set of statements, one commit.
PART_LINES: Final = 200_000
#: The longest any one statement of a part may take (a pool's own limit is for reports, a few
#: seconds; a part of a monthly batch is far more work, and still bounded).
PART_SECONDS: Final = 300.0
#: A month the scorecard counts as overdue (signals.py), as a pattern for SQL.
_OVERDUE_MONTH: Final = f"^[{''.join(sorted(OVERDUE_SYMBOLS))}]$"
#: How many times a part is run when other batches keep writing its new records first.
_RACES: Final = 3
#: The audit entry names the subjects a part touched, up to this many (a monthly batch touches
#: hundreds of thousands: the entry then gives their number).
_AUDIT_SUBJECTS: Final = 1000


class FurnishingRefused(CreditgraphError):
    """The furnisher may not furnish at all (unknown to the bureau, or a kind that reports
    nothing). Nothing is read from the batch."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """One problem with one line: the line is left out whole."""

    line: int
    field: str | None
    reason: str

    def document(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class Summary:
    """What became of a batch: lines read, and per outcome how many records."""

    submission: int
    lines: int = 0
    accepted: int = 0
    unchanged: int = 0
    corrected: int = 0
    rejected: int = 0
    all_or_nothing: bool = False
    committed: bool = True
    """False when all-or-nothing refused the batch: then nothing was written."""
    touched: set[str] = field(default_factory=set)
    """The subjects whose records were added or corrected."""

    def document(self) -> dict[str, object]:
        return {
            "submission": self.submission,
            "lines": self.lines,
            "accepted": self.accepted,
            "unchanged": self.unchanged,
            "corrected": self.corrected,
            "rejected": self.rejected,
            "allOrNothing": self.all_or_nothing,
            "committed": self.committed,
        }


@dataclass(frozen=True, slots=True)
class _Part:
    lines: int
    accepted: int
    unchanged: int
    corrected: int
    rejected: int
    rejections: list[Rejection]
    touched: frozenset[str]
    rescore: frozenset[str]
    """The subjects whose changes the bureau score reads."""


@dataclass(frozen=True, slots=True)
class _Who:
    furnisher: Furnisher
    institution_id: int
    name: str
    kind: str
    kinds: tuple[str, ...]
    request_id: str
    audited: bool
    """Whether the pipeline writes the audit entries: a batch's, yes; a mutation's request is
    recorded by the gateway, as every mutation is, in the transaction its write commits with
    (over HTTP a prepared one, where an entry of the pipeline's own would hold the audit log's
    lock until the gateway's entry, which waits for it, had been written)."""


OnRejection = Callable[[Rejection], Awaitable[None]]


async def furnish(
    conn: DatabaseConnection,
    furnisher: Furnisher,
    records: AsyncIterable[tuple[int, str]],
    *,
    channel: Channel,
    request_id: str,
    all_or_nothing: bool = False,
    on_rejection: OnRejection | None = None,
    part_lines: int = PART_LINES,
) -> Summary:
    """Take the records in, part by part; `on_rejection` hears of each rejected line as its
    part is done (so a report streams while the batch runs)."""
    who = await _who(conn, furnisher, request_id, channel)
    async with _atomic(conn):
        submission = await conn.fetchval(
            SQL["open_submission"],
            furnisher.institution,
            furnisher.operator,
            request_id,
            channel,
            all_or_nothing,
        )
    summary = Summary(submission=submission, all_or_nothing=all_or_nothing)
    if all_or_nothing:
        await _all_or_nothing(conn, who, records, summary, on_rejection, part_lines)
    else:
        async with aclosing(_parts(records, part_lines)) as parts:
            async for part in parts:

                async def take(part: list[tuple[int, str]] = part) -> _Part:
                    async with _atomic(conn), _staging(conn) as staging:
                        done = await _part(conn, who, submission, part, staging)
                        await rescore_subjects(conn, done.rescore)
                        await _record(conn, who, submission, done, "ALLOWED")
                    return done

                await _tell(await _again_if_raced(take), summary, on_rejection)
    return summary


async def _again_if_raced(attempt: Callable[[], Awaitable[_Part]]) -> _Part:
    """The part, taken in `attempt`'s transaction or savepoint, once more when another
    batch wrote one of its new records first.

    A part adds what the bureau does not hold yet (a party, an account, a record's key) under
    the tables' unique keys, and other batches run at once: two banks reporting the same new
    borrower the same night, a batch sent again while the first send still runs. The second
    insert waits for the first transaction, and once that commits fails on the key, which undoes
    the part whole. Run again, the part finds the record on file and merges with it (a party
    known, a record UNCHANGED or corrected), as if it had come second; only a part that keeps
    losing such races raises."""
    for _ in range(_RACES - 1):
        try:
            return await attempt()
        except asyncpg.UniqueViolationError:
            continue
    return await attempt()


async def _all_or_nothing(
    conn: DatabaseConnection,
    who: _Who,
    records: AsyncIterable[tuple[int, str]],
    summary: Summary,
    on_rejection: OnRejection | None,
    part_lines: int,
) -> None:
    """Every part in one transaction, rolled back if any line is rejected."""
    parts: list[_Part] = []
    transaction = conn.transaction()
    await transaction.start()
    try:
        async with _staging(conn) as staging, aclosing(_parts(records, part_lines)) as chunks:
            async for lines in chunks:

                async def take(lines: list[tuple[int, str]] = lines) -> _Part:
                    async with _atomic(conn):  # a savepoint, undone alone if raced
                        return await _part(conn, who, summary.submission, lines, staging)

                done = await _again_if_raced(take)
                parts.append(done)
                await _tell(done, summary, on_rejection)
        if not summary.rejected:
            await rescore_subjects(conn, frozenset().union(*(done.rescore for done in parts)))
            for done in parts:
                await _record(conn, who, summary.submission, done, "ALLOWED")
    except BaseException:
        await transaction.rollback()
        raise
    if not summary.rejected:
        await transaction.commit()
        return
    await transaction.rollback()
    summary.committed = False
    summary.accepted = summary.unchanged = summary.corrected = 0
    summary.touched.clear()
    async with _atomic(conn):
        await conn.execute(
            SQL["count_submission"], summary.submission, summary.lines, 0, 0, 0, summary.rejected
        )
        refused = _Part(summary.lines, 0, 0, 0, summary.rejected, [], frozenset(), frozenset())
        await _record(conn, who, summary.submission, refused, "DENIED")


_savepoints = itertools.count(1)


@asynccontextmanager
async def _atomic(conn: DatabaseConnection) -> AsyncIterator[None]:
    """A transaction; or, when the caller has one open (a furnishing mutation's write), a
    savepoint in it. Said in SQL rather than with asyncpg's nesting, since a bureau subgraph
    served over HTTP opens its write's transaction itself, to end it in PREPARE TRANSACTION
    (subgraphs/writing.py), and asyncpg nests only in transactions it began."""
    if not conn.is_in_transaction():
        async with conn.transaction():
            yield
        return
    # the name is ours (a number), never the caller's: nothing reaches the SQL from outside
    name = f"furnishing_{next(_savepoints)}"
    await conn.execute(f"savepoint {name}")
    try:
        yield
    except BaseException:
        await conn.execute(f"rollback to savepoint {name}")
        raise
    await conn.execute(f"release savepoint {name}")


@asynccontextmanager
async def _staging(conn: DatabaseConnection) -> AsyncIterator[str]:
    """The staging tables, in a schema of this transaction's own put first on its search path
    (the pipeline's SQL names them unqualified), dropped before the transaction ends. A
    transaction that fails takes the schema with it; none is ever seen by another, so batches
    sent at once never wait on each other's staging. Yields the schema's name."""
    opened = await conn.fetchrow(SQL["open_staging"])
    assert opened is not None
    yield opened["schema_name"]
    await conn.execute(SQL["close_staging"], opened["schema_name"], opened["previous_path"])


async def _tell(done: _Part, summary: Summary, on_rejection: OnRejection | None) -> None:
    summary.lines += done.lines
    summary.accepted += done.accepted
    summary.unchanged += done.unchanged
    summary.corrected += done.corrected
    summary.rejected += done.rejected
    summary.touched.update(done.touched)
    if on_rejection is not None:
        for rejection in done.rejections:
            await on_rejection(rejection)


async def _parts(
    records: AsyncIterable[tuple[int, str]], size: int
) -> AsyncGenerator[list[tuple[int, str]]]:
    """The records a part at a time, the next part read while the caller has the database
    check and merge this one: reading and splitting lines is this process's work and checking
    them the database's, so they overlap instead of taking turns. At most two parts are held."""
    parts = _split(records, size)
    ahead: asyncio.Future[list[tuple[int, str]] | None] = asyncio.ensure_future(anext(parts, None))
    try:
        while (part := await ahead) is not None:
            ahead = asyncio.ensure_future(anext(parts, None))
            yield part
    finally:
        ahead.cancel()
        await asyncio.gather(ahead, return_exceptions=True)
        await parts.aclose()


async def _split(
    records: AsyncIterable[tuple[int, str]], size: int
) -> AsyncGenerator[list[tuple[int, str]]]:
    part: list[tuple[int, str]] = []
    async for record in records:
        part.append(record)
        if len(part) >= size:
            yield part
            part = []
    if part:
        yield part


async def _who(
    conn: DatabaseConnection, furnisher: Furnisher, request_id: str, channel: Channel
) -> _Who:
    """The institution behind the token and what it may furnish, or FurnishingRefused (the
    refusal recorded in the audit log)."""
    row = await conn.fetchrow(SQL["institution"], furnisher.institution)
    kinds = () if row is None else kinds_for(row["kind"])
    if row is None or not kinds:
        reason = (
            f"{furnisher.institution} is no institution the bureau knows"
            if row is None
            else f"{furnisher.institution} is a {row['kind'].lower()}, which furnishes no records"
        )
        if channel == "MUTATION":  # the gateway records the refused request
            raise FurnishingRefused(reason)
        async with _atomic(conn):
            await audit.append(
                conn,
                audit.AuditEntry(
                    request_id=request_id,
                    role="FURNISHER",
                    requester=furnisher.institution,
                    operator=furnisher.operator,
                    operation=f"furnish:{channel}",
                    subjects=(),
                    fields=(),
                    decision="DENIED",
                    detail={"reason": reason},
                ),
            )
        raise FurnishingRefused(reason)
    return _Who(
        furnisher, row["id"], row["name"], row["kind"], kinds, request_id, channel != "MUTATION"
    )


async def _part(
    conn: DatabaseConnection,
    who: _Who,
    submission: int,
    lines: list[tuple[int, str]],
    staging: str,
) -> _Part:
    """Check and merge one part, inside the caller's transaction and its staging schema."""
    code, operator = who.furnisher.institution, who.furnisher.operator

    async def run(name: str, *args: object) -> None:
        await conn.execute(SQL[name], *args, timeout=PART_SECONDS)

    await run("part_limits", f"{round(PART_SECONDS * 1000)}ms")
    await run("clear_staging")
    await conn.copy_records_to_table(
        "furnish_raw",
        records=lines,
        columns=("line", "raw"),
        schema_name=staging,
        timeout=PART_SECONDS,
    )
    every_kind, its_kinds = list(record_kinds()), list(who.kinds)
    try:
        async with _atomic(conn):  # a savepoint: a line the reader let by undoes only this
            await run("parse", every_kind, its_kinds, True)
    except asyncpg.DataError:
        await run("parse", every_kind, its_kinds, False)
    await run("parse_rejects", every_kind, who.kind)
    await run("analyse_docs")
    for kind in who.kinds:
        await conn.execute(CHECKS[f"check_{kind.lower()}"], timeout=PART_SECONDS)
    if "ACCOUNT" in who.kinds:
        await run("accounts_stage", who.institution_id)
        await run("analyse_accounts")
        await run("accounts_check")
        await run("accounts_merge", submission, code, operator, who.institution_id)
    if "STATEMENT" in who.kinds:
        await run("statements_stage", who.institution_id)
        await run("analyse_statements")
        await run("statements_check")
        await run("statements_sequence")
        await run("statements_merge", submission, code, operator, _OVERDUE_MONTH)
    public = [name for name in who.kinds if record_kinds()[name].public]
    if public:
        await run("public_stage", code, who.name, public, public_book())
        await run("public_check")
        await run("public_merge", public_book(), submission, code, operator)
    rejections = [
        Rejection(row["line"], row["field"], row["reason"])
        for row in await conn.fetch(SQL["rejected_lines"], timeout=PART_SECONDS)
    ]
    counts = await conn.fetchrow(SQL["outcome_counts"], timeout=PART_SECONDS)
    assert counts is not None
    done = _Part(
        lines=len(lines),
        accepted=counts["accepted"],
        unchanged=counts["unchanged"],
        corrected=counts["corrected"],
        rejected=counts["rejected"],
        rejections=rejections,
        touched=frozenset(counts["touched"] or ()),
        rescore=frozenset(counts["rescore"] or ()),
    )
    await conn.execute(
        SQL["count_submission"],
        submission,
        done.lines,
        done.accepted,
        done.unchanged,
        done.corrected,
        done.rejected,
    )
    return done


async def _record(
    conn: DatabaseConnection, who: _Who, submission: int, done: _Part, decision: audit.Decision
) -> None:
    """The part's audit entry, in its transaction (a batch's: see `_Who.audited`)."""
    if not who.audited:
        return
    subjects = tuple(sorted(done.touched)) if len(done.touched) <= _AUDIT_SUBJECTS else ()
    if decision == "ALLOWED" and done.rejected:
        decision = "PARTIAL"
    await audit.append(
        conn,
        audit.AuditEntry(
            request_id=who.request_id,
            role="FURNISHER",
            requester=who.furnisher.institution,
            operator=who.furnisher.operator,
            operation="furnish",
            subjects=subjects,
            fields=(),
            decision=decision,
            detail={
                "submission": submission,
                "lines": done.lines,
                "accepted": done.accepted,
                "unchanged": done.unchanged,
                "corrected": done.corrected,
                "rejected": done.rejected,
                "subjects_touched": len(done.touched),
            },
        ),
    )
