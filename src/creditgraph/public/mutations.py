"""The subject's acts on their own red and black list entries.

- objectToListEntry: in an entry's public notice period the subject objects,
  with a reason; the entry is held (OBJECTED) until the listing body answers
  (`creditgraph objections answer`).
- applyForCreditRepair (信用修复): once an entry is in force the subject applies
  to leave the list early, with evidence that the behaviour is corrected; the
  listing body approves or refuses (`creditgraph repairs decide`).

Each acts only on the requester's own entries: an entry that does not exist
and one on another subject's record are refused alike, so the answer never
tells whether another's entry exists. Each is one write in the transaction
the gateway lends (subgraphs/writing.py), so it commits with the request's
audit entry; a refusal is BAD_USER_INPUT naming the argument, with nothing
written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import strawberry

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.public.enums import ListEntryState, ObjectionOutcome
from creditgraph.public.types import ListObjection, RepairApplication, list_entry_state
from creditgraph.subgraphs import writing
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import BadUserInput, check_id

SQL = load_queries(Path(__file__).with_name("writes.sql"))
MAX_TEXT: Final = 2000


@dataclass(frozen=True, slots=True)
class OwnEntry:
    conn: DatabaseConnection
    id: int
    state: ListEntryState
    notice_starts_on: date
    notice_ends_on: date
    today: date


def _text(argument: str, value: str) -> str:
    said = value.strip()
    if not said or len(said) > MAX_TEXT:
        raise BadUserInput(f"{argument} must be 1 to {MAX_TEXT} characters", argument=argument)
    return said


@asynccontextmanager
async def own_entry(info: Info, entry_id: str) -> AsyncIterator[OwnEntry]:
    """The requester's own list entry, locked in the write's transaction."""
    identifier = info.context.acting_as("SUBJECT").identifier
    number = check_id(entry_id, argument="entryId")
    async with writing.write(info.context) as conn:
        row = await conn.fetchrow(SQL["lock_own_entry"], number, identifier)
        if row is None:
            raise BadUserInput(f"no list entry {entry_id} is on your record", argument="entryId")
        outcome = row["objection_outcome"]
        state = list_entry_state(
            notice_ends_on=row["notice_ends_on"],
            objection_filed_on=row["objection_filed_on"],
            objection_outcome=None if outcome is None else ObjectionOutcome(outcome),
            effective_on=row["effective_on"],
            exited_on=row["exited_on"],
            today=row["today"],
        )
        yield OwnEntry(
            conn, number, state, row["notice_starts_on"], row["notice_ends_on"], row["today"]
        )


async def object_to_entry(info: Info, entry_id: str, reason: str) -> ListObjection:
    said = _text("reason", reason)
    async with own_entry(info, entry_id) as entry:
        in_period = entry.notice_starts_on <= entry.today <= entry.notice_ends_on
        if entry.state is not ListEntryState.IN_NOTICE or not in_period:
            raise BadUserInput(
                f"list entry {entry_id} is {entry.state.value}: an objection is filed in its "
                f"notice period, {entry.notice_starts_on} to {entry.notice_ends_on}",
                argument="entryId",
            )
        row = await entry.conn.fetchrow(SQL["insert_objection"], entry.id, said)
        if row is None:
            raise BadUserInput(
                f"you have already objected to list entry {entry_id}", argument="entryId"
            )
        await entry.conn.execute(SQL["mark_objected"], entry.id)
    return ListObjection.from_row(row)


async def apply_for_repair(info: Info, entry_id: str, evidence: str) -> RepairApplication:
    given = _text("evidence", evidence)
    async with own_entry(info, entry_id) as entry:
        if entry.state is not ListEntryState.IN_FORCE:
            raise BadUserInput(
                f"list entry {entry_id} is {entry.state.value}: credit repair is for an entry "
                "in force",
                argument="entryId",
            )
        row = await entry.conn.fetchrow(SQL["insert_repair_application"], entry.id, given)
        if row is None:
            raise BadUserInput(
                f"your application for repair of list entry {entry_id} is still waiting for "
                "the listing body's decision",
                argument="entryId",
            )
    return RepairApplication.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The subject objects to one of their own red or black list entries in its "
        "public notice period, with a reason (1-2000 characters): the entry is held (OBJECTED) "
        "until the listing body answers. One objection per entry."
    )
    async def object_to_list_entry(
        self, info: Info, entry_id: strawberry.ID, reason: str
    ) -> ListObjection:
        return await object_to_entry(info, str(entry_id), reason)

    @strawberry.mutation(
        description="The subject applies for credit repair (信用修复) of one of their own list "
        "entries in force, with evidence that the behaviour is corrected (1-2000 characters). "
        "If the listing body approves, the entry and its measures end that day."
    )
    async def apply_for_credit_repair(
        self, info: Info, entry_id: strawberry.ID, evidence: str
    ) -> RepairApplication:
        return await apply_for_repair(info, str(entry_id), evidence)
