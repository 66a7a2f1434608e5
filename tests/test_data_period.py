"""A grant's data period holds the values derived from history, not only the history listed.

A bank holding a 6-month grant must learn nothing about months 7 to 24 from the credit
summary's 连三累六 flag, its overdue counts or the four nots; a 24-month grant sees them, and
the default (60 months, the whole history the bureau keeps) sees everything as before. The
oracle here is the domain's own table of look-backs (the edition oracle's `LOOK_BACK`),
written from what each signal means, not read from the policy; what a grant long enough
gets is compared with what the subject sees of their own file, which no grant limits. Every
test serves the gateway (every subgraph in process, the policy in front) over real HTTP to
real demo tokens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx
import pytest
from graphql import GraphQLObjectType, get_named_type

from creditgraph.access.policy import Policy, PolicyError
from creditgraph.commands import load_supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import PERSONA, WESTLAKE_BANK
from tests.edition_oracle import LOOK_BACK as DOMAIN_LOOK_BACK
from tests.http_app import bearer, listening_in_process
from tests.test_defer import ACCEPT_DEFER, merged, parts

LATE_PAYER = Requester("SUBJECT", PERSONA["late_payer"].identifier, None)
HUSBAND = Requester("SUBJECT", PERSONA["husband"].identifier, None)
WIFE = Requester("SUBJECT", PERSONA["wife"].identifier, None)
BANK = Requester("BANK", WESTLAKE_BANK.code, "loan officer 9")

# How far back each value derived from history looks, as the domain defines it (the edition
# oracle's table, written from what each signal means), at its place in the report
DERIVED_ROOTS: Final = ("creditSummary", "scores", "scoreHistory")
_PLACES: Final = {
    "Subject": (),
    "CreditSummary": ("creditSummary",),
    "FourNots": ("creditSummary", "fourNots"),
}
LOOK_BACK: Final[dict[tuple[str, ...], int]] = {
    (*_PLACES[coordinate.split(".")[0]], coordinate.split(".")[1]): months
    for coordinate, months in DOMAIN_LOOK_BACK.items()
    if coordinate.split(".")[0] in _PLACES and coordinate != "Subject.scoreHistory"
}
# Everything else in the summary stands as of now.
AS_OF_NOW: Final = (
    ("creditSummary", "accountCount"),
    ("creditSummary", "currentOverdueAccounts"),
    ("creditSummary", "badDebt"),
    ("creditSummary", "guaranteesGiven"),
    ("creditSummary", "fourNots", "notBlack"),
    ("creditSummary", "fourNots", "notTooMany"),
)
# the hard inquiries a bank's own look adds are the subject's to see after it, not before
MOVED_BY_THE_LOOK: Final = frozenset(path for path in LOOK_BACK if "Inquir" in path[-1])

SIGNALS = """
creditSummary {
  accountCount currentOverdueAccounts badDebt guaranteesGiven
  longestOverdueRun24m overdueMonths24m seriousDelinquency seriousDelinquencyAccounts
  hardInquiries6m hardInquiryWarning
  fourNots {
    passed notBlack { passed reasons } notWhite { passed reasons }
    notTooMany { passed reasons } notMessy { passed reasons }
  }
}
scores { value band reasons { code } model { scale } }
"""
REPORT = (
    "query($id: String!) { subject(identifier: $id, purpose: LOAN_APPROVAL) { " + SIGNALS + " } }"
)
OWN = "{ me { " + SIGNALS + " } }"
DEFERRED = (
    "query($id: String!) { subject(identifier: $id, purpose: LOAN_APPROVAL) "
    '{ name ... @defer(label: "later") { ' + SIGNALS + " } } }"
)
SPOUSES = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    creditSummary { seriousDelinquency }
    spouse { identifier creditSummary { seriousDelinquency overdueMonths24m accountCount } }
  }
}
"""
GRANT = """
mutation($bank: String!, $months: Int) {
  grantConsent(grantee: $bank, purpose: LOAN_APPROVAL, dataPeriodMonths: $months) {
    dataPeriodMonths
  }
}
"""


@pytest.fixture
async def url(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[str]:
    async with listening_in_process(writable_pool, tmp_path) as found:
        yield found


async def ask(
    url: str,
    home: Path,
    who: Requester,
    query: str,
    variables: dict[str, Any] | None = None,
    accept: str = "application/json",
) -> httpx.Response:
    headers = bearer(home, who.role, who.identifier, who.operator, who.representative)
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.post(
            url,
            json={"query": query, "variables": variables or {}},
            headers={**headers, "accept": accept},
        )


async def grant(url: str, home: Path, subject: Requester, months: int | None) -> None:
    answer = await ask(url, home, subject, GRANT, {"bank": BANK.identifier, "months": months})
    body = answer.json()
    assert "errors" not in body, body
    assert body["data"]["grantConsent"]["dataPeriodMonths"] == (months or 60)


def at(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def withheld(body: dict[str, Any], prefix: tuple[str, ...]) -> dict[tuple[str, ...], Any]:
    """The extensions of each error, by its path below `prefix`."""
    found = {}
    for item in body.get("errors", []):
        path = tuple(item["path"])
        assert path[: len(prefix)] == prefix, item
        found[path[len(prefix) :]] = item["extensions"]
    return found


def expected_errors(months: int) -> dict[tuple[str, ...], dict[str, Any]]:
    return {
        path: {
            "code": "CONSENT_REQUIRED",
            "edition": "BANK",
            "dataPeriodMonths": months,
            "windowMonths": window,
        }
        for path, window in LOOK_BACK.items()
        if window > months
    }


def check_against_own(
    seen: dict[str, Any], errors: dict[tuple[str, ...], Any], own: dict[str, Any], months: int
) -> None:
    """What the bank sees under a `months` grant, against what the subject sees of it."""
    assert errors == expected_errors(months)
    for path, window in LOOK_BACK.items():
        if window > months:
            assert at(seen, path) is None, path
        elif path == ("scores",):
            # the bank edition shows the bureau's own score, as the subject sees it
            bureau = [score for score in own["scores"] if score["model"]["scale"] == "BUREAU"]
            assert at(seen, path) == bureau
        elif path not in MOVED_BY_THE_LOOK:
            assert at(seen, path) == at(own, path), path
        else:
            assert at(seen, path) is not None, path
    for path in AS_OF_NOW:
        assert at(seen, path) == at(own, path), path


@pytest.mark.parametrize("months", [6, 11, 12, 24, 59, None])
async def test_a_derived_value_is_shown_only_under_a_data_period_that_reaches_its_window(
    url: str, tmp_path: Path, months: int | None
) -> None:
    """The late payer's 连三累六 mark is about months a 6-month grant does not reach: the
    bank gets the flag and the counts null with the reason; the current state it still gets
    as the subject sees it. A 24-month grant gets the mark; the default gets all as before."""
    await grant(url, tmp_path, LATE_PAYER, months)
    variables = {"id": LATE_PAYER.identifier}
    await ask(url, tmp_path, BANK, REPORT, variables)  # the look that counts, once per grant
    own = (await ask(url, tmp_path, LATE_PAYER, OWN)).json()
    assert "errors" not in own, own
    body = (await ask(url, tmp_path, BANK, REPORT, variables)).json()
    seen = body["data"]["subject"]
    check_against_own(seen, withheld(body, ("subject",)), own["data"]["me"], months or 60)
    if months is None:
        # the mark the seed gave the late payer, and the score, under the default grant
        assert seen["creditSummary"]["seriousDelinquency"] is True
        assert seen["scores"]


async def test_the_subjects_own_view_is_held_to_no_data_period(url: str, tmp_path: Path) -> None:
    """A subject's own file is theirs whole, whatever data periods their grants name."""
    await grant(url, tmp_path, LATE_PAYER, 1)
    own = (await ask(url, tmp_path, LATE_PAYER, OWN)).json()
    assert "errors" not in own, own
    for path in LOOK_BACK:
        assert at(own["data"]["me"], path) is not None, path
    assert own["data"]["me"]["creditSummary"]["seriousDelinquency"] is True


async def test_a_deferred_part_is_held_to_the_data_period_as_the_whole_answer_is(
    url: str, tmp_path: Path
) -> None:
    await grant(url, tmp_path, LATE_PAYER, 6)
    variables = {"id": LATE_PAYER.identifier}
    await ask(url, tmp_path, BANK, REPORT, variables)
    own = (await ask(url, tmp_path, LATE_PAYER, OWN)).json()
    response = await ask(url, tmp_path, BANK, DEFERRED, variables, ACCEPT_DEFER)
    payloads = parts(response)
    assert len(payloads) == 2
    body = merged(payloads)
    seen = body["data"]["subject"]
    check_against_own(seen, withheld(body, ("subject",)), own["data"]["me"], 6)


@pytest.mark.parametrize(("husband", "wife"), [(60, 6), (6, 60), (24, 24)])
async def test_a_reached_subject_is_held_to_the_shorter_data_period(
    url: str, tmp_path: Path, husband: int, wife: int
) -> None:
    """The wife's summary, reached from her husband's report (fetched with it, or again by
    her key), looks back no further than both the report's grant and her own allow."""
    await grant(url, tmp_path, HUSBAND, husband)
    await grant(url, tmp_path, WIFE, wife)
    body = (await ask(url, tmp_path, BANK, SPOUSES, {"id": HUSBAND.identifier})).json()
    seen = body["data"]["subject"]
    assert seen["spouse"]["identifier"] == WIFE.identifier
    assert seen["spouse"]["creditSummary"]["accountCount"] is not None
    errors = withheld(body, ("subject",))
    shorter = min(husband, wife)
    expected: dict[tuple[str, ...], int] = {}
    if husband < 24:
        expected[("creditSummary", "seriousDelinquency")] = husband
    if shorter < 24:
        for name in ("seriousDelinquency", "overdueMonths24m"):
            expected[("spouse", "creditSummary", name)] = shorter
            assert seen["spouse"]["creditSummary"][name] is None
    else:
        assert seen["spouse"]["creditSummary"]["overdueMonths24m"] is not None
    assert {path: found["dataPeriodMonths"] for path, found in errors.items()} == expected
    assert {found["code"] for found in errors.values()} <= {"CONSENT_REQUIRED"}


def test_every_field_of_a_derived_type_declares_how_far_back_it_looks() -> None:
    """Walking the served schema from the summary and the scores down: every type on the way
    names a window for each of its fields; a field added without one is refused at load, and
    were the policy served unchecked, it would reach the whole history."""
    schema = api_schema(load_supergraph(supergraph_path()))
    policy = Policy.load(policy_path())
    policy.check(schema)
    subject = schema.type_map["Subject"]
    assert isinstance(subject, GraphQLObjectType)
    pending = [get_named_type(subject.fields[name].type) for name in DERIVED_ROOTS]
    walked: set[str] = set()
    while pending:
        type_ = pending.pop()
        if not isinstance(type_, GraphQLObjectType) or type_.name in walked:
            continue
        walked.add(type_.name)
        for name, field in type_.fields.items():
            assert name in policy.windows.get(type_.name, {}), f"{type_.name}.{name}"
            pending.append(get_named_type(field.type))
    assert {"CreditSummary", "FourNots", "NotCheck", "ScoreObservation"} <= walked
    # what looks back before the data month is what the domain says, and nothing else
    declared = {
        f"{type_name}.{name}": months
        for type_name, fields in policy.windows.items()
        for name, months in fields.items()
        if months > 1
    }
    assert declared == dict(DOMAIN_LOOK_BACK)
    text = policy_path().read_text(encoding="utf-8")
    added = text.replace("seriousDelinquencyAccounts = 24\n", "")
    with pytest.raises(PolicyError, match="seriousDelinquencyAccounts of a derived type declares"):
        Policy.parse(added).check(schema)
    assert Policy.parse(added).window("CreditSummary", "seriousDelinquencyAccounts") == 60
    # a non-null field that looks back further than the field reaching it would null its parent
    widened = text.replace("accountCount = 1\n", "accountCount = 24\n")
    with pytest.raises(PolicyError, match="accountCount is non-null, yet looks back further"):
        Policy.parse(widened).check(schema)


@pytest.mark.parametrize("months", ["0", "61", "true", '"24"', "6.5"])
def test_a_window_is_a_whole_number_of_months_the_bureau_keeps(months: str) -> None:
    """A window of no months, past the history kept, or not a whole number is refused at
    load with the place it was written, never read as no window or as a shorter one."""
    text = policy_path().read_text(encoding="utf-8")
    broken = text.replace("seriousDelinquency = 24\n", f"seriousDelinquency = {months}\n")
    assert broken != text
    with pytest.raises(PolicyError, match=r"windows\.CreditSummary\.seriousDelinquency must be"):
        Policy.parse(broken)
