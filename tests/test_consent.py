"""Only the subject gives consent, and people and organisations are taken as they are.

Every test serves the gateway (every subgraph in-process, the edition policy in
front) with uvicorn on 127.0.0.1 over a copy of the seeded database, and plays
each requester with a real demo token over real HTTP: a bank recording a
written authorisation, the subject answering it, an organisation's legal
representative, and someone who only claims to be one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from creditgraph.requester import Requester
from creditgraph.resources import operations_root
from creditgraph.seed.calendar import LOADED_AT
from creditgraph.seed.personas import PERSONA, WESTLAKE_BANK
from tests.http_app import bearer, listening_in_process

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
FIRM = PERSONA["circle_a"].identifier
OTHER_FIRM = PERSONA["circle_b"].identifier
FIRMS_REPRESENTATIVE = PERSONA["guarantor"].identifier
FORMER_WIFE = PERSONA["model_borrower"].identifier

SELF = Requester("SUBJECT", HUSBAND, None)
BANK = Requester("BANK", WESTLAKE_BANK.code, "loan officer 9")
FOR_THE_FIRM = Requester("SUBJECT", FIRM, None, FIRMS_REPRESENTATIVE)

REPORT = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    name identifier accounts { totalCount } creditSummary { accountCount }
  }
}
"""
GRANT = """
mutation($bank: String!, $edition: Edition, $months: Int) {
  grantConsent(grantee: $bank, purpose: LOAN_APPROVAL, edition: $edition,
               dataPeriodMonths: $months) { id state edition dataPeriodMonths grantorIdentifier }
}
"""
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { id state revocationChannel } }"
MY_GRANTS = """
{ me { identifier consentGrants { id granteeCode state recordedVia edition grantorIdentifier } } }
"""


def operation(name: str) -> str:
    return (operations_root() / f"{name}.graphql").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def codes(self) -> list[str]:
        return [item["extensions"]["code"] for item in self.body.get("errors", [])]

    def message(self) -> str:
        return " ".join(item["message"] for item in self.body.get("errors", []))


@dataclass(frozen=True, slots=True)
class Gateway:
    url: str
    home: Path

    async def ask(
        self, who: Requester, query: str, variables: dict[str, Any] | None = None
    ) -> Answer:
        headers = bearer(self.home, who.role, who.identifier, who.operator, who.representative)
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.url, json={"query": query, "variables": variables or {}}, headers=headers
            )
        return Answer(response.status_code, response.json())

    async def record(self, subject: str) -> dict[str, Any]:
        """The bank records the subject's written LOAN_APPROVAL authorisation."""
        variables = {
            "subject": subject,
            "purpose": "LOAN_APPROVAL",
            "evidence": "sha256:" + "c4" * 32,
        }
        answer = await self.ask(BANK, operation("record_authorisation"), variables)
        assert "errors" not in answer.body, answer.body
        recorded: dict[str, Any] = answer.data["recordAuthorisation"]
        return recorded


@pytest.fixture
async def gateway(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Gateway]:
    async with listening_in_process(writable_pool, tmp_path) as url:
        yield Gateway(url, tmp_path)


async def statuses(pool: asyncpg.Pool, subject: str) -> list[str]:
    """The stored status of every grant Westlake holds from `subject` made by the test (the
    seeded ones were all made by the time the data were loaded), oldest first."""
    rows = await pool.fetch(
        "select g.status from gateway.consent_grants g "
        "join gateway.requesters r on r.id = g.grantee_id "
        "where g.subject_identifier = $1 and r.identifier = $2 and g.created_at > $3 "
        "order by g.created_at",
        subject,
        WESTLAKE_BANK.code,
        LOADED_AT,
    )
    return [row["status"] for row in rows]


# -- only the subject gives consent ----------------------------------------------------------


async def test_a_banks_authorisation_opens_nothing_until_the_subject_confirms_it(
    gateway: Gateway,
) -> None:
    recorded = await gateway.record(HUSBAND)
    assert (recorded["state"], recorded["edition"], recorded["recordedVia"]) == (
        "PENDING",
        "BANK",
        "GRANTEE",
    )
    refused = await gateway.ask(BANK, REPORT, {"id": HUSBAND})
    assert refused.data == {"subject": None}
    assert refused.codes == ["CONSENT_REQUIRED"]

    mine = await gateway.ask(SELF, MY_GRANTS)
    listed = {item["id"]: item for item in mine.data["me"]["consentGrants"]}
    assert listed[recorded["id"]]["state"] == "PENDING"

    # the bank cannot answer for the subject
    itself = await gateway.ask(BANK, operation("confirm_authorisation"), {"id": recorded["id"]})
    assert itself.codes == ["FORBIDDEN_FIELD"]
    assert (await gateway.ask(BANK, REPORT, {"id": HUSBAND})).codes == ["CONSENT_REQUIRED"]

    confirmed = await gateway.ask(SELF, operation("confirm_authorisation"), {"id": recorded["id"]})
    grant = confirmed.data["confirmAuthorisation"]
    assert (grant["state"], grant["edition"]) == ("ACTIVE", "BANK")
    assert grant["answeredAt"] is not None
    seen = await gateway.ask(BANK, REPORT, {"id": HUSBAND})
    assert "errors" not in seen.body, seen.body
    assert seen.data["subject"]["identifier"] == HUSBAND
    assert seen.data["subject"]["accounts"]["totalCount"] == 2


async def test_a_refused_authorisation_never_opens_and_cannot_be_confirmed_later(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    recorded = await gateway.record(HUSBAND)
    refused = await gateway.ask(SELF, operation("refuse_authorisation"), {"id": recorded["id"]})
    assert refused.data["refuseAuthorisation"]["state"] == "REFUSED"

    late = await gateway.ask(SELF, operation("confirm_authorisation"), {"id": recorded["id"]})
    assert late.codes == ["BAD_USER_INPUT"]
    assert "REFUSED" in late.message()
    assert await statuses(writable_pool, HUSBAND) == ["REFUSED"]
    assert (await gateway.ask(BANK, REPORT, {"id": HUSBAND})).codes == ["CONSENT_REQUIRED"]


async def test_after_a_revoke_the_bank_cannot_restore_access_on_its_own(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    granted = await gateway.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code})
    grant = granted.data["grantConsent"]
    assert (await gateway.ask(BANK, REPORT, {"id": HUSBAND})).data["subject"]["name"]
    revoked = await gateway.ask(SELF, REVOKE, {"id": grant["id"]})
    assert revoked.data["revokeConsent"]["state"] == "REVOKED"

    recorded = await gateway.record(HUSBAND)
    assert recorded["state"] == "PENDING"
    after = await gateway.ask(BANK, REPORT, {"id": HUSBAND})
    assert after.data == {"subject": None}
    assert after.codes == ["CONSENT_REQUIRED"]
    # asking again does not pile up requests on the subject: one waits for their answer
    again = await gateway.ask(
        BANK,
        operation("record_authorisation"),
        {"subject": HUSBAND, "purpose": "LOAN_APPROVAL", "evidence": "sha256:" + "d5" * 32},
    )
    assert again.codes == ["BAD_USER_INPUT"]
    assert await statuses(writable_pool, HUSBAND) == ["REVOKED", "PENDING"]
    # only the subject's own answer reopens it
    await gateway.ask(SELF, operation("confirm_authorisation"), {"id": recorded["id"]})
    assert (await gateway.ask(BANK, REPORT, {"id": HUSBAND})).data["subject"]["name"]


async def test_a_bank_cannot_widen_a_social_grant_to_bank(gateway: Gateway) -> None:
    granted = await gateway.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code, "edition": "SOCIAL"})
    assert granted.data["grantConsent"]["edition"] == "SOCIAL"
    recorded = await gateway.record(HUSBAND)
    assert (recorded["edition"], recorded["state"]) == ("BANK", "PENDING")

    seen = await gateway.ask(BANK, REPORT, {"id": HUSBAND})
    subject = seen.data["subject"]
    assert subject["accounts"] is None
    assert subject["identifier"] != HUSBAND
    assert subject["creditSummary"]["accountCount"] == 2
    (denied,) = seen.body["errors"]
    assert denied["path"] == ["subject", "accounts"]
    assert denied["extensions"]["code"] == "FORBIDDEN_FIELD"
    assert denied["extensions"]["edition"] == "SOCIAL"


async def test_a_subject_cannot_answer_anothers_pending_authorisation(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    recorded = await gateway.record(HUSBAND)
    wife = Requester("SUBJECT", WIFE, None)
    for name in ("confirm_authorisation", "refuse_authorisation"):
        answer = await gateway.ask(wife, operation(name), {"id": recorded["id"]})
        assert answer.codes == ["BAD_USER_INPUT"]
        assert "no grant" in answer.message()
    assert await statuses(writable_pool, HUSBAND) == ["PENDING"]


HISTORY = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    accounts { nodes { account {
      repayments(months: 60) { totalCount }
      asked: repaymentGrid(months: 48) { months statuses }
      repaymentGrid { months statuses }
      guarantees { account { repaymentGrid(months: 60) { months } } }
    } } }
  }
}
"""


async def test_a_grants_data_period_limits_the_history_shown_under_it(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    too_long = await gateway.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code, "months": 61})
    assert too_long.codes == ["BAD_USER_INPUT"]
    assert await statuses(writable_pool, HUSBAND) == []

    granted = await gateway.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code, "months": 12})
    assert granted.data["grantConsent"]["dataPeriodMonths"] == 12
    seen = await gateway.ask(BANK, HISTORY, {"id": HUSBAND})
    accounts = [node["account"] for node in seen.data["subject"]["accounts"]["nodes"]]
    assert accounts
    for account in accounts:
        # asked for five years, four, and the default two: a year, as the grant says
        assert account["repayments"]["totalCount"] <= 12
        for grid in (account["asked"], account["repaymentGrid"]):
            assert grid["months"] == 12
            assert len(grid["statuses"]) == 12
    # the subject's own look is not held to any grant
    own = await gateway.ask(
        SELF, "{ me { accounts { nodes { account { repaymentGrid(months: 48) { months } } } } } }"
    )
    grids = [
        node["account"]["repaymentGrid"]["months"] for node in own.data["me"]["accounts"]["nodes"]
    ]
    assert set(grids) == {48}


TWO_HISTORIES = """
query($first: String!, $second: String!) {
  first: subject(identifier: $first, purpose: LOAN_APPROVAL) {
    accounts { nodes { account { kind repaymentGrid(months: 48) { months } } } }
  }
  second: subject(identifier: $second, purpose: LOAN_APPROVAL) {
    accounts { nodes { account { kind repaymentGrid(months: 48) { months } } } }
  }
}
"""


@pytest.mark.parametrize("order", ["shorter first", "longer first"])
async def test_each_subject_is_held_to_its_own_grants_data_period_in_one_request(
    gateway: Gateway, order: str
) -> None:
    """Two subjects asked in one request, whose grants give the bank different data periods,
    are read together; each one's history stays within its own grant's period, whichever
    the request names first, and their joint mortgage within the shorter of the two."""
    wife = Requester("SUBJECT", WIFE, None)
    granted = await gateway.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code, "months": 12})
    assert granted.data["grantConsent"]["dataPeriodMonths"] == 12
    granted = await gateway.ask(wife, GRANT, {"bank": WESTLAKE_BANK.code, "months": 36})
    assert granted.data["grantConsent"]["dataPeriodMonths"] == 36
    first, second = (HUSBAND, WIFE) if order == "shorter first" else (WIFE, HUSBAND)
    seen = await gateway.ask(BANK, TWO_HISTORIES, {"first": first, "second": second})
    assert not seen.codes, seen.body
    shown = {
        identifier: {
            node["account"]["kind"]: node["account"]["repaymentGrid"]["months"]
            for node in seen.data[key]["accounts"]["nodes"]
        }
        for key, identifier in (("first", first), ("second", second))
    }
    assert shown == {
        HUSBAND: {"MORTGAGE": 12, "CREDIT_CARD": 12},
        WIFE: {"MORTGAGE": 12, "SPECIAL_INSTALMENT": 36},
    }


# -- people and organisations as they are ----------------------------------------------------


async def test_the_social_mask_shows_neither_birth_date_nor_sex(gateway: Gateway) -> None:
    await gateway.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code, "edition": "SOCIAL"})
    seen = await gateway.ask(BANK, REPORT, {"id": HUSBAND})
    masked = seen.data["subject"]["identifier"]
    # the province and the check character; the county, the birth date (characters 7-14) and
    # the sequence with its sex digit (the 17th) are all starred
    assert masked == HUSBAND[:2] + "*" * 15 + HUSBAND[-1]
    assert HUSBAND[6:14] not in masked


MARRIAGES = (
    "{ me { spouse { identifier } marriages { endedOn endReason partner { identifier } } } }"
)


IDENTITY_SECTIONS = """
{ me { spouse { phones { number } } marriages { endReason partner { phones { number } } } } }
"""


async def test_a_former_spouse_is_not_the_spouse(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    # the husband was married before, and divorced before he married his wife
    await writable_pool.execute(
        """
        with m as (
            insert into bureau.marriages (started_on, ended_on, end_reason)
            values ('2008-05-01', '2012-09-01', 'DIVORCE') returning id, during
        )
        insert into bureau.marriage_partners (marriage_id, subject_id, during)
        select m.id, s.id, m.during from m, bureau.subjects s where s.identifier = any($1)
        """,
        [HUSBAND, FORMER_WIFE],
    )
    his = (await gateway.ask(SELF, MARRIAGES)).data["me"]
    assert his["spouse"] == {"identifier": WIFE}
    assert [(item["endReason"], item["partner"]["identifier"]) for item in his["marriages"]] == [
        (None, WIFE),
        ("DIVORCE", FORMER_WIFE),
    ]
    hers = await gateway.ask(Requester("SUBJECT", FORMER_WIFE, None), MARRIAGES)
    assert hers.data["me"]["spouse"] is None
    assert [item["endedOn"] for item in hers.data["me"]["marriages"]] == ["2012-09-01"]

    # the spouse's identity section is the current spouse's: not the former wife's phones
    sections = await gateway.ask(SELF, IDENTITY_SECTIONS)
    assert sections.data["me"]["spouse"]["phones"]
    former = sections.data["me"]["marriages"][1]
    assert former["endReason"] == "DIVORCE"
    assert former["partner"]["phones"] is None
    withheld = {tuple(item["path"]): item["extensions"]["code"] for item in sections.body["errors"]}
    assert withheld[("me", "marriages", 1, "partner", "phones")] == "CONSENT_REQUIRED"


async def test_an_organisations_legal_representative_answers_lists_and_revokes_its_grants(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    recorded = await gateway.record(FIRM)
    mine = await gateway.ask(FOR_THE_FIRM, MY_GRANTS)
    assert mine.data["me"]["identifier"] == FIRM
    # beside the authorisations its loans were applied under, long expired, the new one waits
    (pending,) = [item for item in mine.data["me"]["consentGrants"] if item["state"] != "EXPIRED"]
    assert (pending["id"], pending["state"]) == (recorded["id"], "PENDING")

    confirmed = await gateway.ask(
        FOR_THE_FIRM, operation("confirm_authorisation"), {"id": recorded["id"]}
    )
    assert confirmed.data["confirmAuthorisation"]["state"] == "ACTIVE"
    listed = (await gateway.ask(FOR_THE_FIRM, MY_GRANTS)).data["me"]["consentGrants"]
    # the grant records the person who gave it for the firm
    assert [
        (item["state"], item["grantorIdentifier"]) for item in listed if item["state"] != "EXPIRED"
    ] == [("ACTIVE", FIRMS_REPRESENTATIVE)]
    assert (await gateway.ask(BANK, REPORT, {"id": FIRM})).data["subject"]["identifier"] == FIRM

    revoked = await gateway.ask(FOR_THE_FIRM, REVOKE, {"id": recorded["id"]})
    assert revoked.data["revokeConsent"] == {
        "id": recorded["id"],
        "state": "REVOKED",
        "revocationChannel": "SUBJECT",
    }
    assert (await gateway.ask(BANK, REPORT, {"id": FIRM})).codes == ["CONSENT_REQUIRED"]
    # the firm's own looks and acts name the person who acted for it
    looked = await writable_pool.fetch(
        "select distinct operator from gateway.inquiries where subject_identifier = $1 "
        "and purpose = 'SELF'",
        FIRM,
    )
    assert [row["operator"] for row in looked] == [FIRMS_REPRESENTATIVE]
    acted = await writable_pool.fetch(
        "select distinct operator from gateway.audit_log where role = 'SUBJECT' and requester = $1",
        FIRM,
    )
    assert [row["operator"] for row in acted] == [FIRMS_REPRESENTATIVE]


async def test_someone_who_is_not_the_legal_representative_cannot_act_for_the_organisation(
    gateway: Gateway, writable_pool: asyncpg.Pool
) -> None:
    granted = await gateway.ask(FOR_THE_FIRM, GRANT, {"bank": WESTLAKE_BANK.code})
    grant = granted.data["grantConsent"]
    assert grant["state"] == "ACTIVE"
    impostors = [
        Requester("SUBJECT", FIRM, None, HUSBAND),  # a person with no role in the firm
        Requester("SUBJECT", OTHER_FIRM, None, FIRMS_REPRESENTATIVE),  # another firm's file
    ]
    for impostor in impostors:
        for query, variables in ((MY_GRANTS, {}), (REVOKE, {"id": grant["id"]})):
            answer = await gateway.ask(impostor, query, variables)
            assert answer.status == 401
            assert answer.codes == ["UNAUTHENTICATED"]
            assert "data" not in answer.body
            assert "legal representative" in answer.message()
    assert await statuses(writable_pool, FIRM) == ["ACTIVE"]

    # a representative whose office ended today no longer acts for the firm
    await writable_pool.execute(
        "update bureau.organisation_principals set until = current_date "
        "where role = 'LEGAL_REPRESENTATIVE' and person_id = "
        "(select id from bureau.subjects where identifier = $1)",
        FIRMS_REPRESENTATIVE,
    )
    former = await gateway.ask(FOR_THE_FIRM, REVOKE, {"id": grant["id"]})
    assert (former.status, former.codes) == (401, ["UNAUTHENTICATED"])
    assert await statuses(writable_pool, FIRM) == ["ACTIVE"]
