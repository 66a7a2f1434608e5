"""The data source's answer to a dispute, as the bureau's operator records it.

A subject disputes a record with `fileDispute`; the data source that reported
the record must verify it within 20 days (docs/domain.md) and say what became of
it, and the bureau records that answer (`creditgraph disputes answer`):

- CORRECTED: the record was wrong and the data source has corrected it;
- REMOVED: the record should not be there and the data source has taken it back;
- KEPT_WITH_NOTE: the data source stands by the record: it stays, and so does
  its mark, now saying it was disputed and kept.

A CORRECTED answer names the furnisher's correction that answered the dispute
(`--correction N`, the id `me { corrections }` and `creditgraph disputes list`
show): the operator says which, since a correction of the record is not by
itself an answer (a bank corrects a balance every month) and two disputes may
be open on one record. The correction must be of the disputed record (a
corrected month of a disputed account counts) and made after the dispute was
filed; the subject reads it, with what changed, on the answered dispute.

After a CORRECTED or REMOVED answer the record carries no mark. The record's
own data is the data source's to change, through what it reports; the answer
is the record of what it said, which the subject reads in `me.disputes`
(status, outcome, resolution, resolvedAt). `creditgraph disputes list` shows
what is waiting, soonest deadline first, and which deadlines have passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from asyncpg import Connection, Record

from creditgraph.bureau.marks import record_reference
from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError

SQL = load_queries(Path(__file__).with_name("answers.sql"))

#: What a data source can answer (the disputes table's CHECK says the same).
OUTCOMES: Final = ("CORRECTED", "REMOVED", "KEPT_WITH_NOTE")
MAX_RESOLUTION: Final = 2000


class AnswerRefused(CreditgraphError):
    """An answer that cannot be recorded; nothing was written."""


@dataclass(frozen=True, slots=True)
class DisputeCase:
    """One dispute as the operator handles it, the subject's reason included."""

    id: int
    subject_identifier: str
    record: str
    """The disputed record's typed id, as fileDispute took it (CreditAccount:42)."""
    reason: str
    filed_at: datetime
    respond_by: date
    status: str
    outcome: str | None
    resolution: str | None
    resolved_at: datetime | None
    overdue: bool
    """Still open after its deadline."""
    correction_id: int | None
    """The furnisher's correction a CORRECTED answer named."""

    @classmethod
    def from_row(cls, row: Record) -> DisputeCase:
        values = dict(row)
        values["record"] = record_reference(values.pop("record_type"), values.pop("record_id"))
        return cls(**values)

    def document(self) -> dict[str, Any]:
        """The dispute as JSON-ready data (times and dates as ISO strings)."""
        return {
            "id": self.id,
            "subject_identifier": self.subject_identifier,
            "record": self.record,
            "reason": self.reason,
            "filed_at": self.filed_at.isoformat(),
            "respond_by": self.respond_by.isoformat(),
            "status": self.status,
            "outcome": self.outcome,
            "resolution": self.resolution,
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
            "overdue": self.overdue,
            "correction_id": self.correction_id,
        }


async def list_disputes(conn: Connection, *, open_only: bool = False) -> list[DisputeCase]:
    """Disputes (or only the open ones), soonest deadline first."""
    rows = await conn.fetch(SQL["disputes"], open_only, None)
    return [DisputeCase.from_row(row) for row in rows]


async def answer(
    conn: Connection,
    dispute_id: int,
    outcome: str,
    resolution: str,
    correction_id: int | None = None,
) -> DisputeCase:
    """Record the data source's answer to an open dispute (and, for a CORRECTED one, the
    correction that answered it) in one transaction, or nothing at all."""
    if outcome not in OUTCOMES:
        raise AnswerRefused(f"an answer is {', '.join(OUTCOMES)}, not {outcome!r}")
    if correction_id is not None and outcome != "CORRECTED":
        raise AnswerRefused(f"only a CORRECTED answer names a correction, not {outcome}")
    said = resolution.strip()
    if not said:
        raise AnswerRefused("the resolution must say what the data source found")
    if len(said) > MAX_RESOLUTION:
        raise AnswerRefused(f"the resolution is {len(said)} characters; at most {MAX_RESOLUTION}")
    async with conn.transaction():
        if await conn.fetchval(SQL["answer"], dispute_id, outcome, said) is None:
            found = await conn.fetchrow(SQL["disputes"], False, dispute_id)
            if found is None:
                raise AnswerRefused(f"there is no dispute {dispute_id}")
            raise AnswerRefused(f"dispute {dispute_id} is {found['status']}, not open")
        if correction_id is not None:
            await _link_correction(conn, dispute_id, correction_id)
        row = await conn.fetchrow(SQL["disputes"], False, dispute_id)
    assert row is not None  # answered just now, in this transaction
    return DisputeCase.from_row(row)


async def _link_correction(conn: Connection, dispute_id: int, correction_id: int) -> None:
    """Link the answered dispute to the correction, if that correction answers it."""
    dispute = await conn.fetchrow(SQL["disputes"], False, dispute_id)
    correction = await conn.fetchrow(SQL["correction"], correction_id)
    assert dispute is not None  # answered just now, in this transaction
    if correction is None:
        raise AnswerRefused(f"there is no correction {correction_id}")
    corrected = record_reference(correction["record_type"], correction["record_id"])
    disputed = record_reference(dispute["record_type"], dispute["record_id"])
    if corrected != disputed:
        raise AnswerRefused(
            f"correction {correction_id} is of {corrected}, not of the disputed {disputed}"
        )
    if correction["corrected_at"] < dispute["filed_at"]:
        raise AnswerRefused(
            f"correction {correction_id} was made before dispute {dispute_id} was filed"
        )
    await conn.execute(SQL["link_correction"], dispute_id, correction_id)
