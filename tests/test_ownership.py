"""Records are seen through their owners, whatever edge reaches them.

An account belongs to its borrowers, a guarantee to its guarantor and the
guaranteed account's borrowers. A bank holding one firm's grant that walks the
firm's guarantee chain must meet the other firms' accounts only as liabilities
on this firm's report (no history, the lender hidden), unless those firms
granted it something themselves. Each answer is also held against both
oracles (tests/policy_harness.py): the policy-reading one and the ownership
one, which reads owners from the database and the editions table from its own
hand-written copy; the last test shows the ownership oracle catches a policy
that would leak.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from graphql import GraphQLSchema

from creditgraph.access.policy import Policy, PolicyError
from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import HARBOUR_FINANCE, PERSONA, WESTLAKE_BANK
from tests.policy_harness import (
    CIRCLE_A,
    CIRCLE_B,
    FORMER_MARRIAGE,
    HARBOUR,
    HUSBAND,
    WESTLAKE,
    Harness,
    harness,
)
from tests.test_report_crossings import codes, grant

CHAIN = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    name
    guaranteeExposure(maxDepth: 4) {
      totalExposure
      links {
        depth
        borrower { identifier name }
        guarantee {
          amount contractNumber
          account {
            id accountNumber balance status classification purpose
            lender { code name }
            repaymentGrid(months: 24) { statuses }
            repayments(months: 12) { totalCount nodes { month status amountPaid } }
            guarantees { amount }
            parties { role subject { identifier name creditSummary { accountCount } } }
          }
        }
      }
    }
  }
}
"""


def _links(answer: dict[str, Any]) -> list[dict[str, Any]]:
    links = answer["data"]["subject"]["guaranteeExposure"]["links"]
    assert links, "the chain has links"
    return list(links)


async def test_a_chain_members_account_is_a_liability_on_the_firms_report(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, CIRCLE_A, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.check(HARBOUR, CHAIN, {"id": CIRCLE_A})
    errors = codes(answer)
    for index, link in enumerate(_links(answer)):
        account = link["guarantee"]["account"]
        here = ("subject", "guaranteeExposure", "links", index, "guarantee", "account")
        # what a liability shows
        assert account["balance"] is not None
        assert account["status"] is not None
        # no history, no purpose, no guarantees of its own: each one says why
        for name in ("repaymentGrid", "repayments", "guarantees", "purpose"):
            assert account[name] is None
            assert errors[(*here, name)] == ("CONSENT_REQUIRED", "BANK")
        # the lender is another bank: hidden whole, its code in no reference
        assert re.fullmatch(r"anonymised-\d+", account["lender"]["code"])
        assert WESTLAKE_BANK.name not in account["lender"]["name"]
        assert re.fullmatch(r"account-\d+", account["accountNumber"])
        assert re.fullmatch(r"contract-\d+", link["guarantee"]["contractNumber"])
        assert WESTLAKE_BANK.code[8:12] not in account["accountNumber"]
    # the same lender is the same reference throughout the answer
    assert len({link["guarantee"]["account"]["lender"]["code"] for link in _links(answer)}) == 1


async def test_a_chain_members_own_grant_opens_its_account_in_full(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, CIRCLE_A, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK")
    await grant(checked, writable_pool, CIRCLE_B, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.check(HARBOUR, CHAIN, {"id": CIRCLE_A})
    opened = [
        link["guarantee"]["account"]
        for link in _links(answer)
        if link["borrower"]["identifier"] == CIRCLE_B
    ]
    assert opened, "A guarantees B's loan"
    for account in opened:
        assert account["repaymentGrid"]["statuses"]
        assert account["repayments"]["totalCount"] == 12
    # looking at B's account under B's grant is a look at B: B sees it
    looked = await writable_pool.fetchval(
        "select count(*) from gateway.inquiries where subject_identifier = $1", CIRCLE_B
    )
    assert looked >= 1


async def test_a_bank_with_no_grant_from_the_firm_reaches_nothing_through_it(
    checked: Harness,
) -> None:
    answer = await checked.check(HARBOUR, CHAIN, {"id": CIRCLE_A})
    assert answer["data"]["subject"] is None
    assert codes(answer) == {("subject",): ("CONSENT_REQUIRED", None)}


FORMER = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    spouse { identifier }
    marriages { current partner { identifier name phones { number } employments { employerName } } }
  }
}
"""


async def test_a_former_spouse_is_another_subject_not_a_spouse(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    former = PERSONA["debtor"].identifier
    await writable_pool.execute(FORMER_MARRIAGE, HUSBAND, former)
    await grant(checked, writable_pool, HUSBAND, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.check(WESTLAKE, FORMER, {"id": HUSBAND})
    subject = answer["data"]["subject"]
    assert subject["spouse"]["identifier"] != former
    ended = [item for item in subject["marriages"] if not item["current"]]
    assert [item["partner"]["identifier"] for item in ended] == [former]
    assert ended[0]["partner"]["phones"] is None
    assert ended[0]["partner"]["employments"] is None


# -- the declaration itself ------------------------------------------------------------------

SCHEMA = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
POLICY_TEXT = policy_path().read_text(encoding="utf-8")


def _refused(text: str) -> str:
    with pytest.raises(PolicyError) as raised:
        Policy.parse(text).check(SCHEMA)
    return str(raised.value)


def test_the_shipped_policy_gives_every_record_owners_and_every_edge_a_view() -> None:
    policy = Policy.parse(POLICY_TEXT)
    policy.check(SCHEMA)
    assert set(policy.records) >= {"Subject", "CreditAccount", "Guarantee"}


def test_an_owned_through_edge_that_does_not_reach_the_record_is_refused() -> None:
    # a record fetched ahead in the edition held for the reaching subject must be reached
    # through the edge declared: an edge into another type would fetch the wrong record so
    text = POLICY_TEXT.replace(
        'owned_through = ["AccountHolding.account"]', 'owned_through = ["Subject.spouse"]'
    )
    assert text != POLICY_TEXT
    assert "records.CreditAccount: owned_through Subject.spouse is not an edge reaching it" in (
        _refused(text)
    )


def test_an_edge_into_a_record_without_a_view_is_refused() -> None:
    text = re.sub(r'"Guarantee\.account" = \[[^\]]*\]\n', "", POLICY_TEXT)
    assert "reaches another's record but views declares nothing" in _refused(text)
    assert "Guarantee.account" in _refused(text)


def test_a_record_without_owners_is_refused() -> None:
    text = POLICY_TEXT.replace(
        'owners = { borrower = "parties.subject.identifier" }', "owners = {}"
    )
    assert "records.CreditAccount names no owners" in _refused(text)


def test_an_owner_path_that_leads_nowhere_is_refused() -> None:
    text = POLICY_TEXT.replace('"parties.subject.identifier" }', '"parties.subject" }')
    assert "does not end at an identifier" in _refused(text)


def test_a_view_that_hides_a_non_null_field_is_refused() -> None:
    text = _without_in_view(POLICY_TEXT, "Guarantee.account", "balance")
    assert "CreditAccount.balance is non-null, yet views.Guarantee.account hides it" in (
        _refused(text)
    )


def test_a_view_that_hides_a_records_dispute_mark_is_refused() -> None:
    text = _without_in_view(POLICY_TEXT, "Guarantee.account", "dispute")
    assert "views.Guarantee.account hides the dispute mark" in _refused(text)


def _without_in_view(text: str, edge: str, field: str) -> str:
    """The policy with one field taken out of one edge's view."""
    found = re.search(rf'"{re.escape(edge)}" = \[[^\]]*\]', text)
    assert found is not None
    shorter = re.sub(rf'"{field}",\s*', "", found.group(0))
    assert shorter != found.group(0)
    return text.replace(found.group(0), shorter)


async def test_the_ownership_oracle_catches_a_policy_that_leaks(
    writable_pool: asyncpg.Pool,
) -> None:
    """A policy whose liability view shows the repayment history passes the policy-reading
    oracle (it reads the same mistake) but not the ownership oracle."""
    leaky = POLICY_TEXT.replace(
        '"reportedOn", "lender", "parties",\n]\n"AccountHolding.account"',
        '"reportedOn", "lender", "parties", "repaymentGrid",\n]\n"AccountHolding.account"',
    )
    assert leaky != POLICY_TEXT
    async with harness(writable_pool, Policy.parse(leaky)) as checked:
        await grant(checked, writable_pool, CIRCLE_A, HARBOUR_FINANCE.code, "LOAN_APPROVAL", "BANK")
        with pytest.raises(AssertionError, match="returned without entitlement"):
            await checked.check(HARBOUR, CHAIN, {"id": CIRCLE_A})


def test_a_mutation_answering_with_a_record_is_refused() -> None:
    """A mutation's answer comes back as the subgraph gives it, so it may reach no record."""
    schema = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
    mutation = schema.mutation_type
    assert mutation is not None
    subject = schema.type_map["Subject"]
    # a schema whose fileDispute answered with the disputed subject
    mutation.fields["fileDispute"].type = subject
    assert "mutation fileDispute answers with a Subject, which only a query may reach" in (
        _refused_by(schema)
    )


def _refused_by(schema: GraphQLSchema) -> str:
    with pytest.raises(PolicyError) as raised:
        Policy.parse(POLICY_TEXT).check(schema)
    return str(raised.value)
