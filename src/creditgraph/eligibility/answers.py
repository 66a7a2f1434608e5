"""Answering `eligibility(subject, predicate, purpose)`: the share checked, the answer kept.

The gateway answers it itself (access/enforcement.py): it reads the share the
subject made for this institution, predicate and purpose, fails closed when
there is none live (never shared, withdrawn, expired: CONSENT_REQUIRED, saying
which), fetches the predicate's data as the SUBJECT edition shows it and
evaluates it (catalogue.py). Only the answer and its id leave the gateway; the
answer is kept, with an inquiry of purpose ELIGIBILITY naming it, in the
transaction that records the request (access/recording.py), so an answer the
institution holds is always one the subject can see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries

SQL = load_queries(Path(__file__).with_name("queries.sql"))
PURPOSE: Final = "ELIGIBILITY"
"""The purpose an answer's inquiry is recorded under."""


class NoLiveShare(Exception):
    """No live share answers this ask; the message says why, in the requester's terms."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer given: what the institution receives, and what is kept."""

    id: uuid.UUID
    share_id: uuid.UUID
    subject: str
    requester_id: int
    operator: str | None
    predicate: str
    purpose: str
    holds: bool
    answered_at: datetime

    def row(self) -> tuple[object, ...]:
        """The answer as a row of gateway.eligibility_answers (`audit.record` writes it)."""
        return (
            self.id,
            self.share_id,
            self.subject,
            self.requester_id,
            self.operator,
            self.predicate,
            self.purpose,
            self.holds,
            self.answered_at,
        )

    def inquiry(self) -> tuple[object, ...]:
        """The look this answer was, as a row of gateway.inquiries: no edition, no grant."""
        return (self.subject, self.requester_id, self.operator, PURPOSE, None, None, None, self.id)

    def result(self) -> dict[str, Any]:
        """The answer by field name of `EligibilityResult`: all the institution gets."""
        return {
            "__typename": "EligibilityResult",
            "answerId": str(self.id),
            "subject": self.subject,
            "predicate": self.predicate,
            "purpose": self.purpose,
            "holds": self.holds,
            "answeredAt": self.answered_at.isoformat(),
        }


async def live_share(
    conn: DatabaseConnection, subject: str, requester_id: int | None, predicate: str, purpose: str
) -> uuid.UUID:
    """The live share the ask rests on; NoLiveShare, saying why, when there is none.

    The reasons (never shared, withdrawn, expired) tell the institution only about its
    own shares, which the subject made with it by name. An institution the gateway has
    no record of (`requester_id` None) has none.
    """
    row = None
    if requester_id is not None:
        row = await conn.fetchrow(SQL["latest_share"], subject, requester_id, predicate, purpose)
    if row is None:
        raise NoLiveShare(
            f"the subject has not shared {predicate} with your institution for {purpose}"
        )
    if row["live"]:
        share: uuid.UUID = row["id"]
        return share
    if row["withdrawn"]:
        raise NoLiveShare(f"the subject withdrew the share of {predicate} for {purpose}")
    raise NoLiveShare(f"the subject's share of {predicate} for {purpose} has expired")
