"""Every request leaves an audit entry, the ones refused before they ran included.

A bad or expired token, a body that is not JSON, a document that does not parse or
validate, an unknown persisted query, a mutation sent with GET, a look refused for want
of consent: each is answered with a coded error and recorded, with who asked as far as
is known, the codes, and, for a refused look, the subject asked for. The entry carries
the request id the response names. Played over real HTTP against the gateway.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from creditgraph.access.tokens import mint_demo_token
from creditgraph.requester import Requester
from creditgraph.seed.personas import PERSONA, WESTLAKE_BANK
from tests.test_requester_forwarding import Stack, running_stack
from tests.test_requester_forwarding import db as _writable_db

db = _writable_db
"""The fixture: a connection to the test's own copy of the seeded database."""

HUSBAND = PERSONA["husband"].identifier
LONELY = PERSONA["model_borrower"].identifier
SELF = Requester("SUBJECT", HUSBAND, None)
BANK = Requester("BANK", WESTLAKE_BANK.code, "loan officer 7")
LOOK = "query Look($id: String!) { subject(identifier: $id, purpose: LOAN_APPROVAL) { name } }"


@pytest.fixture
def stack(writable_seeded_database_url: str, tmp_path: Path) -> Iterator[Stack]:
    yield from running_stack(writable_seeded_database_url, tmp_path / "home", in_process=True)


def _bearer(stack: Stack, requester: Requester, **kwargs: Any) -> dict[str, str]:
    token = mint_demo_token(
        stack.home, requester.role, requester.identifier, requester.operator, **kwargs
    )
    return {"authorization": f"Bearer {token}"}


async def _send(
    stack: Stack,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    method: str = "POST",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.request(
            method,
            stack.gateway,
            content=body,
            params=params,
            headers={"content-type": "application/json", **(headers or {})},
        )


def _json(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)


async def _entry_for(db: asyncpg.Connection, response: httpx.Response) -> dict[str, Any]:
    """The one audit entry of the request `response` answers, found by its request id."""
    rows = await db.fetch(
        "select role, requester, operator, operation, subjects, fields, decision, detail "
        "from gateway.audit_log where request_id = $1",
        response.headers["x-request-id"],
    )
    assert len(rows) == 1
    entry = dict(rows[0])
    entry["detail"] = orjson.loads(entry["detail"])
    return entry


def _codes(response: httpx.Response) -> list[str]:
    return [item["extensions"]["code"] for item in response.json()["errors"]]


REFUSED_BEFORE_RUNNING = [
    pytest.param(
        lambda stack: {
            "headers": {"authorization": "Bearer not.a.token"},
            "body": _json({"query": "{ me { name } }"}),
        },
        "UNAUTHENTICATED",
        None,
        id="bad-token",
    ),
    pytest.param(
        lambda stack: {
            "headers": _bearer(stack, SELF, lifetime_seconds=60, now=time.time() - 3600),
            "body": _json({"query": "{ me { name } }"}),
        },
        "UNAUTHENTICATED",
        None,
        id="expired-token",
    ),
    pytest.param(
        lambda stack: {"headers": _bearer(stack, SELF), "body": b"{not json"},
        "BAD_USER_INPUT",
        SELF,
        id="body-not-json",
    ),
    pytest.param(
        lambda stack: {"headers": _bearer(stack, SELF), "body": _json({"query": "{ me { "})},
        "GRAPHQL_PARSE_FAILED",
        SELF,
        id="unparseable-document",
    ),
    pytest.param(
        lambda stack: {"headers": _bearer(stack, BANK), "body": _json({"query": "{ nope }"})},
        "GRAPHQL_VALIDATION_FAILED",
        BANK,
        id="invalid-document",
    ),
    pytest.param(
        lambda stack: {
            "headers": _bearer(stack, BANK),
            "body": _json(
                {
                    "extensions": {
                        "persistedQuery": {"version": 1, "sha256Hash": "ab" * 32},
                    }
                }
            ),
        },
        "PERSISTED_QUERY_NOT_FOUND",
        BANK,
        id="unknown-persisted-query",
    ),
    pytest.param(
        lambda stack: {
            "headers": _bearer(stack, SELF),
            "method": "GET",
            "params": {"query": 'mutation { addStatement(text: "hello there") { id } }'},
        },
        "BAD_USER_INPUT",
        SELF,
        id="mutation-over-get",
    ),
]


@pytest.mark.parametrize(("request_for", "code", "who"), REFUSED_BEFORE_RUNNING)
async def test_a_request_refused_before_it_ran_is_recorded_with_its_code(
    stack: Stack, db: asyncpg.Connection, request_for: Any, code: str, who: Requester | None
) -> None:
    before = await db.fetchval("select count(*) from gateway.audit_log")
    response = await _send(stack, **request_for(stack))
    assert response.status_code >= 400 or "data" not in response.json()
    assert _codes(response) == [code]
    entry = await _entry_for(db, response)
    assert entry["decision"] == "DENIED"
    assert entry["detail"]["errors"] == [code]
    assert (entry["role"], entry["requester"], entry["operator"]) == (
        (None, None, None) if who is None else (who.role, who.identifier, who.operator)
    )
    assert entry["fields"] == []
    assert await db.fetchval("select count(*) from gateway.audit_log") == before + 1


async def test_an_anonymous_request_for_the_schema_is_answered_and_recorded(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """The schema is no one's data, so it is answered without a token; the request is
    recorded all the same, as ALLOWED for no one, with the root fields it asked."""
    query = "query Shape { __typename __schema { queryType { name } } }"
    response = await _send(stack, body=_json({"query": query}))
    assert response.json()["data"]["__schema"] == {"queryType": {"name": "Query"}}
    entry = await _entry_for(db, response)
    assert (entry["role"], entry["requester"], entry["operation"]) == (None, None, "Shape")
    assert (entry["decision"], entry["subjects"]) == ("ALLOWED", [])
    assert entry["fields"] == ["Query.__schema", "Query.__typename"]
    assert entry["detail"] == {"errors": []}


async def test_a_look_refused_for_want_of_consent_names_the_subject_asked_for(
    stack: Stack, db: asyncpg.Connection
) -> None:
    response = await _send(
        stack,
        headers=_bearer(stack, BANK),
        body=_json({"query": LOOK, "variables": {"id": LONELY}}),
    )
    assert _codes(response) == ["CONSENT_REQUIRED"]
    entry = await _entry_for(db, response)
    assert entry["subjects"] == [LONELY]
    assert entry["operation"] == "Look"
    assert entry["detail"]["errors"] == ["CONSENT_REQUIRED"]
    assert entry["decision"] == "DENIED"
    assert entry["fields"] == []


async def _fill_the_audit_log(db: asyncpg.Connection) -> None:
    """From now on, every audit entry is refused by the database."""
    await db.execute(
        "create function public.refuse_audit() returns trigger language plpgsql as $$ "
        "begin raise exception 'the audit log is full'; end $$; "
        "create trigger refuse_audit before insert on gateway.audit_log "
        "for each row execute function public.refuse_audit();"
    )


async def test_a_refusal_that_cannot_be_recorded_says_so_with_a_code(
    stack: Stack, db: asyncpg.Connection
) -> None:
    await _fill_the_audit_log(db)
    response = await _send(
        stack,
        headers={"authorization": "Bearer not.a.token"},
        body=_json({"query": "{ me { name } }"}),
    )
    assert _codes(response) == ["INTERNAL_SERVER_ERROR"]
    assert "could not be recorded" in response.json()["errors"][0]["message"]


async def test_an_answer_whose_entry_cannot_be_recorded_leaves_without_its_data(
    stack: Stack, db: asyncpg.Connection
) -> None:
    """The record stage holds a report that ran until its entry is written: when it cannot
    be, the subject gets the one error saying so, and not a field of the report."""
    asked = await _send(
        stack, headers=_bearer(stack, SELF), body=_json({"query": "{ me { name } }"})
    )
    assert asked.json()["data"]["me"]["name"]  # the report runs and is recorded
    await _fill_the_audit_log(db)
    response = await _send(
        stack, headers=_bearer(stack, SELF), body=_json({"query": "{ me { name } }"})
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None
    assert _codes(response) == ["INTERNAL_SERVER_ERROR"]
    assert "could not be recorded" in answer["errors"][0]["message"]
