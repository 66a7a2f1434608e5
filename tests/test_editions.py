"""Report editions: the decision table alone, then end to end.

The table (`editions.entitlement`) is tested first without a database: grants,
mandates and open accounts are given as plain data, and the expected edition
comes from an oracle written here from the README's "Editions" section, not
from the model. Then every end-to-end test runs the in-process gateway with the
edition policy in front, over the seeded demo database, with real tokens: what
a user of each kind would see over HTTP, minus the socket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditgraph.access import audit, editions
from creditgraph.access.editions import Entitlement, KnownRequester, LiveGrant, entitlement
from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.masks import ANONYMISED_NAME
from creditgraph.access.policy import Policy
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport, Transport
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU, WESTLAKE_BANK
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
SELF = Requester("SUBJECT", HUSBAND, None)
EASTBRIDGE = Requester("BANK", EASTBRIDGE_BANK.code, "operator-7")
WESTLAKE = Requester("BANK", WESTLAKE_BANK.code, "operator-9")
AGENCY = Requester("GOVERNMENT", TAX_BUREAU.code, "inspector")


# -- the decision table, without a database ---------------------------------------------------

OTHER = PERSONA["wife"].identifier
PURPOSES = ("SELF", "LOAN_APPROVAL", "POST_LOAN_MANAGEMENT", "PUBLIC_CREDIT_CHECK")
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """One row of the table: who asks (known to the gateway's records or not), about whom,
    for what, and the facts the database would hold."""

    role: str
    identifier: str
    known: bool
    subject: str
    purpose: str
    grants: tuple[LiveGrant, ...] = ()
    mandate: int | None = None
    lends: bool = False

    def decided(self) -> Entitlement | None:
        operator = None if self.role == "SUBJECT" else "operator"
        who = KnownRequester(
            Requester(self.role, self.identifier, operator),  # type: ignore[arg-type]
            7 if self.known else None,
            "someone" if self.known else None,
        )
        return entitlement(
            who,
            self.subject,
            self.purpose,
            grants=self.grants,
            mandate=self.mandate,
            lends=self.lends,
        )


def documented(case: Case) -> tuple[str, str, uuid.UUID | None, int | None] | None:
    """The README's table, as (edition, purpose recorded, grant, mandate), or None for nothing.

    "the subject themself SUBJECT; a bank with a live grant for the purpose (or, for
    POST_LOAN_MANAGEMENT, an open account with the subject) the grant's edition; a
    government body with a mandate GOVERNMENT; otherwise the subject is null with
    CONSENT_REQUIRED"; government bodies "see nothing by consent"; an institution the
    gateway has no record of holds no grant or mandate; a look at one's own report is a
    SELF inquiry, so no one else's report is had for that purpose. Of several live grants
    the one showing most counts: a BANK grant over a SOCIAL one, then the one lasting longest.
    """
    if case.role == "SUBJECT" and case.subject == case.identifier:
        return ("SUBJECT", "SELF", None, None)
    if not case.known or case.purpose == "SELF":
        return None
    if case.role == "GOVERNMENT":
        if case.mandate is None:
            return None
        return ("GOVERNMENT", case.purpose, None, case.mandate)
    if case.grants:
        banks = [grant for grant in case.grants if grant.edition == "BANK"]
        candidates = banks or list(case.grants)
        latest = sorted(candidates, key=lambda grant: grant.valid_until)[-1]
        return (latest.edition, case.purpose, latest.id, None)
    if case.role == "BANK" and case.purpose == "POST_LOAN_MANAGEMENT" and case.lends:
        return ("BANK", case.purpose, None, None)
    return None


def _as_row(found: Entitlement | None) -> tuple[str, str, uuid.UUID | None, int | None] | None:
    if found is None:
        return None
    return (found.edition, found.purpose, found.grant_id, found.mandate_id)


def _grant(edition: str, days: int, months: int | None = None) -> LiveGrant:
    return LiveGrant(uuid.uuid4(), edition, NOW + timedelta(days=days), months)


_GRANTS = st.lists(
    st.tuples(st.sampled_from(("BANK", "SOCIAL")), st.integers(1, 400)),
    max_size=3,
    unique_by=lambda item: item[1],
).map(lambda items: tuple(_grant(edition, days) for edition, days in items))

CASES = st.builds(
    Case,
    role=st.sampled_from(("SUBJECT", "BANK", "GOVERNMENT", "FURNISHER")),
    identifier=st.sampled_from((HUSBAND, EASTBRIDGE_BANK.code, TAX_BUREAU.code)),
    known=st.booleans(),
    subject=st.sampled_from((HUSBAND, OTHER)),
    purpose=st.sampled_from(PURPOSES),
    grants=_GRANTS,
    mandate=st.one_of(st.none(), st.integers(1, 50)),
    lends=st.booleans(),
)


@given(CASES)
def test_every_edition_decided_is_the_documented_one(case: Case) -> None:
    assert _as_row(case.decided()) == documented(case)


@pytest.mark.parametrize(
    ("case", "edition"),
    [
        (Case("SUBJECT", HUSBAND, True, HUSBAND, "LOAN_APPROVAL"), "SUBJECT"),
        (Case("SUBJECT", HUSBAND, False, HUSBAND, "SELF"), "SUBJECT"),
        (Case("SUBJECT", HUSBAND, True, OTHER, "LOAN_APPROVAL"), None),
        (Case("SUBJECT", HUSBAND, True, OTHER, "LOAN_APPROVAL", (_grant("SOCIAL", 9),)), "SOCIAL"),
        (Case("BANK", EASTBRIDGE_BANK.code, True, HUSBAND, "LOAN_APPROVAL"), None),
        (
            Case(
                "BANK", EASTBRIDGE_BANK.code, True, HUSBAND, "LOAN_APPROVAL", (_grant("BANK", 9),)
            ),
            "BANK",
        ),
        (
            Case(
                "BANK",
                EASTBRIDGE_BANK.code,
                True,
                HUSBAND,
                "LOAN_APPROVAL",
                (_grant("SOCIAL", 300), _grant("BANK", 9)),
            ),
            "BANK",
        ),
        (
            Case(
                "BANK", EASTBRIDGE_BANK.code, False, HUSBAND, "LOAN_APPROVAL", (_grant("BANK", 9),)
            ),
            None,
        ),
        (Case("BANK", EASTBRIDGE_BANK.code, True, HUSBAND, "SELF", (_grant("BANK", 9),)), None),
        (
            Case("BANK", EASTBRIDGE_BANK.code, True, HUSBAND, "POST_LOAN_MANAGEMENT", lends=True),
            "BANK",
        ),
        (Case("BANK", EASTBRIDGE_BANK.code, True, HUSBAND, "LOAN_APPROVAL", lends=True), None),
        (
            Case("GOVERNMENT", TAX_BUREAU.code, True, HUSBAND, "PUBLIC_CREDIT_CHECK", mandate=3),
            "GOVERNMENT",
        ),
        (
            Case(
                "GOVERNMENT",
                TAX_BUREAU.code,
                True,
                HUSBAND,
                "PUBLIC_CREDIT_CHECK",
                (_grant("BANK", 9),),
            ),
            None,
        ),
        (
            Case(
                "FURNISHER", EASTBRIDGE_BANK.code, True, HUSBAND, "POST_LOAN_MANAGEMENT", lends=True
            ),
            None,
        ),
    ],
)
def test_the_table_row_by_row(case: Case, edition: str | None) -> None:
    decided = case.decided()
    assert (None if decided is None else decided.edition) == edition
    assert _as_row(decided) == documented(case)


def test_a_grant_carries_its_data_period_into_the_entitlement() -> None:
    case = Case(
        "BANK", EASTBRIDGE_BANK.code, True, HUSBAND, "LOAN_APPROVAL", (_grant("BANK", 9, 24),)
    )
    decided = case.decided()
    assert decided is not None
    assert decided.data_period_months == 24


# -- end to end ----------------------------------------------------------------------------------


class Recording:
    """The in-process transport, keeping every document the gateway sends a subgraph."""

    def __init__(self, inner: Transport, sent: list[str] | None = None) -> None:
        self.inner = inner
        self.sent: list[str] = [] if sent is None else sent

    def acting_for(self, requester: Requester | None) -> Recording:
        return Recording(self.inner.acting_for(requester), self.sent)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(document)
        return await self.inner.send(subgraph, document, variables)

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- who asks and what they hold, read in one round trip ----------------------------------------

# every kind of grant the seed holds (live, revoked, lapsed, pending), the grantee's looks at
# its grantor and at two subjects besides, for the grant's purpose and for the others
_GRANTS_SEEN = """
select distinct on (g.status, g.valid_until > now(), g.valid_from <= now(), r.role, g.purpose)
       r.role, r.identifier, g.subject_identifier, g.purpose
from gateway.consent_grants g
join gateway.requesters r on r.id = g.grantee_id
order by g.status, g.valid_until > now(), g.valid_from <= now(), r.role, g.purpose, g.id
"""


async def test_who_asks_and_their_grants_read_at_once_decide_as_read_in_turn(
    writable_pool: asyncpg.Pool,
) -> None:
    """`known_and_decided` reads the requester's record with its live grants in one statement;
    it decides exactly as `known_requester` then `decide` do, whatever the grants' state, for
    requesters on record and not (an unknown bank, a subject signing in for the first time,
    who is enrolled either way)."""
    async with writable_pool.acquire() as conn:
        seen = await conn.fetch(_GRANTS_SEEN)
        assert {row["role"] for row in seen} >= {"BANK"}
        asks = [
            (
                Requester(
                    row["role"], row["identifier"], None if row["role"] == "SUBJECT" else "op"
                ),
                [row["subject_identifier"], HUSBAND, WIFE],
                purpose,
            )
            for row in seen
            for purpose in dict.fromkeys([row["purpose"], *PURPOSES])
        ]
        asks += [
            (Requester("BANK", "91110000000000999X", "op"), [HUSBAND], "LOAN_APPROVAL"),
            (Requester("SUBJECT", "11010119900307999X", None), [HUSBAND], "LOAN_APPROVAL"),
            (EASTBRIDGE, [HUSBAND, WIFE], "LOAN_APPROVAL"),
            (SELF, [HUSBAND, WIFE], "LOAN_APPROVAL"),
            (AGENCY, [HUSBAND], "PUBLIC_CREDIT_CHECK"),
        ]
        decided_any = False
        for requester, subjects, purpose in asks:
            together = await editions.known_and_decided(conn, requester, subjects, purpose)
            who = await editions.known_requester(conn, requester)
            apart = await editions.decide(conn, who, subjects, purpose)
            assert together == (who, apart), (requester, subjects, purpose)
            decided_any = decided_any or bool(apart)
        assert decided_any


@pytest.fixture
def recording(writable_pool: asyncpg.Pool) -> Recording:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    return Recording(InProcessTransport(schemas, writable_pool))


@pytest.fixture
def guarded(writable_pool: asyncpg.Pool, recording: Recording) -> PolicyGateway:
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    return PolicyGateway(Gateway(supergraph, recording), Policy.load(policy_path()), writable_pool)


async def ask(
    guarded: PolicyGateway,
    requester: Requester | None,
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    prepared = guarded.prepare(query, variables or {}, None)
    return await guarded.record(
        await guarded.run(prepared, dict(variables or {}), requester, "test")
    )


REPORT = """
query($id: String!, $purpose: InquiryPurpose!) {
  subject(identifier: $id, purpose: $purpose) {
    name identifier
    phones { number reportedBy }
    spouse { name identifier phones { number } accounts { totalCount } }
    accounts { nodes { joint account { kind lender { code name } } } }
    creditSummary { seriousDelinquency }
    guaranteeExposure { totalExposure links { depth } }
    dishonestListings { caseNumber }
    scores { value model { scale } }
  }
}
"""


def codes(response: dict[str, Any]) -> dict[tuple[str | int, ...], str]:
    return {
        tuple(item["path"]): item["extensions"]["code"]
        for item in response.get("errors", [])
        if "path" in item
    }


def test_the_documented_table_is_the_enforced_policy(repo_root: Any) -> None:
    documented = (repo_root / "docs" / "policy.md").read_text(encoding="utf-8")
    assert documented == Policy.load(policy_path()).markdown(), (
        "run: creditgraph policy --out docs/policy.md"
    )


async def test_the_subject_sees_everything_of_their_own(guarded: PolicyGateway) -> None:
    response = await ask(guarded, SELF, REPORT, {"id": HUSBAND, "purpose": "SELF"})
    subject = response["data"]["subject"]
    assert subject["identifier"] == HUSBAND
    assert {item["model"]["scale"] for item in subject["scores"]} == {
        "BUREAU",
        "CITY",
        "COMMERCIAL",
    }
    lenders = {item["account"]["lender"]["name"] for item in subject["accounts"]["nodes"]}
    assert lenders == {EASTBRIDGE_BANK.name, WESTLAKE_BANK.name}
    # the spouse's identity section, but not her own accounts without her consent
    assert subject["spouse"]["identifier"] == WIFE
    assert subject["spouse"]["phones"]
    assert subject["spouse"]["accounts"] is None
    assert codes(response) == {("subject", "spouse", "accounts"): "CONSENT_REQUIRED"}


async def test_a_bank_sees_its_own_name_and_no_other_lender(guarded: PolicyGateway) -> None:
    response = await ask(
        guarded, EASTBRIDGE, REPORT, {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    )
    subject = response["data"]["subject"]
    lenders = sorted(
        (item["account"]["kind"], item["account"]["lender"]["name"])
        for item in subject["accounts"]["nodes"]
    )
    assert lenders == [("CREDIT_CARD", f"{ANONYMISED_NAME} 1"), ("MORTGAGE", EASTBRIDGE_BANK.name)]
    assert WESTLAKE_BANK.code not in str(response)
    assert WESTLAKE_BANK.name not in str(response)
    assert [item["model"]["scale"] for item in subject["scores"]] == ["BUREAU"]


async def test_government_sees_public_credit_only(guarded: PolicyGateway) -> None:
    response = await ask(guarded, AGENCY, REPORT, {"id": HUSBAND, "purpose": "PUBLIC_CREDIT_CHECK"})
    subject = response["data"]["subject"]
    assert subject["name"] == PERSONA["husband"].name
    assert subject["identifier"] == HUSBAND
    assert subject["dishonestListings"] == []
    denied = codes(response)
    for field in ("phones", "spouse", "accounts", "creditSummary", "scores"):
        assert subject[field] is None
        assert denied[("subject", field)] == "FORBIDDEN_FIELD"
    edition = {item["extensions"].get("edition") for item in response["errors"]}
    assert edition == {"GOVERNMENT"}


async def test_without_consent_the_subject_is_null_and_says_why(guarded: PolicyGateway) -> None:
    response = await ask(guarded, WESTLAKE, REPORT, {"id": HUSBAND, "purpose": "LOAN_APPROVAL"})
    assert response["data"] == {"subject": None}
    assert codes(response) == {("subject",): "CONSENT_REQUIRED"}


async def test_nothing_forbidden_is_ever_asked_of_a_subgraph(
    guarded: PolicyGateway, recording: Recording
) -> None:
    await ask(guarded, AGENCY, REPORT, {"id": HUSBAND, "purpose": "PUBLIC_CREDIT_CHECK"})
    sent = "\n".join(recording.sent)
    assert "dishonestListings" in sent
    for field in ("phones", "spouse", "accounts", "creditSummary", "scores", "guaranteeExposure"):
        assert field not in sent


GRANT = """
mutation($bank: String!, $purpose: InquiryPurpose!, $edition: Edition) {
  grantConsent(grantee: $bank, purpose: $purpose, edition: $edition) { id state edition }
}
"""
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { id state revokedAt } }"
SOCIAL_REPORT = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    identifier accounts { totalCount } creditSummary { accountCount }
    guaranteeExposure { totalExposure links { depth } }
  }
}
"""


async def test_a_grant_opens_the_report_and_revocation_closes_it_at_once(
    guarded: PolicyGateway,
) -> None:
    granted = await ask(
        guarded, SELF, GRANT, {"bank": WESTLAKE_BANK.code, "purpose": "LOAN_APPROVAL"}
    )
    grant = granted["data"]["grantConsent"]
    assert grant["state"] == "ACTIVE"
    assert grant["edition"] == "BANK"
    seen = await ask(guarded, WESTLAKE, REPORT, {"id": HUSBAND, "purpose": "LOAN_APPROVAL"})
    assert seen["data"]["subject"]["name"]
    # the grant is for loan approval, not for a card
    other = await ask(guarded, WESTLAKE, REPORT, {"id": HUSBAND, "purpose": "CREDIT_CARD_APPROVAL"})
    assert codes(other) == {("subject",): "CONSENT_REQUIRED"}

    revoked = await ask(guarded, SELF, REVOKE, {"id": grant["id"]})
    assert revoked["data"]["revokeConsent"]["state"] == "REVOKED"
    after = await ask(guarded, WESTLAKE, REPORT, {"id": HUSBAND, "purpose": "LOAN_APPROVAL"})
    assert after["data"] == {"subject": None}
    assert codes(after) == {("subject",): "CONSENT_REQUIRED"}


async def test_a_social_grant_masks_the_identifier_and_shows_totals_only(
    guarded: PolicyGateway,
) -> None:
    await ask(
        guarded,
        SELF,
        GRANT,
        {"bank": WESTLAKE_BANK.code, "purpose": "LOAN_APPROVAL", "edition": "SOCIAL"},
    )
    response = await ask(guarded, WESTLAKE, SOCIAL_REPORT, {"id": HUSBAND})
    subject = response["data"]["subject"]
    assert subject["identifier"] != HUSBAND
    assert subject["identifier"] == HUSBAND[:2] + "*" * 15 + HUSBAND[-1:]
    assert subject["creditSummary"]["accountCount"] == 2
    assert subject["guaranteeExposure"]["totalExposure"] is not None
    assert codes(response) == {
        ("subject", "accounts"): "FORBIDDEN_FIELD",
        ("subject", "guaranteeExposure", "links"): "FORBIDDEN_FIELD",
    }


async def test_an_expired_grant_opens_nothing(
    guarded: PolicyGateway, writable_pool: asyncpg.Pool
) -> None:
    await writable_pool.execute(
        """
        insert into gateway.consent_grants
            (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
             valid_from, valid_until, recorded_via)
        select gen_random_uuid(), $1, $1, r.id, 'LOAN_APPROVAL', 'BANK',
               now() - interval '2 days', now() - interval '1 second', 'SUBJECT'
        from gateway.requesters r where r.identifier = $2
        """,
        HUSBAND,
        WESTLAKE_BANK.code,
    )
    response = await ask(guarded, WESTLAKE, REPORT, {"id": HUSBAND, "purpose": "LOAN_APPROVAL"})
    assert codes(response) == {("subject",): "CONSENT_REQUIRED"}


AUTHORISE = """
mutation($subject: String!) {
  recordAuthorisation(subject: $subject, purpose: GUARANTEE_CHECK,
                      evidence: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f0") {
    id granteeCode recordedVia recordedBy evidence state
  }
}
"""
CONFIRM = "mutation($id: ID!) { confirmAuthorisation(id: $id) { id state } }"
GRANTS = "query { me { consentGrants { id granteeCode evidence state } } }"
BANK_GRANTS = """
query($id: String!) {
  subject(identifier: $id, purpose: GUARANTEE_CHECK) { consentGrants { granteeCode } }
}
"""


async def test_a_written_authorisation_is_recorded_seen_by_the_subject_and_scoped_to_its_bank(
    guarded: PolicyGateway,
) -> None:
    await ask(guarded, SELF, GRANT, {"bank": EASTBRIDGE_BANK.code, "purpose": "GUARANTEE_CHECK"})
    made = await ask(guarded, WESTLAKE, AUTHORISE, {"subject": HUSBAND})
    record = made["data"]["recordAuthorisation"]
    assert record["recordedVia"] == "GRANTEE"
    assert record["recordedBy"] == "operator-9"
    assert record["state"] == "PENDING"
    mine = await ask(guarded, SELF, GRANTS)
    listed = {item["id"]: item for item in mine["data"]["me"]["consentGrants"]}
    assert listed[record["id"]]["evidence"] == "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert {item["granteeCode"] for item in listed.values()} == {
        EASTBRIDGE_BANK.code,
        WESTLAKE_BANK.code,
    }
    # pending, it opens nothing; once the subject confirms it, the bank sees its own grant only
    unconfirmed = await ask(guarded, WESTLAKE, BANK_GRANTS, {"id": HUSBAND})
    assert codes(unconfirmed) == {("subject",): "CONSENT_REQUIRED"}
    await ask(guarded, SELF, CONFIRM, {"id": record["id"]})
    seen = await ask(guarded, WESTLAKE, BANK_GRANTS, {"id": HUSBAND})
    grantees = {item["granteeCode"] for item in seen["data"]["subject"]["consentGrants"]}
    assert grantees == {WESTLAKE_BANK.code}


async def test_the_audit_log_names_whose_file_a_write_changed(
    guarded: PolicyGateway, writable_pool: asyncpg.Pool
) -> None:
    await ask(guarded, SELF, 'mutation { addStatement(text: "I repaid in full in 2023") { id } }')
    await ask(guarded, WESTLAKE, AUTHORISE, {"subject": WIFE})
    logged = await writable_pool.fetch(
        "select role, subjects from gateway.audit_log order by seq desc limit 2"
    )
    assert [(row["role"], list(row["subjects"])) for row in logged] == [
        ("BANK", [WIFE]),
        ("SUBJECT", [HUSBAND]),
    ]


async def test_the_wrong_role_cannot_write_and_nothing_is_written(
    guarded: PolicyGateway, writable_pool: asyncpg.Pool
) -> None:
    before = await writable_pool.fetchval("select count(*) from gateway.consent_grants")
    response = await ask(
        guarded, WESTLAKE, GRANT, {"bank": WESTLAKE_BANK.code, "purpose": "LOAN_APPROVAL"}
    )
    assert response["data"] is None
    assert codes(response) == {("grantConsent",): "FORBIDDEN_FIELD"}
    too_long = await ask(
        guarded,
        SELF,
        "mutation($bank: String!) { grantConsent(grantee: $bank, purpose: LOAN_APPROVAL, "
        'validUntil: "2099-01-01T00:00:00+00:00") { id } }',
        {"bank": WESTLAKE_BANK.code},
    )
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await writable_pool.fetchval("select count(*) from gateway.consent_grants") == before


async def test_no_token_no_report(guarded: PolicyGateway) -> None:
    response = await ask(guarded, None, REPORT, {"id": HUSBAND, "purpose": "SELF"})
    assert response["data"] is None
    assert response["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


INQUIRIES = "query { me { inquiries(first: 50) { nodes { requesterCode purpose edition hard } } } }"


async def test_every_look_is_an_inquiry_and_the_audit_chain_holds(
    guarded: PolicyGateway, writable_pool: asyncpg.Pool
) -> None:
    entries = await writable_pool.fetchval("select count(*) from gateway.audit_log")
    await ask(guarded, EASTBRIDGE, REPORT, {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"})
    await ask(guarded, SELF, REPORT, {"id": HUSBAND, "purpose": "SELF"})
    response = await ask(guarded, SELF, INQUIRIES)
    nodes = response["data"]["me"]["inquiries"]["nodes"]
    assert {
        "requesterCode": EASTBRIDGE_BANK.code,
        "purpose": "POST_LOAN_MANAGEMENT",
        "edition": "BANK",
        "hard": False,
    } in nodes
    assert {
        "requesterCode": HUSBAND,
        "purpose": "SELF",
        "edition": "SUBJECT",
        "hard": False,
    } in nodes
    assert await writable_pool.fetchval("select count(*) from gateway.audit_log") == entries + 3
    verified = await audit.verify(writable_pool)
    assert verified.ok, verified.reason


async def test_each_root_field_is_judged_for_its_own_purpose(guarded: PolicyGateway) -> None:
    await ask(guarded, SELF, GRANT, {"bank": WESTLAKE_BANK.code, "purpose": "LOAN_APPROVAL"})
    response = await ask(
        guarded,
        WESTLAKE,
        """
        query($id: String!) {
          loan: subject(identifier: $id, purpose: LOAN_APPROVAL) { name }
          card: subject(identifier: $id, purpose: CREDIT_CARD_APPROVAL) { name }
        }
        """,
        {"id": HUSBAND},
    )
    assert response["data"] == {"loan": {"name": PERSONA["husband"].name}, "card": None}
    assert codes(response) == {("card",): "CONSENT_REQUIRED"}


async def test_a_client_cannot_borrow_the_gateways_own_keys(guarded: PolicyGateway) -> None:
    response = await ask(
        guarded,
        EASTBRIDGE,
        """
        query($id: String!) {
          subject(identifier: $id, purpose: POST_LOAN_MANAGEMENT) {
            accounts { nodes { account { parties { subject { _cg_policy_key: name } } } } }
          }
        }
        """,
        {"id": HUSBAND},
    )
    assert response["data"] is None
    assert response["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_root_argument_may_come_from_a_variables_default(guarded: PolicyGateway) -> None:
    # the variable is not sent: the subject asked for is its declared default
    response = await ask(
        guarded,
        SELF,
        f'query($id: String! = "{HUSBAND}", $why: InquiryPurpose! = SELF) '
        "{ subject(identifier: $id, purpose: $why) { name } }",
    )
    assert "errors" not in response, response["errors"]
    assert response["data"] == {"subject": {"name": PERSONA["husband"].name}}


async def test_a_query_is_planned_only_as_the_views_it_is_fetched_through(
    guarded: PolicyGateway,
) -> None:
    # the client's own operation is never fetched as written, so it is never planned either
    response = await ask(guarded, SELF, REPORT, {"id": HUSBAND, "purpose": "SELF"})
    assert response["data"]["subject"]["name"] == PERSONA["husband"].name
    schema = await ask(guarded, None, "{ __schema { queryType { name } } }")
    assert schema == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert len(guarded.gateway.plans) == 0
