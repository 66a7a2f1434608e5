"""Answers that disclose nothing: a predicate shared, asked, answered yes or no, and seen.

The API tests serve the gateway (every subgraph in process, the edition policy in front)
with uvicorn on 127.0.0.1 over a copy of the seeded database, and play the subject and the
institutions with real demo tokens over real HTTP. The catalogue's own rules are tried on
catalogues written for the test, checked against the served schema and policy.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from creditgraph.access.policy import Policy
from creditgraph.eligibility import catalogue
from creditgraph.eligibility.catalogue import PredicateError, Unanswerable
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.supergraph import Supergraph
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU, WESTLAKE_BANK
from tests.http_app import listening_in_process
from tests.test_consent import Gateway

HUSBAND = Requester("SUBJECT", PERSONA["husband"].identifier, None)
DEBTOR = Requester("SUBJECT", PERSONA["debtor"].identifier, None)
EASTBRIDGE = Requester("BANK", EASTBRIDGE_BANK.code, "rental desk 3")
WESTLAKE = Requester("BANK", WESTLAKE_BANK.code, "loan officer 9")
TAX = Requester("GOVERNMENT", TAX_BUREAU.code, None)

SHARE = """mutation($requester: String!, $predicate: String!, $purpose: String!, $until: DateTime) {
  shareEligibility(requester: $requester, predicate: $predicate, purpose: $purpose,
                   validUntil: $until) {
    id requesterCode requesterName predicate purpose state validUntil grantorIdentifier } }"""
WITHDRAW = "mutation($id: ID!) { withdrawEligibility(id: $id) { id state withdrawnAt } }"
ASK = """query($subject: String!, $predicate: String!, $purpose: String!) {
  eligibility(subject: $subject, predicate: $predicate, purpose: $purpose) {
    answerId holds predicate purpose subject answeredAt __typename } }"""
MINE = """{ me {
  eligibilityShares { id predicate purpose requesterCode state }
  eligibilityAnswers { id shareId requesterCode requesterName operator predicate purpose holds }
  inquiries(first: 5) { nodes { purpose edition requesterCode answerId hard counted } }
} }"""


@pytest.fixture
async def gateway(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Gateway]:
    async with listening_in_process(writable_pool, tmp_path) as url:
        yield Gateway(url, tmp_path)


async def share(
    gateway: Gateway, who: Requester, predicate: str, purpose: str, requester: str
) -> dict[str, Any]:
    answer = await gateway.ask(
        who, SHARE, {"requester": requester, "predicate": predicate, "purpose": purpose}
    )
    assert "errors" not in answer.body, answer.body
    shared: dict[str, Any] = answer.data["shareEligibility"]
    return shared


def asking(subject: Requester, predicate: str, purpose: str) -> dict[str, str]:
    return {"subject": subject.identifier, "predicate": predicate, "purpose": purpose}


async def answers_kept(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval("select count(*) from gateway.eligibility_answers")
    return count


# -- shared, asked, answered, seen ---------------------------------------------------------------


async def test_the_institution_gets_yes_or_no_and_the_subject_sees_the_answer(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    shared = await share(
        gateway, HUSBAND, "CITY_SCORE_650", "DEPOSIT_FREE_RENTAL", EASTBRIDGE_BANK.code
    )
    assert (shared["state"], shared["requesterCode"], shared["grantorIdentifier"]) == (
        "ACTIVE",
        EASTBRIDGE_BANK.code,
        HUSBAND.identifier,
    )

    asked = await gateway.ask(
        EASTBRIDGE, ASK, asking(HUSBAND, "CITY_SCORE_650", "DEPOSIT_FREE_RENTAL")
    )
    assert "errors" not in asked.body, asked.body
    result = asked.data["eligibility"]
    assert result["holds"] is True  # his city score is 740
    assert (result["predicate"], result["purpose"], result["subject"]) == (
        "CITY_SCORE_650",
        "DEPOSIT_FREE_RENTAL",
        HUSBAND.identifier,
    )
    assert result["__typename"] == "EligibilityResult"
    # nothing of what the answer was read from: no score, no band
    assert "740" not in str(asked.body)
    assert "EXCELLENT" not in str(asked.body)

    mine = (await gateway.ask(HUSBAND, MINE)).data["me"]
    (answer,) = mine["eligibilityAnswers"]
    assert answer == {
        "id": result["answerId"],
        "shareId": shared["id"],
        "requesterCode": EASTBRIDGE_BANK.code,
        "requesterName": EASTBRIDGE_BANK.name,
        "operator": "rental desk 3",
        "predicate": "CITY_SCORE_650",
        "purpose": "DEPOSIT_FREE_RENTAL",
        "holds": True,
    }
    # an inquiry of its own kind on his list: no edition shown, not a hard look
    look = next(item for item in mine["inquiries"]["nodes"] if item["purpose"] == "ELIGIBILITY")
    assert look == {
        "purpose": "ELIGIBILITY",
        "edition": None,
        "requesterCode": EASTBRIDGE_BANK.code,
        "answerId": result["answerId"],
        "hard": False,
        "counted": False,
    }
    entry = await writable_pool.fetchrow(
        "select decision, subjects, fields, detail from gateway.audit_log "
        "where requester = $1 order by seq desc limit 1",
        EASTBRIDGE_BANK.code,
    )
    assert entry is not None
    assert (entry["decision"], list(entry["subjects"]), list(entry["fields"])) == (
        "ALLOWED",
        [HUSBAND.identifier],
        ["Query.eligibility"],
    )
    assert result["answerId"] in entry["detail"]


async def test_a_predicate_that_does_not_hold_is_a_plain_no(gateway: Gateway) -> None:
    await share(gateway, DEBTOR, "NO_DISHONEST_LISTING", "SHARED_MOBILITY", WESTLAKE_BANK.code)
    await share(gateway, DEBTOR, "CITY_SCORE_650", "SHARED_MOBILITY", WESTLAKE_BANK.code)
    listing = await gateway.ask(
        WESTLAKE, ASK, asking(DEBTOR, "NO_DISHONEST_LISTING", "SHARED_MOBILITY")
    )
    assert listing.data["eligibility"]["holds"] is False
    # a government body the subject shared with asks as well
    await share(gateway, HUSBAND, "NOTHING_OVERDUE", "PUBLIC_HOUSING", TAX_BUREAU.code)
    housing = await gateway.ask(TAX, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "PUBLIC_HOUSING"))
    assert housing.data["eligibility"]["holds"] is True


async def test_without_a_live_share_nothing_is_answered(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    never = await gateway.ask(EASTBRIDGE, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD"))
    assert never.data == {"eligibility": None}
    assert never.codes == ["CONSENT_REQUIRED"]
    assert "has not shared" in never.message()

    shared = await share(gateway, HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD", EASTBRIDGE_BANK.code)
    # another institution, or another purpose, is not what the subject shared
    other_bank = await gateway.ask(
        WESTLAKE, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD")
    )
    other_purpose = await gateway.ask(
        EASTBRIDGE, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "PUBLIC_HOUSING")
    )
    assert other_bank.codes == other_purpose.codes == ["CONSENT_REQUIRED"]

    withdrawn = await gateway.ask(HUSBAND, WITHDRAW, {"id": shared["id"]})
    assert withdrawn.data["withdrawEligibility"]["state"] == "WITHDRAWN"
    after = await gateway.ask(EASTBRIDGE, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD"))
    assert after.codes == ["CONSENT_REQUIRED"]
    assert "withdrew" in after.message()

    lapsing = await share(gateway, HUSBAND, "NOT_BLACKLISTED", "LIBRARY_CARD", EASTBRIDGE_BANK.code)
    await writable_pool.execute(
        "update gateway.eligibility_shares set valid_from = now() - interval '2 days', "
        "valid_until = now() - interval '1 day' where id = $1",
        lapsing["id"],
    )
    expired = await gateway.ask(EASTBRIDGE, ASK, asking(HUSBAND, "NOT_BLACKLISTED", "LIBRARY_CARD"))
    assert expired.codes == ["CONSENT_REQUIRED"]
    assert "expired" in expired.message()
    assert await answers_kept(writable_pool) == 0
    refusals = await writable_pool.fetch(
        "select decision, subjects, detail from gateway.audit_log "
        "where requester = any($1::text[]) order by seq",
        [EASTBRIDGE_BANK.code, WESTLAKE_BANK.code],
    )
    assert [row["decision"] for row in refusals] == ["DENIED"] * 5
    assert all(list(row["subjects"]) == [HUSBAND.identifier] for row in refusals)
    assert all("CONSENT_REQUIRED" in row["detail"] for row in refusals)


async def test_only_an_institution_asks_and_only_what_the_catalogue_holds(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    own = await gateway.ask(HUSBAND, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD"))
    assert own.codes == ["FORBIDDEN_FIELD"]
    unknown = await gateway.ask(EASTBRIDGE, ASK, asking(HUSBAND, "RICH", "LIBRARY_CARD"))
    assert unknown.codes == ["BAD_USER_INPUT"]
    assert "CITY_SCORE_650" in unknown.message()
    bad = await gateway.ask(
        EASTBRIDGE,
        ASK,
        {
            "subject": "330106198604121514",
            "predicate": "NOTHING_OVERDUE",
            "purpose": "LIBRARY_CARD",
        },
    )
    assert bad.codes == ["BAD_USER_INPUT"]
    assert await answers_kept(writable_pool) == 0


async def test_sharing_is_the_subjects_own_act_within_the_rules(gateway: Gateway) -> None:
    variables = {
        "requester": EASTBRIDGE_BANK.code,
        "predicate": "NOTHING_OVERDUE",
        "purpose": "LIBRARY_CARD",
    }
    by_bank = await gateway.ask(EASTBRIDGE, SHARE, variables)
    assert by_bank.codes == ["FORBIDDEN_FIELD"]
    for argument, value in (
        ("predicate", "RICH"),
        ("purpose", "HOLIDAY"),
        ("requester", "91110000MA01XXXXX0"),
        ("until", "2099-01-01T00:00:00+08:00"),
    ):
        refused = await gateway.ask(HUSBAND, SHARE, {**variables, argument: value})
        assert refused.codes == ["BAD_USER_INPUT"], argument
        assert refused.body["errors"][0]["extensions"]["argument"] == (
            "validUntil" if argument == "until" else argument
        )
    first = await share(gateway, HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD", EASTBRIDGE_BANK.code)
    again = await gateway.ask(HUSBAND, SHARE, variables)
    assert again.codes == ["BAD_USER_INPUT"]
    assert "withdraw" in again.message()
    # someone else's share is not theirs to withdraw, and a withdrawn one stays withdrawn
    assert (await gateway.ask(DEBTOR, WITHDRAW, {"id": first["id"]})).codes == ["BAD_USER_INPUT"]
    await gateway.ask(HUSBAND, WITHDRAW, {"id": first["id"]})
    twice = await gateway.ask(HUSBAND, WITHDRAW, {"id": first["id"]})
    assert twice.codes == ["BAD_USER_INPUT"]
    assert "WITHDRAWN" in twice.message()
    # once withdrawn, the same predicate can be shared again
    await share(gateway, HUSBAND, "NOTHING_OVERDUE", "LIBRARY_CARD", EASTBRIDGE_BANK.code)


async def test_a_bank_sees_no_one_elses_answers_on_a_report(gateway: Gateway) -> None:
    await share(gateway, HUSBAND, "NOTHING_OVERDUE", "CREDIT_APPLICATION", WESTLAKE_BANK.code)
    await gateway.ask(WESTLAKE, ASK, asking(HUSBAND, "NOTHING_OVERDUE", "CREDIT_APPLICATION"))
    report = await gateway.ask(
        EASTBRIDGE,
        """query($id: String!) { subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
          inquiries(first: 5) { nodes { purpose requesterCode answerId } }
          eligibilityAnswers { id } eligibilityShares { id } } }""",
        {"id": HUSBAND.identifier},
    )
    looks = report.data["subject"]["inquiries"]["nodes"]
    answered = [item for item in looks if item["purpose"] == "ELIGIBILITY"]
    assert answered
    assert all(item["answerId"] is None for item in answered)
    assert all(item["requesterCode"] != WESTLAKE_BANK.code for item in answered)
    assert report.data["subject"]["eligibilityAnswers"] is None
    assert report.data["subject"]["eligibilityShares"] is None
    assert sorted(set(report.codes)) == ["FORBIDDEN_FIELD"]


# -- the catalogue --------------------------------------------------------------------------------


def served() -> tuple[Any, Policy]:
    schema = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
    return schema, Policy.load(policy_path())


def test_the_shipped_catalogue_fits_the_served_schema_and_is_documented() -> None:
    found = catalogue.shipped()
    found.check(*served())
    documented = (Path(__file__).parents[1] / "docs" / "predicates.md").read_text("utf-8")
    assert documented == found.markdown(), "run: creditgraph predicates --out docs/predicates.md"


PURPOSE = '[purposes.LIBRARY_CARD]\nen = "a library card"\nzh = "借书证"\n'


@pytest.mark.parametrize(
    ("predicate", "problem"),
    [
        (
            'select = "accounts { nodes { account { balance } } }"\n'
            'path = "accounts.nodes.account.balance"',
            "reaches a CreditAccount",
        ),
        ('select = "spouse { name }"\npath = "spouse.name"', "reaches a Subject"),
        ('select = "scores { value }"\npath = "scores.band"', "is not a value the select reads"),
        ('select = "scores { worth }"\npath = "scores.worth"', "Cannot query field"),
        ('select = "s: blacklisted"\npath = "s"', "no aliases"),
        ('select = "blacklisted"\npath = "blacklisted"', "never a Boolean"),
    ],
)
def test_a_predicate_that_could_not_be_answered_stops_the_start(
    predicate: str, problem: str
) -> None:
    text = (
        f'[predicates.PQ]\nen = "q"\nzh = "问"\n{predicate}\ntest = "equals"\nvalue = 1\n{PURPOSE}'
    )
    with pytest.raises(PredicateError, match=re.escape(problem)):
        catalogue.parse_catalogue(text).check(*served())


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('test = "more"', "test must be one of"),
        ('test = "at_least"\nvalue = "650"', "compares with a number"),
        ('test = "none"\nvalue = 0', "compares with no value"),
        ('test = "equals"', "needs a value"),
    ],
)
def test_a_malformed_predicate_is_refused_with_its_rule(body: str, problem: str) -> None:
    read = 'select = "blacklisted"\npath = "blacklisted"'
    text = f'[predicates.PQ]\nen = "q"\nzh = "问"\n{read}\n{body}\n{PURPOSE}'
    with pytest.raises(PredicateError, match=problem):
        catalogue.parse_catalogue(text)


def test_answers_are_read_whole_or_not_given() -> None:
    found = catalogue.shipped().predicates
    city, listing = found["CITY_SCORE_650"], found["NO_DISHONEST_LISTING"]
    assert city.holds({"scores": [{"value": 650}]}) is True
    assert city.holds({"scores": [{"value": 649}]}) is False
    assert city.holds({"scores": []}) is False  # no city score is not a score of 650
    assert listing.holds({"dishonestListings": []}) is True
    assert listing.holds({"dishonestListings": [{"id": "4"}]}) is False
    for missing in ({}, {"scores": None}, {"scores": [{"value": None}]}):
        with pytest.raises(Unanswerable):
            city.holds(missing)
