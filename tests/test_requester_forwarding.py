"""The requester travels to HTTP subgraphs inside the gateway's credential, and nowhere else.

Each test runs the four subgraphs and the policy gateway in front of them as real HTTP
servers (uvicorn, in a background thread, over the test's own copy of the seeded
database), wired as `creditgraph serve --subgraph NAME=URL` wires them. Users are played
with real tokens over real HTTP; a subgraph is also called directly, as someone inside
the network might.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
import pytest
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditgraph.access.policy import Policy
from creditgraph.access.tokens import mint_demo_token
from creditgraph.commands import guarded, http_gateway, in_process_gateway
from creditgraph.gateway import Supergraph, writes
from creditgraph.requester import Requester, Role
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU, WESTLAKE_BANK
from creditgraph.server import build_app
from creditgraph.settings import Settings
from creditgraph.subgraphs import credential
from creditgraph.subgraphs.app import build_subgraph_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.cli_helpers import free_port

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
FIRM = PERSONA["circle_a"].identifier
FIRMS_REPRESENTATIVE = PERSONA["guarantor"].identifier
SELF = Requester("SUBJECT", HUSBAND, None)
LOAN_OFFICER = Requester("BANK", WESTLAKE_BANK.code, "operator-9")

GRANT = """
mutation($bank: String!) {
  grantConsent(grantee: $bank, purpose: LOAN_APPROVAL) { id state subjectIdentifier }
}
"""
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { id state } }"
AUTHORISE = """
mutation($subject: String!, $purpose: InquiryPurpose! = LOAN_APPROVAL) {
  recordAuthorisation(subject: $subject, purpose: $purpose, evidence: "sha256:0123456789ab") {
    id state
  }
}
"""
REPORT = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) { name accounts { totalCount } }
}
"""
MY_GRANTS = "{ me { identifier consentGrants { id } } }"


@dataclass
class Exchange:
    """One request a subgraph received: its headers, its body and the body it answered."""

    headers: dict[str, str]
    sent: bytearray = field(default_factory=bytearray)
    answered: bytearray = field(default_factory=bytearray)


class _HeaderLog:
    """ASGI middleware keeping the headers of every request that reaches the app behind it,
    and each whole exchange (what was sent, what the app answered)."""

    def __init__(self, app: ASGIApp, seen: list[dict[str, str]], exchanges: list[Exchange]) -> None:
        self.app = app
        self.seen = seen
        self.exchanges = exchanges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.seen.append(headers)
        exchange = Exchange(headers)
        self.exchanges.append(exchange)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                exchange.sent += message.get("body", b"")
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.body":
                exchange.answered += message.get("body", b"")
            await send(message)

        await self.app(scope, receiving, sending)


@dataclass
class Stack:
    """The gateway and its subgraphs over HTTP, and what each subgraph was sent."""

    dsn: str
    home: Path
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    subgraphs: dict[str, str] = field(default_factory=dict)
    gateway: str = ""
    seen: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: {name: [] for name in SUBGRAPH_NAMES}
    )
    exchanges: dict[str, list[Exchange]] = field(
        default_factory=lambda: {name: [] for name in SUBGRAPH_NAMES}
    )
    servers: list[uvicorn.Server] = field(default_factory=list)
    in_process: bool = False
    """Mount the subgraphs in the gateway's process instead of reaching them over HTTP."""

    async def serve(self) -> None:
        pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=8)
        gateway = None
        try:
            for name in SUBGRAPH_NAMES:
                app = build_subgraph_app(name, subgraph_schema(name), pool, secret=self.secret)
                self.subgraphs[name] = self._listen(
                    _HeaderLog(app, self.seen[name], self.exchanges[name])
                )
            supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
            if self.in_process:
                gateway = in_process_gateway(supergraph, pool)
            else:
                gateway = http_gateway(supergraph, overrides=self.subgraphs, secret=self.secret)
            settings = Settings(database_url=self.dsn, home=self.home)
            access = guarded(gateway, Policy.load(policy_path()), pool, settings)
            self.gateway = self._listen(build_app(gateway, pool=pool, access=access))
            await asyncio.gather(*(server.serve() for server in self.servers))
        finally:
            if gateway is not None:
                await gateway.aclose()
            await pool.close()

    def _listen(self, app: ASGIApp) -> str:
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self.servers.append(uvicorn.Server(config))
        return f"http://127.0.0.1:{port}/graphql"

    def token(self, requester: Requester) -> str:
        return mint_demo_token(
            self.home,
            requester.role,
            requester.identifier,
            requester.operator,
            representative=requester.representative,
        )

    async def ask(
        self,
        requester: Requester | None,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A user's request to the gateway, as its HTTP client would send it."""
        sent = dict(headers or {})
        if requester is not None:
            sent["authorization"] = f"Bearer {self.token(requester)}"
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.gateway, json={"query": query, "variables": variables or {}}, headers=sent
            )
        answer: dict[str, Any] = response.json()
        return answer


def running_stack(dsn: str, home: Path, *, in_process: bool = False) -> Iterator[Stack]:
    """The stack served in a background thread until the caller is done with it."""
    running = Stack(dsn, home, in_process=in_process)
    running.home.mkdir()
    thread = threading.Thread(target=asyncio.run, args=(running.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while len(running.servers) <= len(SUBGRAPH_NAMES) or not all(
        server.started for server in running.servers
    ):
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the gateway and its subgraphs did not start")
        time.sleep(0.02)
    try:
        yield running
    finally:
        for server in running.servers:
            server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def stack(writable_seeded_database_url: str, tmp_path: Path) -> Iterator[Stack]:
    yield from running_stack(writable_seeded_database_url, tmp_path / "home")


@pytest.fixture
async def db(writable_seeded_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def grants(db: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every consent grant, as the database holds it."""
    rows: list[asyncpg.Record] = await db.fetch(
        "select g.id, g.subject_identifier, g.grantor_identifier, r.identifier as grantee, "
        "g.recorded_via, g.recorded_by, g.status "
        "from gateway.consent_grants g join gateway.requesters r on r.id = g.grantee_id "
        "order by g.id"
    )
    return rows


def codes(answer: dict[str, Any]) -> list[str]:
    return [item["extensions"]["code"] for item in answer.get("errors", [])]


# -- through the gateway -------------------------------------------------------------------


async def test_a_subject_grants_over_http_the_bank_reads_then_revocation_closes_it(
    stack: Stack, db: asyncpg.Connection
) -> None:
    before = await stack.ask(LOAN_OFFICER, REPORT, {"id": HUSBAND})
    assert before["data"] == {"subject": None}
    assert codes(before) == ["CONSENT_REQUIRED"]

    granted = await stack.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code})
    assert "errors" not in granted, granted
    grant = granted["data"]["grantConsent"]
    assert grant["state"] == "ACTIVE"
    assert grant["subjectIdentifier"] == HUSBAND
    mine = await stack.ask(SELF, MY_GRANTS)
    assert mine["data"]["me"]["identifier"] == HUSBAND
    assert grant["id"] in {item["id"] for item in mine["data"]["me"]["consentGrants"]}

    seen = await stack.ask(LOAN_OFFICER, REPORT, {"id": HUSBAND})
    assert "errors" not in seen, seen
    assert seen["data"]["subject"]["name"] == PERSONA["husband"].name
    assert seen["data"]["subject"]["accounts"]["totalCount"] > 0

    revoked = await stack.ask(SELF, REVOKE, {"id": grant["id"]})
    assert revoked["data"]["revokeConsent"] == {"id": grant["id"], "state": "REVOKED"}
    after = await stack.ask(LOAN_OFFICER, REPORT, {"id": HUSBAND})
    assert after["data"] == {"subject": None}
    assert codes(after) == ["CONSENT_REQUIRED"]
    row = next(row for row in await grants(db) if str(row["id"]) == grant["id"])
    assert (row["subject_identifier"], row["grantee"], row["status"]) == (
        HUSBAND,
        WESTLAKE_BANK.code,
        "REVOKED",
    )


async def test_a_bank_records_an_authorisation_over_http_under_its_own_name_and_operator(
    stack: Stack, db: asyncpg.Connection
) -> None:
    answer = await stack.ask(LOAN_OFFICER, AUTHORISE, {"subject": WIFE})
    assert "errors" not in answer, answer
    row = next(
        row
        for row in await grants(db)
        if str(row["id"]) == answer["data"]["recordAuthorisation"]["id"]
    )
    assert (row["subject_identifier"], row["grantee"], row["recorded_via"], row["recorded_by"]) == (
        WIFE,
        WESTLAKE_BANK.code,
        "GRANTEE",
        LOAN_OFFICER.operator,
    )


async def test_requesters_one_after_another_each_act_as_themselves(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """Credentials are reused for a few seconds, but never one requester's for another."""
    other_bank = Requester("BANK", EASTBRIDGE_BANK.code, "operator-7")
    before = await grants(db)
    # a bank asks once per purpose while the subject has not answered: each time another one
    purposes = iter(["LOAN_APPROVAL", "LOAN_APPROVAL", "CREDIT_CARD_APPROVAL"])
    for requester in (SELF, LOAN_OFFICER, other_bank, SELF, LOAN_OFFICER):
        if requester == SELF:
            mine = await stack.ask(requester, MY_GRANTS)
            assert mine["data"]["me"]["identifier"] == HUSBAND
        else:
            variables = {"subject": WIFE, "purpose": next(purposes)}
            answer = await stack.ask(requester, AUTHORISE, variables)
            assert "errors" not in answer, answer
    written = [
        (row["subject_identifier"], row["grantee"], row["recorded_by"])
        for row in await grants(db)
        if row not in before
    ]
    assert sorted(written) == sorted(
        [
            (WIFE, WESTLAKE_BANK.code, LOAN_OFFICER.operator),
            (WIFE, EASTBRIDGE_BANK.code, other_bank.operator),
            (WIFE, WESTLAKE_BANK.code, LOAN_OFFICER.operator),
        ]
    )


async def test_an_organisation_grants_over_http_subgraphs_through_its_representative(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """The representative the gateway checked reaches the consent subgraph, which records the
    person who gave the organisation's grant."""
    for_the_firm = Requester("SUBJECT", FIRM, None, FIRMS_REPRESENTATIVE)
    granted = await stack.ask(for_the_firm, GRANT, {"bank": WESTLAKE_BANK.code})
    grant = granted["data"]["grantConsent"]
    assert (grant["state"], grant["subjectIdentifier"]) == ("ACTIVE", FIRM)
    row = next(row for row in await grants(db) if str(row["id"]) == grant["id"])
    assert (row["subject_identifier"], row["grantor_identifier"]) == (FIRM, FIRMS_REPRESENTATIVE)


async def test_each_subgraph_request_names_the_requester_it_was_made_for(stack: Stack) -> None:
    """Every credential the subgraphs received names the requester, or no one: never another."""
    await stack.ask(SELF, MY_GRANTS)
    received = [
        credential.verify(stack.secret, name, headers[credential.HEADER])
        for name, requests in stack.seen.items()
        for headers in requests
    ]
    assert received
    assert set(received) <= {SELF, None}
    assert SELF in received


def _credential_claiming(stack: Stack, requester: Requester) -> str:
    """What a client would send if it could sign the gateway's credential for someone else."""
    return credential.issue(stack.secret, "consent", requester=requester)


async def test_a_client_sending_its_own_credential_or_requester_headers_gains_nothing(
    stack: Stack, db: asyncpg.Connection
) -> None:
    before = await grants(db)
    forged = _credential_claiming(stack, Requester("SUBJECT", WIFE, None))
    smuggled = {
        credential.HEADER: forged,
        "x-creditgraph-requester": WIFE,
        "x-creditgraph-role": "subject",
        "x-creditgraph-operator": "someone",
    }

    anonymous = await stack.ask(None, GRANT, {"bank": EASTBRIDGE_BANK.code}, smuggled)
    assert anonymous.get("data") is None
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    assert await grants(db) == before

    # signed in as the husband, claiming to be his wife: the grant is the husband's
    answer = await stack.ask(SELF, GRANT, {"bank": EASTBRIDGE_BANK.code}, smuggled)
    assert answer["data"]["grantConsent"]["subjectIdentifier"] == HUSBAND
    written = [row for row in await grants(db) if row not in before]
    assert [(row["subject_identifier"], row["grantor_identifier"]) for row in written] == [
        (HUSBAND, HUSBAND)
    ]

    # and nothing the client sent reached any subgraph
    requests = [headers for log in stack.seen.values() for headers in log]
    assert requests
    for headers in requests:
        assert headers[credential.HEADER] != forged
        assert not any(name.startswith("x-creditgraph-") for name in headers)
        assert "authorization" not in headers


async def test_the_request_id_reaches_every_subgraph_fetch_of_that_request(
    stack: Stack,
) -> None:
    """A subgraph's log lines can be joined to the gateway's: the fetches carry its id."""

    def ids_sent() -> set[str | None]:
        sent = {headers.get("x-request-id") for log in stack.seen.values() for headers in log}
        for log in stack.seen.values():
            log.clear()
        return sent

    await stack.ask(SELF, MY_GRANTS, headers={"x-request-id": "trace-42"})
    assert ids_sent() == {"trace-42"}
    # an unusable id is replaced by the gateway's own, and that one is passed on instead
    await stack.ask(SELF, MY_GRANTS, headers={"x-request-id": "x" * 129})
    (fresh,) = ids_sent()
    assert fresh is not None
    assert fresh != "x" * 129
    await stack.ask(SELF, MY_GRANTS)
    (other,) = ids_sent()
    assert other not in (None, fresh)


# -- straight to the consent subgraph ------------------------------------------------------


async def _direct(
    stack: Stack, token: str | None, query: str, variables: dict[str, Any]
) -> httpx.Response:
    headers = {} if token is None else {credential.HEADER: token}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            stack.subgraphs["consent"],
            json={"query": query, "variables": variables},
            headers=headers,
        )


def _signed(secret: bytes, subgraph: str = "consent", **claims: object) -> str:
    now = int(time.time())
    body: dict[str, object] = {
        "iss": credential.ISSUER,
        "aud": credential.audience(subgraph),
        "iat": now,
        "exp": now + credential.LIFETIME_SECONDS,
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def _tampered(token: str, **changes: object) -> str:
    """The token with its claims edited and its signature kept."""
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    edited = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    return f"{header}.{edited}.{signature}"


SUBJECT_CLAIMS: dict[str, Any] = {"sub": HUSBAND, "role": "subject"}
REFUSED = [
    pytest.param(lambda secret: _signed(b"k" * 32, **SUBJECT_CLAIMS), id="another-key"),
    pytest.param(lambda secret: _signed(secret, "bureau", **SUBJECT_CLAIMS), id="another-subgraph"),
    pytest.param(
        lambda secret: credential.issue(
            secret, "consent", requester=SELF, now=time.time() - 2 * credential.LIFETIME_SECONDS
        ),
        id="expired",
    ),
    pytest.param(
        lambda secret: _tampered(
            credential.issue(secret, "consent", requester=Requester("SUBJECT", WIFE, None)),
            sub=HUSBAND,
        ),
        id="requester-tampered",
    ),
    pytest.param(
        lambda secret: _tampered(credential.issue(secret, "consent"), **SUBJECT_CLAIMS),
        id="requester-added",
    ),
    pytest.param(lambda secret: _signed(secret, role="subject"), id="role-without-identifier"),
    pytest.param(lambda secret: _signed(secret, sub=HUSBAND), id="identifier-without-role"),
    pytest.param(lambda secret: _signed(secret, sub=HUSBAND, role="admin"), id="unknown-role"),
    pytest.param(lambda secret: _signed(secret, sub=HUSBAND, role="SUBJECT"), id="role-case"),
    pytest.param(
        lambda secret: _signed(secret, sub=WESTLAKE_BANK.code, role="subject"),
        id="identifier-of-another-kind",
    ),
    pytest.param(
        lambda secret: _signed(secret, **SUBJECT_CLAIMS, operator="clerk"), id="subject-operator"
    ),
    pytest.param(
        lambda secret: _signed(secret, sub=WESTLAKE_BANK.code, role="bank"), id="bank-no-operator"
    ),
    pytest.param(
        lambda secret: _signed(secret, sub=WESTLAKE_BANK.code, role="bank", operator=""),
        id="empty-operator",
    ),
    pytest.param(lambda secret: _signed(secret, sub=[HUSBAND], role="subject"), id="sub-not-text"),
    pytest.param(
        lambda secret: _signed(secret, **SUBJECT_CLAIMS, hold="0' ; commit prepared '1"),
        id="hold-not-hex",
    ),
    pytest.param(
        lambda secret: _signed(secret, **SUBJECT_CLAIMS, representative=WIFE),
        id="representative-of-a-person",
    ),
    pytest.param(
        lambda secret: _signed(
            secret, sub=WESTLAKE_BANK.code, role="bank", operator="clerk", representative=WIFE
        ),
        id="representative-of-a-bank",
    ),
    pytest.param(
        lambda secret: _signed(secret, sub=FIRM, role="subject", representative=WESTLAKE_BANK.code),
        id="representative-not-a-person",
    ),
]


@pytest.mark.parametrize("make_token", REFUSED)
async def test_a_bad_credential_is_refused_and_writes_nothing(
    stack: Stack, db: asyncpg.Connection, make_token: Any
) -> None:
    before = await grants(db)
    response = await _direct(stack, make_token(stack.secret), GRANT, {"bank": WESTLAKE_BANK.code})
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": credential.REFUSAL, "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    assert await grants(db) == before


async def test_the_gateways_credential_for_a_subject_writes_their_grant_pending(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """The control for the refusals above: signed by the gateway with a mutation's hold, the
    same request writes, and the grant waits, pending, until the gateway commits it."""
    hold = uuid.uuid4().hex
    token = credential.issue(stack.secret, "consent", requester=SELF, hold=hold)
    before = await grants(db)
    response = await _direct(stack, token, GRANT, {"bank": WESTLAKE_BANK.code})
    assert response.status_code == 200
    grant_id = response.json()["data"]["grantConsent"]["id"]
    assert await grants(db) == before
    held = await writes.pending(db, writes.WriteUnit(db, hold))
    assert len(held) == 1
    await writes.finish(db, held, "COMMIT")
    assert [
        row["subject_identifier"] for row in await grants(db) if str(row["id"]) == grant_id
    ] == [HUSBAND]


async def test_a_credential_without_a_hold_may_not_write(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """A write the gateway would not record (no hold to leave it pending under) is refused."""
    before = await grants(db)
    token = credential.issue(stack.secret, "consent", requester=SELF)
    response = await _direct(stack, token, GRANT, {"bank": WESTLAKE_BANK.code})
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert await grants(db) == before


async def test_a_credential_naming_no_one_may_not_write(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """What Apollo Gateway (interop/apollo_gateway.mjs) sends: accepted, as no one's request."""
    before = await grants(db)
    response = await _direct(
        stack, credential.issue(stack.secret, "consent"), GRANT, {"bank": WESTLAKE_BANK.code}
    )
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert await grants(db) == before


@pytest.mark.parametrize(
    ("role", "identifier", "operator"),
    [
        ("SUBJECT", HUSBAND, None),
        ("BANK", WESTLAKE_BANK.code, "loan officer 7"),
        ("GOVERNMENT", TAX_BUREAU.code, None),
        ("GOVERNMENT", TAX_BUREAU.code, "inspector"),
    ],
)
def test_every_requester_survives_the_credential(
    role: Role, identifier: str, operator: str | None
) -> None:
    secret = secrets.token_bytes(32)
    requester = Requester(role, identifier, operator)
    token = credential.issue(secret, "consent", requester=requester)
    assert credential.verify(secret, "consent", token) == requester
    assert credential.verify(secret, "consent", credential.issue(secret, "consent")) is None


def test_an_organisations_representative_survives_the_credential() -> None:
    secret = secrets.token_bytes(32)
    requester = Requester("SUBJECT", FIRM, None, FIRMS_REPRESENTATIVE)
    token = credential.issue(secret, "consent", requester=requester)
    assert credential.verify(secret, "consent", token) == requester
    assert credential.verify(secret, "consent", credential.issue(secret, "consent")) is None
