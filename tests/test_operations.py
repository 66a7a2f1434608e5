"""The trusted operations in graphql/operations: each is one named operation that the
served schema accepts, and each, run by the requester it is written for, fits that
requester's edition: data back, nothing forbidden, no consent missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import OperationDefinitionNode, parse, validate

from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.trusted import TrustedOperations, sha256_hex
from creditgraph.resources import operations_root, supergraph_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU
from tests.http_app import bearer, in_process_gateway, serving

HUSBAND = PERSONA["husband"].identifier
FILES = sorted(operations_root().glob("*.graphql"))
WORRIES = {"FORBIDDEN_FIELD", "CONSENT_REQUIRED", "UNAUTHENTICATED"}


def test_the_trusted_operations_are_where_the_contract_says() -> None:
    assert {path.stem for path in FILES} >= {
        "bank_underwriting",
        "subject_self",
        "government_public_credit",
        "subject_card",
        "grant_consent",
        "revoke_consent",
        "record_authorisation",
        "confirm_authorisation",
        "refuse_authorisation",
        "file_dispute",
        "add_statement",
        "place_fraud_alert",
        "lift_fraud_alert",
        "share_eligibility",
        "withdraw_eligibility",
        "eligibility",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_each_file_is_one_named_operation_the_api_schema_accepts(path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    (operation,) = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    assert operation.name is not None
    schema = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
    assert validate(schema, document) == []


def test_the_loaded_operations_are_known_by_the_hash_of_their_file() -> None:
    trusted = TrustedOperations.load(operations_root())
    assert len(trusted) == len(FILES)
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert trusted[sha256_hex(text)].path == path
        assert trusted.holds_text(text)
    assert not trusted.holds_text(FILES[0].read_text(encoding="utf-8") + " ")


@pytest.fixture
async def client(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    gateway = in_process_gateway(writable_pool)
    try:
        async with serving(gateway, writable_pool, tmp_path) as found:
            yield found
    finally:
        await gateway.aclose()


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def operation(name: str) -> str:
    return (operations_root() / f"{name}.graphql").read_text(encoding="utf-8")


def assert_fits_its_edition(body: dict[str, Any]) -> dict[str, Any]:
    refused = [
        item for item in body.get("errors", []) if item.get("extensions", {}).get("code") in WORRIES
    ]
    assert refused == [], refused
    assert body.get("errors") is None, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def test_a_bank_records_the_written_authorisation_the_subject_confirms_and_it_underwrites(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "underwriter-1")
    authorisation = {
        "subject": HUSBAND,
        "purpose": "LOAN_APPROVAL",
        "evidence": "sha256:" + "ab" * 32,
    }
    recorded = assert_fits_its_edition(
        await post(client, bank, operation("record_authorisation"), authorisation)
    )
    assert recorded["recordAuthorisation"]["state"] == "PENDING"
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    pending = {"id": recorded["recordAuthorisation"]["id"]}
    confirmed = assert_fits_its_edition(
        await post(client, subject, operation("confirm_authorisation"), pending)
    )
    assert confirmed["confirmAuthorisation"]["state"] == "ACTIVE"
    data = assert_fits_its_edition(
        await post(client, bank, operation("bank_underwriting"), {"identifier": HUSBAND})
    )
    report = data["subject"]
    assert report["identifier"] == HUSBAND
    assert report["accounts"]["nodes"]
    assert report["creditSummary"]["fourNots"] is not None
    assert [score["model"]["scale"] for score in report["scores"]] == ["BUREAU"]
    assert report["spouse"]["identifier"] == PERSONA["wife"].identifier


async def test_the_subject_grants_sees_the_look_and_revokes(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    grant = {"grantee": EASTBRIDGE_BANK.code, "purpose": "LOAN_APPROVAL"}
    granted = assert_fits_its_edition(
        await post(client, subject, operation("grant_consent"), grant)
    )
    grant_id = granted["grantConsent"]["id"]
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "underwriter-1")
    await post(client, bank, operation("bank_underwriting"), {"identifier": HUSBAND})
    data = assert_fits_its_edition(await post(client, subject, operation("subject_self"), {}))
    me = data["me"]
    assert me["identifier"] == HUSBAND
    # the grant just made is his only live one; the others are the authorisations his
    # accounts were applied under, expired long since
    assert [item["id"] for item in me["consentGrants"] if item["state"] != "EXPIRED"] == [grant_id]
    looks = {(item["requesterCode"], item["purpose"]) for item in me["inquiries"]["nodes"]}
    assert (EASTBRIDGE_BANK.code, "LOAN_APPROVAL") in looks
    revoked = assert_fits_its_edition(
        await post(client, subject, operation("revoke_consent"), {"id": grant_id})
    )
    assert revoked["revokeConsent"]["state"] == "REVOKED"


async def test_the_subject_exercises_their_rights_with_the_trusted_operations(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    mine = assert_fits_its_edition(await post(client, subject, operation("subject_self"), {}))
    phone = mine["me"]["phones"][0]
    assert phone["dispute"] is None
    record = f"Phone:{phone['id']}"
    filed = assert_fits_its_edition(
        await post(client, subject, operation("file_dispute"), {"recordId": record, "reason": "?"})
    )
    assert filed["fileDispute"]["recordId"] == record
    said = assert_fits_its_edition(
        await post(client, subject, operation("add_statement"), {"text": "I was abroad."})
    )
    placed = assert_fits_its_edition(
        await post(client, subject, operation("place_fraud_alert"), {"contactPhone": "13800138000"})
    )
    alert = placed["placeFraudAlert"]["id"]

    me = assert_fits_its_edition(await post(client, subject, operation("subject_self"), {}))["me"]
    (marked,) = [item for item in me["phones"] if item["dispute"] is not None]
    assert (marked["id"], marked["dispute"]["status"]) == (phone["id"], "OPEN")
    assert [item["recordId"] for item in me["disputes"]] == [record]
    assert said["addStatement"]["id"] in [item["id"] for item in me["statements"]]
    assert [item["id"] for item in me["fraudAlerts"] if item["active"]] == [alert]

    lifted = assert_fits_its_edition(
        await post(client, subject, operation("lift_fraud_alert"), {"id": alert})
    )
    assert lifted["liftFraudAlert"]["active"] is False


async def test_a_yes_or_no_is_shared_asked_and_withdrawn_with_the_trusted_operations(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "rental desk 3")
    asked = {"predicate": "NOTHING_OVERDUE", "purpose": "DEPOSIT_FREE_RENTAL"}
    shared = assert_fits_its_edition(
        await post(
            client,
            subject,
            operation("share_eligibility"),
            {"requester": EASTBRIDGE_BANK.code, **asked},
        )
    )
    answered = assert_fits_its_edition(
        await post(client, bank, operation("eligibility"), {"subject": HUSBAND, **asked})
    )
    assert answered["eligibility"]["holds"] is True
    withdrawn = assert_fits_its_edition(
        await post(
            client,
            subject,
            operation("withdraw_eligibility"),
            {"id": shared["shareEligibility"]["id"]},
        )
    )
    assert withdrawn["withdrawEligibility"]["state"] == "WITHDRAWN"


async def test_a_government_body_checks_public_credit(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    agency = bearer(tmp_path, "GOVERNMENT", TAX_BUREAU.code, "inspector")
    data = assert_fits_its_edition(
        await post(client, agency, operation("government_public_credit"), {"identifier": HUSBAND})
    )
    assert data["subject"]["name"] == PERSONA["husband"].name
    assert data["subject"]["publicRecordCount"] is not None


@pytest.mark.parametrize("edition", ["BANK", "SOCIAL"])
async def test_the_subject_card_fits_every_edition_that_sees_a_summary(
    client: httpx.AsyncClient, tmp_path: Path, edition: str
) -> None:
    subject = bearer(tmp_path, "SUBJECT", HUSBAND)
    grant = {"grantee": EASTBRIDGE_BANK.code, "purpose": "CREDIT_CARD_APPROVAL", "edition": edition}
    assert_fits_its_edition(await post(client, subject, operation("grant_consent"), grant))
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "front-end")
    data = assert_fits_its_edition(
        await post(
            client,
            bank,
            operation("subject_card"),
            {"identifier": HUSBAND, "purpose": "CREDIT_CARD_APPROVAL"},
        )
    )
    card = data["subject"]
    assert card["name"] == PERSONA["husband"].name
    assert card["creditSummary"]["seriousDelinquency"] is not None
    assert (card["identifier"] == HUSBAND) == (edition == "BANK")


async def test_under_the_policy_a_query_is_answered_without_planning_it_as_written(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """A query is fetched only through the views planned per subject, so its own plan
    would be work thrown away (and a plan-cache entry per document)."""
    gateway = in_process_gateway(writable_pool)
    try:
        async with serving(gateway, writable_pool, tmp_path) as client:
            body = await post(
                client,
                bearer(tmp_path, "SUBJECT", HUSBAND),
                operation("subject_card"),
                {"identifier": HUSBAND, "purpose": "SELF"},
            )
    finally:
        await gateway.aclose()
    assert assert_fits_its_edition(body)["subject"]["name"] == PERSONA["husband"].name
    assert len(gateway.plans) == 0
