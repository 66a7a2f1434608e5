"""Crossing from one subject's report to another's: spouses, co-borrowers, guarantee chains.

A subject reached from a report is judged afresh: with the requester's own
entitlement to it, it comes back in that edition; without, only what the
first report shows of it (the policy's linked fields), the rest
CONSENT_REQUIRED. Each test sets up exactly the grants it needs, asserts what a
user would notice, and also holds the whole answer against the independent
oracle (tests/edition_oracle.py).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, WESTLAKE_BANK
from tests.edition_oracle import load_world
from tests.policy_harness import (
    CIRCLE_A,
    CIRCLE_B,
    EASTBRIDGE,
    GUARANTOR,
    HUSBAND,
    SUBJECT_HUSBAND,
    WESTLAKE,
    WIFE,
    Harness,
)


async def grant(
    checked: Harness,
    writable_pool: asyncpg.Pool,
    subject: str,
    bank: str,
    purpose: str,
    edition: str,
) -> None:
    """A live grant, and the oracle told of it."""
    await writable_pool.execute(
        """
        insert into gateway.consent_grants
            (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
             valid_from, valid_until, recorded_via)
        select gen_random_uuid(), $1, $1, r.id, $3, $4, now() - interval '1 day',
               now() + interval '30 days', 'SUBJECT'
        from gateway.requesters r where r.role = 'BANK' and r.identifier = $2
        """,
        subject,
        bank,
        purpose,
        edition,
    )
    checked.world = await load_world(writable_pool)


def codes(answer: dict[str, Any]) -> dict[tuple[str | int, ...], tuple[str, str | None]]:
    return {
        tuple(item["path"]): (item["extensions"]["code"], item["extensions"].get("edition"))
        for item in answer.get("errors", [])
    }


# -- spouses -----------------------------------------------------------------------------

SPOUSE = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    name
    spouse {
      name identifier phones { number } employments { employerName }
      accounts { totalCount } scores { value } creditSummary { accountCount }
    }
  }
}
"""


@pytest.mark.parametrize(("asked", "partner"), [(HUSBAND, WIFE), (WIFE, HUSBAND)])
async def test_a_bank_sees_the_spouses_identity_section_not_her_credit(
    checked: Harness, writable_pool: asyncpg.Pool, asked: str, partner: str
) -> None:
    await grant(checked, writable_pool, asked, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.check(WESTLAKE, SPOUSE, {"id": asked})
    spouse = answer["data"]["subject"]["spouse"]
    assert spouse["identifier"] == partner
    assert spouse["phones"]
    assert spouse["accounts"] is None
    assert spouse["scores"] is None
    assert codes(answer) == {
        ("subject", "spouse", field): ("CONSENT_REQUIRED", "BANK")
        for field in ("accounts", "scores", "creditSummary")
    }


async def test_with_the_spouses_own_grant_her_credit_opens(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, HUSBAND, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    await grant(checked, writable_pool, WIFE, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.check(WESTLAKE, SPOUSE, {"id": HUSBAND})
    spouse = answer["data"]["subject"]["spouse"]
    assert spouse["accounts"]["totalCount"] >= 2
    assert spouse["creditSummary"]["accountCount"] >= 2
    assert "errors" not in answer


async def test_the_spouses_own_social_grant_adds_her_summary_and_hides_nothing(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, HUSBAND, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    await grant(checked, writable_pool, WIFE, WESTLAKE_BANK.code, "LOAN_APPROVAL", "SOCIAL")
    answer = await checked.check(WESTLAKE, SPOUSE, {"id": HUSBAND})
    spouse = answer["data"]["subject"]["spouse"]
    # the husband's report shows her identity section, her SOCIAL grant her summary
    assert spouse["identifier"] == WIFE
    assert spouse["phones"]
    assert spouse["creditSummary"]["accountCount"] >= 2
    assert codes(answer) == {
        ("subject", "spouse", "accounts"): ("FORBIDDEN_FIELD", "SOCIAL"),
        ("subject", "spouse", "scores"): ("FORBIDDEN_FIELD", "SOCIAL"),
    }


ME_AND_SPOUSE = """
{
  me {
    accounts { totalCount }
    spouse {
      name identifier phones { number } accounts { totalCount } scores { value }
      spouse { identifier accounts { totalCount } }
    }
  }
}
"""


async def test_a_subject_sees_their_spouses_identity_and_their_own_file_through_her(
    checked: Harness,
) -> None:
    answer = await checked.check(SUBJECT_HUSBAND, ME_AND_SPOUSE)
    me = answer["data"]["me"]
    spouse = me["spouse"]
    assert spouse["identifier"] == WIFE
    assert spouse["phones"]
    # her own links are not part of his report, even the one back to him
    assert spouse["spouse"] is None
    assert codes(answer) == {
        ("me", "spouse", "accounts"): ("CONSENT_REQUIRED", "SUBJECT"),
        ("me", "spouse", "scores"): ("CONSENT_REQUIRED", "SUBJECT"),
        ("me", "spouse", "spouse"): ("CONSENT_REQUIRED", "SUBJECT"),
    }


# -- co-borrowers on a joint account ---------------------------------------------------------

JOINT = """
query($id: String!, $purpose: InquiryPurpose!) {
  subject(identifier: $id, purpose: $purpose) {
    accounts {
      nodes {
        joint
        account {
          kind lender { name }
          parties { role subject { name identifier accounts { totalCount } phones { number } } }
        }
      }
    }
  }
}
"""


def _co_borrowers(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        party["subject"]
        for node in answer["data"]["subject"]["accounts"]["nodes"]
        if node["joint"]
        for party in node["account"]["parties"]
        if party["subject"]["identifier"] != HUSBAND
    ]


async def test_a_co_borrower_shows_only_as_the_joint_account_names_her(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, HUSBAND, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.check(WESTLAKE, JOINT, {"id": HUSBAND, "purpose": "LOAN_APPROVAL"})
    (wife,) = _co_borrowers(answer)
    assert wife == {
        "name": PERSONA["wife"].name,
        "identifier": WIFE,
        "accounts": None,
        "phones": None,
    }
    assert EASTBRIDGE_BANK.name not in str(answer)  # the mortgage is another lender's


async def test_a_lender_of_both_spouses_sees_the_co_borrower_in_full(checked: Harness) -> None:
    # Eastbridge holds the joint mortgage: post-loan management needs no grant for either
    answer = await checked.check(
        EASTBRIDGE, JOINT, {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    )
    (wife,) = _co_borrowers(answer)
    assert wife["accounts"]["totalCount"] >= 2
    assert wife["phones"]
    assert "errors" not in answer


# -- guarantees and guarantee chains ------------------------------------------------------------

GUARANTEES = """
query($id: String!) {
  subject(identifier: $id, purpose: GUARANTEE_CHECK) {
    guaranteesGiven { amount borrower { name identifier accounts { totalCount } } }
    guaranteeExposure(maxDepth: 4) {
      links { depth guarantor { identifier creditSummary { accountCount } }
              borrower { identifier name creditSummary { accountCount } } }
      circles { members { name identifier accounts { totalCount } } }
    }
  }
}
"""


def _borrowers(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    subject = answer["data"]["subject"]
    reached = [item["borrower"] for item in subject["guaranteesGiven"]]
    reached += [link["borrower"] for link in subject["guaranteeExposure"]["links"]]
    return {item["identifier"]: item for item in reached}


async def test_a_guarantors_report_names_the_borrowers_and_shows_nothing_more_of_them(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, GUARANTOR, WESTLAKE_BANK.code, "GUARANTEE_CHECK", "BANK")
    answer = await checked.check(WESTLAKE, GUARANTEES, {"id": GUARANTOR})
    borrowers = _borrowers(answer)
    assert CIRCLE_A in borrowers
    assert borrowers[CIRCLE_A]["name"] == PERSONA["circle_a"].name
    assert all(item.get("accounts") is None for item in borrowers.values())
    assert all(item.get("creditSummary") is None for item in borrowers.values())
    withheld = codes(answer)
    assert withheld
    assert set(withheld.values()) == {("CONSENT_REQUIRED", "BANK")}


async def test_a_chain_member_with_its_own_grant_comes_in_its_own_edition(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    await grant(checked, writable_pool, GUARANTOR, WESTLAKE_BANK.code, "GUARANTEE_CHECK", "BANK")
    await grant(checked, writable_pool, CIRCLE_A, WESTLAKE_BANK.code, "GUARANTEE_CHECK", "BANK")
    await grant(checked, writable_pool, CIRCLE_B, WESTLAKE_BANK.code, "GUARANTEE_CHECK", "SOCIAL")
    answer = await checked.check(WESTLAKE, GUARANTEES, {"id": GUARANTOR})
    linked = {
        link["borrower"]["identifier"]: link["borrower"]
        for link in answer["data"]["subject"]["guaranteeExposure"]["links"]
    }
    assert linked[CIRCLE_A]["creditSummary"]["accountCount"] >= 1
    # named in full, as the guarantor's report names it; summarised, as its SOCIAL grant allows
    assert linked[CIRCLE_B]["creditSummary"]["accountCount"] >= 1
    members = answer["data"]["subject"]["guaranteeExposure"]["circles"][0]["members"]
    assert {member["identifier"] for member in members} >= {CIRCLE_A, CIRCLE_B}
    accounts = {member["identifier"]: member["accounts"] for member in members}
    assert accounts[CIRCLE_A] is not None
    assert accounts[CIRCLE_B] is None
