"""Inquiries are fair to the subject: polling under one grant counts as one hard inquiry.

A lender that looks at a report seven times for one purpose under one grant has made
one credit decision, not seven: the subject sees all seven looks, each saying whether
it counted, and their hard-inquiry count, warning, four-nots verdict and bureau score
move as for one. Looks under another grant, or for another purpose, count on their own.
Played over real HTTP against the gateway and the seeded demo data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from creditgraph.requester import Requester
from creditgraph.scores.recompute import recompute_bureau_scores
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, WESTLAKE_BANK
from tests.test_requester_forwarding import Stack, running_stack
from tests.test_requester_forwarding import db as _writable_db

db = _writable_db
"""The fixture: a connection to the test's own copy of the seeded database."""

SUBJECT = Requester("SUBJECT", PERSONA["model_borrower"].identifier, None)
WESTLAKE = Requester("BANK", WESTLAKE_BANK.code, "loan officer 7")
EASTBRIDGE = Requester("BANK", EASTBRIDGE_BANK.code, "card desk 2")

GRANT = """
mutation($bank: String!, $purpose: InquiryPurpose!) {
  grantConsent(grantee: $bank, purpose: $purpose) { id }
}
"""
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { id } }"
LOOK = """
query($id: String!, $purpose: InquiryPurpose!) {
  subject(identifier: $id, purpose: $purpose) { name }
}
"""
MY_FILE = """
{
  me {
    creditSummary {
      hardInquiries6m hardInquiryWarning fourNots { notMessy { passed } }
    }
    inquiries(first: 100) { totalCount nodes { id requesterCode purpose counted } }
  }
}
"""


@pytest.fixture
def stack(writable_seeded_database_url: str, tmp_path: Path) -> Iterator[Stack]:
    yield from running_stack(writable_seeded_database_url, tmp_path / "home", in_process=True)


async def _ok(stack: Stack, requester: Requester, query: str, **variables: Any) -> Any:
    answer = await stack.ask(requester, query, variables)
    assert "errors" not in answer, answer
    return answer["data"]


async def _grant(stack: Stack, bank: Requester, purpose: str) -> str:
    data = await _ok(stack, SUBJECT, GRANT, bank=bank.identifier, purpose=purpose)
    grant_id: str = data["grantConsent"]["id"]
    return grant_id


async def _look(stack: Stack, bank: Requester, purpose: str, times: int) -> None:
    for _ in range(times):
        await _ok(stack, bank, LOOK, id=SUBJECT.identifier, purpose=purpose)


async def _my_file(stack: Stack) -> dict[str, Any]:
    me: dict[str, Any] = (await _ok(stack, SUBJECT, MY_FILE))["me"]
    return me


def _new(after: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    """The looks listed now that were not before (self reads included)."""
    seen = {item["id"] for item in before["inquiries"]["nodes"]}
    return [item for item in after["inquiries"]["nodes"] if item["id"] not in seen]


def _lenders(looks: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return sorted(
        (item["requesterCode"], item["purpose"], item["counted"])
        for item in looks
        if item["purpose"] != "SELF"
    )


async def test_seven_looks_under_one_grant_count_as_one_and_all_seven_are_listed(
    stack: Stack,
) -> None:
    before = await _my_file(stack)
    summary = before["creditSummary"]
    await _grant(stack, WESTLAKE, "LOAN_APPROVAL")
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 7)

    after = await _my_file(stack)
    assert _lenders(_new(after, before)) == [
        (WESTLAKE.identifier, "LOAN_APPROVAL", False),
    ] * 6 + [(WESTLAKE.identifier, "LOAN_APPROVAL", True)]
    assert after["creditSummary"] == {
        **summary,
        "hardInquiries6m": summary["hardInquiries6m"] + 1,
    }
    # the model borrower's file has room for one more without a warning, not for seven
    assert summary["hardInquiries6m"] + 7 > 5 >= summary["hardInquiries6m"] + 1


async def test_looks_under_two_grants_or_for_two_purposes_count_separately(
    stack: Stack,
) -> None:
    before = await _my_file(stack)
    first = await _grant(stack, WESTLAKE, "LOAN_APPROVAL")
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 2)
    # the same bank, another purpose: another grant, another decision
    await _grant(stack, WESTLAKE, "CREDIT_CARD_APPROVAL")
    await _look(stack, WESTLAKE, "CREDIT_CARD_APPROVAL", 2)
    # the same bank and purpose under a grant given again after revoking the first
    await _ok(stack, SUBJECT, REVOKE, id=first)
    await _grant(stack, WESTLAKE, "LOAN_APPROVAL")
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 2)
    # another bank, the same purpose
    await _grant(stack, EASTBRIDGE, "LOAN_APPROVAL")
    await _look(stack, EASTBRIDGE, "LOAN_APPROVAL", 2)

    after = await _my_file(stack)
    assert _lenders(_new(after, before)) == sorted(
        [
            (WESTLAKE.identifier, "LOAN_APPROVAL", True),
            (WESTLAKE.identifier, "LOAN_APPROVAL", False),
            (WESTLAKE.identifier, "CREDIT_CARD_APPROVAL", True),
            (WESTLAKE.identifier, "CREDIT_CARD_APPROVAL", False),
            (WESTLAKE.identifier, "LOAN_APPROVAL", True),
            (WESTLAKE.identifier, "LOAN_APPROVAL", False),
            (EASTBRIDGE.identifier, "LOAN_APPROVAL", True),
            (EASTBRIDGE.identifier, "LOAN_APPROVAL", False),
        ]
    )
    counted = after["creditSummary"]["hardInquiries6m"] - before["creditSummary"]["hardInquiries6m"]
    assert counted == 4


async def _bureau_score(db: asyncpg.Connection, at: datetime) -> tuple[int, list[str]]:
    """The bureau score recomputed as of `at`, with its reason codes."""
    await recompute_bureau_scores(db, at=at)
    row = await db.fetchrow(
        "select o.id, o.value from scores.observations o "
        "join scores.models m on m.id = o.model_id "
        "where o.subject_identifier = $1 and o.observed_at = $2 and m.scale = 'BUREAU'",
        SUBJECT.identifier,
        at,
    )
    assert row is not None
    reasons = await db.fetch(
        "select code from scores.reasons where observation_id = $1 order by rank", row["id"]
    )
    return row["value"], [reason["code"] for reason in reasons]


async def test_polling_under_one_grant_cannot_move_the_bureau_score(
    stack: Stack, db: asyncpg.Connection
) -> None:
    await _grant(stack, WESTLAKE, "LOAN_APPROVAL")
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 1)
    now = datetime.now(UTC)
    once = await _bureau_score(db, now)
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 6)
    assert await _bureau_score(db, now + timedelta(seconds=1)) == once

    # the control: looks under other grants are other decisions, and the score sees them
    for bank, purpose in [
        (WESTLAKE, "CREDIT_CARD_APPROVAL"),
        (WESTLAKE, "GUARANTEE_CHECK"),
        (EASTBRIDGE, "LOAN_APPROVAL"),
        (EASTBRIDGE, "CREDIT_CARD_APPROVAL"),
        (EASTBRIDGE, "GUARANTEE_CHECK"),
    ]:
        await _grant(stack, bank, purpose)
        await _look(stack, bank, purpose, 1)
    # scored as of after the last of those looks, however long they took
    after = max(datetime.now(UTC), now + timedelta(seconds=2))
    assert (await _bureau_score(db, after))[0] < once[0]


PAGE = """
query($first: Int, $after: String) {
  me {
    inquiries(first: $first, after: $after) {
      totalCount
      nodes { id counted }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


async def test_the_inquiry_list_pages_through_every_look_newest_first(stack: Stack) -> None:
    """Read a page at a time: each look once, newest first, with the whole list's length."""
    await _grant(stack, WESTLAKE, "LOAN_APPROVAL")
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 7)
    whole = (await _ok(stack, SUBJECT, PAGE, first=100))["me"]["inquiries"]
    assert whole["pageInfo"]["hasNextPage"] is False
    assert whole["totalCount"] == len(whole["nodes"]) >= 7

    whole_ids = [item["id"] for item in whole["nodes"]]

    # each read is itself a look, recorded after it is answered: the list grows at its
    # front while it is paged, and the cursors, naming looks, not offsets, carry on past it
    seen: list[str] = []
    after = None
    requests = 0
    while True:
        listed = (await _ok(stack, SUBJECT, PAGE, first=3, after=after))["me"]["inquiries"]
        requests += 1
        assert listed["totalCount"] == whole["totalCount"] + requests
        assert listed["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert len(listed["nodes"]) == 3 or not listed["pageInfo"]["hasNextPage"]
        seen += [item["id"] for item in listed["nodes"]]
        if not listed["pageInfo"]["hasNextPage"]:
            break
        after = listed["pageInfo"]["endCursor"]
    # the look of the whole-list read first, then every look the whole list held, once
    assert seen[1:] == whole_ids


async def test_a_cursor_from_another_subjects_list_is_refused(stack: Stack) -> None:
    await _grant(stack, WESTLAKE, "LOAN_APPROVAL")
    await _look(stack, WESTLAKE, "LOAN_APPROVAL", 2)
    listed = (await _ok(stack, SUBJECT, PAGE, first=1))["me"]["inquiries"]
    cursor = listed["pageInfo"]["endCursor"]
    other = Requester("SUBJECT", PERSONA["husband"].identifier, None)
    answer = await stack.ask(other, PAGE, {"first": 1, "after": cursor})
    assert [item["extensions"] for item in answer["errors"]] == [
        {"code": "BAD_USER_INPUT", "argument": "after"}
    ]
