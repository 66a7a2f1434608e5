"""The listing body's side: answering objections, deciding credit repair, and who is notified.

A subject objects to a list entry in its notice period and applies for credit
repair of an entry in force through the API (mutations.py). The
listing body's answers come in through the operator, as the data sources'
answers to disputes do (`creditgraph objections answer`, `creditgraph repairs
decide`):

- an objection UPHELD: the listing never takes effect (it exits, reason
  OBJECTION_UPHELD); DISMISSED: it takes effect the day after its notice
  period, or the day of the answer when that is later;
- a repair APPROVED: the entry exits that day (reason REPAIRED), its measures
  end with it and the institutions told when it came into force are told
  again (measures/notices.py); REFUSED: the entry stands.

Institutions subscribe to notices with `creditgraph measures subscribe`. Each
command is one transaction that checks everything first: a refusal writes
nothing. Everything is kept: an answered objection and a decided application
stay on record, readable by the subject beside the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import asyncpg
from asyncpg import Connection, Record

from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError
from creditgraph.identifiers import InvalidIdentifier, normalise_identifier, validate_uscc
from creditgraph.public import dataloaders as dl
from creditgraph.public.enums import ListEntryState, ObjectionOutcome
from creditgraph.public.types import list_entry_state

SQL = load_queries(Path(__file__).with_name("decisions.sql"))

OBJECTION_OUTCOMES: Final = ("UPHELD", "DISMISSED")
REPAIR_DECISIONS: Final = ("APPROVED", "REFUSED")
MAX_TEXT: Final = 2000


class DecisionRefused(CreditgraphError):
    """An answer, decision or subscription that cannot be recorded; nothing was written."""


def _said(text: str, what: str) -> str:
    value = text.strip()
    if not value:
        raise DecisionRefused(f"{what} must say why")
    if len(value) > MAX_TEXT:
        raise DecisionRefused(f"{what} is {len(value)} characters; at most {MAX_TEXT}")
    return value


def _document(row: Record) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in dict(row).items()
    }


@dataclass(frozen=True, slots=True)
class Case:
    """An objection or a repair application as the operator sees it (row as read)."""

    row: Record

    def __getitem__(self, key: str) -> Any:
        return self.row[key]

    def document(self) -> dict[str, Any]:
        return _document(self.row)


async def list_objections(conn: Connection, *, open_only: bool = False) -> list[Case]:
    return [Case(row) for row in await conn.fetch(SQL["objections"], open_only, None)]


async def answer_objection(conn: Connection, objection_id: int, outcome: str, answer: str) -> Case:
    """Record the listing body's answer to an open objection, and what it does to the entry."""
    if outcome not in OBJECTION_OUTCOMES:
        raise DecisionRefused(f"an answer is UPHELD or DISMISSED, not {outcome!r}")
    said = _said(answer, "the answer")
    async with conn.transaction():
        entry_id = await conn.fetchval(SQL["answer_objection"], objection_id, outcome, said)
        if entry_id is None:
            found = await conn.fetchrow(SQL["objections"], False, objection_id)
            if found is None:
                raise DecisionRefused(f"there is no objection {objection_id}")
            raise DecisionRefused(f"objection {objection_id} was answered {found['outcome']}")
        await conn.execute(
            SQL["uphold_entry" if outcome == "UPHELD" else "dismiss_entry"], entry_id
        )
        row = await conn.fetchrow(SQL["objections"], False, objection_id)
    assert row is not None  # answered just now, in this transaction
    return Case(row)


async def list_repairs(conn: Connection, *, open_only: bool = False) -> list[Case]:
    return [Case(row) for row in await conn.fetch(SQL["repairs"], open_only, None)]


async def decide_repair(conn: Connection, application_id: int, decision: str, reasons: str) -> Case:
    """Approve or refuse an open application; an approval ends the entry today."""
    if decision not in REPAIR_DECISIONS:
        raise DecisionRefused(f"a decision is APPROVED or REFUSED, not {decision!r}")
    said = _said(reasons, "the reasons")
    async with conn.transaction():
        entry = await conn.fetchrow(SQL["lock_application_entry"], application_id)
        if entry is None:
            found = await conn.fetchrow(SQL["repairs"], False, application_id)
            if found is None:
                raise DecisionRefused(f"there is no repair application {application_id}")
            raise DecisionRefused(
                f"repair application {application_id} was decided: {found['decision']}"
            )
        outcome = entry["objection_outcome"]
        state = list_entry_state(
            notice_ends_on=entry["notice_ends_on"],
            objection_filed_on=entry["objection_filed_on"],
            objection_outcome=None if outcome is None else ObjectionOutcome(outcome),
            effective_on=entry["effective_on"],
            exited_on=entry["exited_on"],
            today=entry["today"],
        )
        if decision == "APPROVED" and state is not ListEntryState.IN_FORCE:
            raise DecisionRefused(
                f"list entry {entry['id']} is {state.value}, not in force: there is nothing to "
                "repair; refuse the application, saying so"
            )
        await conn.execute(SQL["decide_repair"], application_id, decision, said)
        if decision == "APPROVED":
            await conn.execute(SQL["repair_entry"], entry["id"])
        row = await conn.fetchrow(SQL["repairs"], False, application_id)
    assert row is not None  # decided just now, in this transaction
    return Case(row)


# -- subscriptions -----------------------------------------------------------------------


def institution_code(raw: str) -> str:
    code = normalise_identifier(raw)
    try:
        validate_uscc(code)
    except InvalidIdentifier as exc:
        raise DecisionRefused(str(exc)) from None
    return code


async def list_subscriptions(conn: Connection) -> list[Case]:
    return [Case(row) for row in await conn.fetch(SQL["subscriptions"])]


async def subscribe(conn: Connection, institution: str, *, on: date | None = None) -> date:
    """The institution receives notices from `on` (default today); the day it starts."""
    code = institution_code(institution)
    async with conn.transaction():
        today = await dl.today(conn)
        start = on or today
        if start < today:
            raise DecisionRefused(
                f"--from {start} is in the past: a subscription starts today or later"
            )
        try:
            await conn.execute(SQL["subscribe"], code, start)
        except (asyncpg.ExclusionViolationError, asyncpg.UniqueViolationError):
            raise DecisionRefused(
                f"{code} already subscribes to notices on {start}; see `creditgraph measures "
                "subscriptions`"
            ) from None
    return start


async def unsubscribe(conn: Connection, institution: str, *, on: date | None = None) -> date:
    """From `on` (default today) the institution receives no new notices; the day it stops."""
    code = institution_code(institution)
    async with conn.transaction():
        today = await dl.today(conn)
        last = on or today
        if last < today:
            raise DecisionRefused(f"--on {last} is in the past: a subscription ends today or later")
        current = await conn.fetchrow(SQL["current_subscription"], code)
        if current is None:
            raise DecisionRefused(f"{code} has no live or coming subscription to notices")
        if last <= current["subscribed_on"]:
            raise DecisionRefused(
                f"{code}'s subscription starts on {current['subscribed_on']}; end it after that"
            )
        if current["ended_on"] is not None and last >= current["ended_on"]:
            raise DecisionRefused(f"{code}'s subscription already ends on {current['ended_on']}")
        await conn.execute(SQL["end_subscription"], code, current["subscribed_on"], last)
    return last
