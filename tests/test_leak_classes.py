"""Classes of leak an adversarial review of the ownership checkpoints found, one test each.

Each stands for a class fixed at its root: consent only the subject gives (and an answer
that does not tell a bank which identity numbers are on file), a name in free text the bank
edition masks, the dispute mark in every view of a record, a look recorded only when the
requester's own entitlement showed something, a persisted-query store that tells nobody what
another asked, and the employer the social edition withholds wherever it is named. Every test
goes through the policy gateway as a real requester would.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from creditgraph.gateway.trusted import sha256_hex
from creditgraph.identifiers import make_resident_id
from creditgraph.requester import Requester
from creditgraph.seed.personas import EASTBRIDGE_BANK, HARBOUR_FINANCE, WESTLAKE_BANK
from tests.http_app import bearer, in_process_gateway, serving
from tests.policy_harness import (
    CIRCLE_A,
    CIRCLE_B,
    DEBTOR,
    EASTBRIDGE,
    HUSBAND,
    WESTLAKE,
    WIFE,
    Harness,
    assert_no_foreign_names,
)
from tests.test_report_crossings import grant


def codes(answer: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(item["path"]): item["extensions"]["code"] for item in answer.get("errors", [])}


# -- 1. consent: a bank mints its own grant -------------------------------------------------

SELF_AUTHORISE = """
mutation($subject: String!) {
  recordAuthorisation(subject: $subject, purpose: LOAN_APPROVAL, evidence: "anything-at-all") {
    id edition state
  }
}
"""
DEBTOR_REPORT = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    name birthDate accounts { nodes { account { balance } } }
  }
}
"""


async def test_a_bank_cannot_open_a_report_with_evidence_it_made_up(checked: Harness) -> None:
    """A bank's own recordAuthorisation, with whatever evidence it makes up, opens nothing:
    the subject has not confirmed it."""
    before = await checked.ask(EASTBRIDGE, DEBTOR_REPORT, {"id": DEBTOR})
    assert before["data"]["subject"] is None  # no consent: refused
    await checked.ask(EASTBRIDGE, SELF_AUTHORISE, {"subject": DEBTOR})
    after = await checked.ask(EASTBRIDGE, DEBTOR_REPORT, {"id": DEBTOR})
    assert after["data"]["subject"] is None, after["data"]["subject"]
    assert codes(after) == {("subject",): "CONSENT_REQUIRED"}


async def test_record_authorisation_does_not_tell_a_bank_whether_an_identifier_is_known(
    checked: Harness,
) -> None:
    """recordAuthorisation answers alike for an identity number the bureau knows and one it
    does not, so it is no way to learn who is on file (the `subject` root refuses both alike)."""
    unknown = make_resident_id("110105", date(1990, 1, 1), 777)
    answer = await checked.ask(EASTBRIDGE, SELF_AUTHORISE, {"subject": unknown})
    messages = " ".join(item["message"] for item in answer.get("errors", []))
    assert "no subject" not in messages, messages


# -- 2. masked lender named by a public record ----------------------------------------------

DEBTOR_WITH_CASES = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    accounts { nodes { account { accountNumber lender { code name } principal } } }
    enforcementCases { nodes { caseNumber applicantName cause amount } }
  }
}
"""


async def test_a_public_record_does_not_name_the_lender_the_bank_edition_hides(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    """The lender the bank edition hides behind 'anonymised-1' is not named on the same report
    by the enforcement case it applied for: the case's applicant is masked alike."""
    await grant(checked, writable_pool, DEBTOR, EASTBRIDGE_BANK.code, "LOAN_APPROVAL", "BANK")
    answer = await checked.ask(EASTBRIDGE, DEBTOR_WITH_CASES, {"id": DEBTOR})
    (holding,) = answer["data"]["subject"]["accounts"]["nodes"]
    assert holding["account"]["lender"]["name"] != HARBOUR_FINANCE.name  # the mask works here
    assert_no_foreign_names(EASTBRIDGE, answer)


# -- 3. a reached record is shown without its dispute mark ----------------------------------

GUARANTEED_ACCOUNT = """
query($id: String!) {
  subject(identifier: $id, purpose: GUARANTEE_CHECK) {
    guaranteesGiven { account { id status dispute { status } } }
  }
}
"""
OWN_GUARANTEED_ACCOUNT = "{ me { guaranteesGiven { account { id status dispute { status } } } } }"


@pytest.mark.parametrize("as_bank", [True, False], ids=["bank", "subject"])
async def test_a_disputed_account_shows_its_mark_wherever_it_is_seen(
    checked: Harness, writable_pool: asyncpg.Pool, as_bank: bool
) -> None:
    """A disputed loan shows its mark on the report of the one who guarantees it, as a
    liability, for the bank and for the guarantor: every view of a record holds its mark."""
    filed = await checked.ask(
        Requester("SUBJECT", CIRCLE_B, None),
        'mutation { fileDispute(recordId: "CreditAccount:5", reason: "repaid") { status } }',
    )
    assert filed["data"]["fileDispute"]["status"] == "OPEN"
    if as_bank:
        await grant(
            checked, writable_pool, CIRCLE_A, EASTBRIDGE_BANK.code, "GUARANTEE_CHECK", "BANK"
        )
        answer = await checked.ask(EASTBRIDGE, GUARANTEED_ACCOUNT, {"id": CIRCLE_A})
        given = answer["data"]["subject"]["guaranteesGiven"]
    else:
        answer = await checked.ask(Requester("SUBJECT", CIRCLE_A, None), OWN_GUARANTEED_ACCOUNT)
        given = answer["data"]["me"]["guaranteesGiven"]
    (account,) = [item["account"] for item in given if item["account"]["id"] == "5"]
    assert account["status"]  # the record is seen
    assert account["dispute"] == {"status": "OPEN"}, codes(answer)


# -- 4. a hard inquiry on a subject whose report was not looked at ---------------------------

SPOUSE_NAME = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) { spouse { name identifier } }
}
"""


async def test_reading_the_spouse_as_the_report_shows_her_makes_no_inquiry_on_her_file(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    """Asking only what the husband's report shows of his spouse anyway (name, identifier)
    makes no inquiry on her file, though the bank holds a SOCIAL grant of hers: a look is
    recorded only where the requester's own entitlement showed something."""
    await grant(checked, writable_pool, HUSBAND, WESTLAKE_BANK.code, "LOAN_APPROVAL", "BANK")
    await grant(checked, writable_pool, WIFE, WESTLAKE_BANK.code, "LOAN_APPROVAL", "SOCIAL")
    answer = await checked.ask(WESTLAKE, SPOUSE_NAME, {"id": HUSBAND})
    assert answer["data"]["subject"]["spouse"]["identifier"] == WIFE
    made = await writable_pool.fetch(
        "select purpose, edition, hard from gateway.inquiries where subject_identifier = $1",
        WIFE,
    )
    assert [dict(row) for row in made] == []


# -- 5. the persisted-query store tells anyone what another requester asked -----------------


async def test_the_persisted_query_store_does_not_tell_one_requester_what_another_asked(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The persisted-query store tells no one what another requester asked: a hash another
    requester stored is PERSISTED_QUERY_NOT_FOUND to anyone else, without a token or with
    one, exactly as a hash never sent."""
    document = (
        f'{{ subject(identifier: "{DEBTOR}", purpose: LOAN_APPROVAL) {{ name creditSummary '
        "{ badDebt } } }"
    )
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(document)}}
    gateway = in_process_gateway(writable_pool)
    try:
        async with serving(gateway, writable_pool, tmp_path) as client:
            westlake = bearer(tmp_path, "BANK", WESTLAKE_BANK.code, "operator-9")
            await client.post(
                "/graphql", json={"query": document, "extensions": extensions}, headers=westlake
            )
            probe = await client.post("/graphql", json={"extensions": extensions})
            body = probe.json()
            assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", body
    finally:
        await gateway.aclose()


# -- 6. the social edition reads the employer the edition withholds -------------------------

EMPLOYERS = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    employments { employerName }
    socialInsurance { employerName }
    housingFund { employerName }
  }
}
"""


async def test_the_social_edition_does_not_name_the_employer_it_withholds(
    checked: Harness, writable_pool: asyncpg.Pool
) -> None:
    """The social edition names no employer (its `employments` is withheld), so the employer
    named on social insurance and housing fund records is withheld from it too."""
    persona = await writable_pool.fetchval(
        "select subject_identifier from public_records.social_insurance"
        " where employer_name is not null order by id limit 1"
    )
    await grant(checked, writable_pool, persona, WESTLAKE_BANK.code, "LOAN_APPROVAL", "SOCIAL")
    answer = await checked.ask(WESTLAKE, EMPLOYERS, {"id": persona})
    assert codes(answer)[("subject", "employments")] == "FORBIDDEN_FIELD"
    found = answer["data"]["subject"]
    named = [
        item["employerName"]
        for name in ("socialInsurance", "housingFund")
        for item in found[name] or []
        if item["employerName"]
    ]
    assert named == [], named
