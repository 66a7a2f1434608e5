"""`@defer` over real HTTP: a report in parts over `multipart/mixed`, the policy in every part.

The gateway is served by uvicorn under the edition policy, its subgraphs in-process over
the test's copy of the seeded database; requesters use real tokens. The multipart answer
is read as Apollo Client and graphql-http's readers read it: parts after each `---`
boundary, each a JSON payload, the first with `data`, the later ones with `incremental`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from graphql import parse

from creditgraph.access.masks import ANONYMISED_NAME
from creditgraph.gateway import Gateway, defer
from creditgraph.gateway.transports import Transport
from creditgraph.requester import Requester
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU, WESTLAKE_BANK
from tests.http_app import bearer, in_process_gateway, listening, listening_in_process

HUSBAND = PERSONA["husband"].identifier
ACCEPT_DEFER = "multipart/mixed;deferSpec=20220824, application/json"
NO_HANG = 60.0

REPORT = """
query Report($id: String!, $purpose: InquiryPurpose!, $later: Boolean! = true) {
  subject(identifier: $id, purpose: $purpose) {
    name
    ... @defer(label: "accounts") {
      accounts { nodes { joint account { kind lender { code name } } } }
    }
    ...Scores @defer(label: "scores", if: $later)
  }
}
fragment Scores on Subject { scores { value model { scale } } }
"""


@pytest.fixture
async def gateway_url(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[str]:
    async with listening_in_process(writable_pool, tmp_path) as url:
        yield url


def parts(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON payloads of a `multipart/mixed` answer, in order."""
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/mixed")
    assert 'boundary="-"' in content_type
    assert "deferSpec=20220824" in content_type
    body = response.content
    assert body.endswith(b"\r\n-----\r\n")
    found = []
    for chunk in body[: -len(b"\r\n-----\r\n")].split(b"\r\n---\r\n")[1:]:
        headers, _, payload = chunk.partition(b"\r\n\r\n")
        assert headers.lower() == b"content-type: application/json; charset=utf-8"
        found.append(orjson.loads(payload))
    return found


def merged(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """The result a client builds: each incremental entry's data merged in at its path."""
    data = payloads[0]["data"]
    errors = list(payloads[0].get("errors", []))
    for payload in payloads[1:]:
        for entry in payload.get("incremental", []):
            target = data
            for step in entry["path"]:
                target = target[step]
            target.update(entry["data"])
            errors += entry.get("errors", [])
    return {"data": data, "errors": errors}


async def post(
    url: str, headers: dict[str, str], variables: dict[str, Any], accept: str
) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            url,
            json={"query": REPORT, "variables": variables},
            headers={**headers, "accept": accept},
            timeout=NO_HANG,
        )


async def test_a_report_comes_in_parts_that_add_up_to_the_whole(
    gateway_url: str, tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "operator-7")
    variables = {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    before = await writable_pool.fetchval("select count(*) from gateway.inquiries")

    deferred = await post(gateway_url, bank, variables, ACCEPT_DEFER)
    assert deferred.status_code == 200
    assert deferred.headers["cache-control"] == "no-store"
    first, later = parts(deferred)
    # one look, one inquiry, though the report was answered in two parts
    after = await writable_pool.fetchval("select count(*) from gateway.inquiries")
    assert after - before == 1

    # the first part: the report without its deferred fragments, more to come
    assert first == {"data": {"subject": {"name": PERSONA["husband"].name}}, "hasNext": True}
    # the later part: each deferred fragment where it applies, labelled, and the end
    assert later["hasNext"] is False
    entries = {entry["label"]: entry for entry in later["incremental"]}
    assert set(entries) == {"accounts", "scores"}
    assert all(entry["path"] == ["subject"] for entry in entries.values())
    assert set(entries["accounts"]["data"]) == {"accounts"}
    assert set(entries["scores"]["data"]) == {"scores"}

    # the same report asked for at once: the parts add up to it exactly
    whole = await post(gateway_url, bank, variables, "application/json")
    assert whole.headers["content-type"].startswith("application/json")
    assert merged([first, later]) == {"data": whole.json()["data"], "errors": []}


async def test_a_token_refused_for_its_representative_is_refused_and_recorded_when_deferring(
    gateway_url: str, tmp_path: Path, writable_pool: asyncpg.Pool
) -> None:
    """A signed token naming the husband as Mingde Textiles' representative (he is no one's)
    is refused 401 and recorded whether or not the query defers: the deferred answer failed
    500 mid-stream with no audit entry."""
    impostor = bearer(tmp_path, "SUBJECT", PERSONA["circle_a"].identifier, representative=HUSBAND)
    query = "{ me { name ... @defer { kind } } }"
    for accept in (ACCEPT_DEFER, "application/json"):
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                gateway_url,
                json={"query": query},
                headers={**impostor, "accept": accept},
                timeout=NO_HANG,
            )
        assert answer.status_code == 401, accept
        assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        recorded = await writable_pool.fetchval(
            "select count(*) from gateway.audit_log where request_id = $1",
            answer.headers["x-request-id"],
        )
        assert recorded == 1, accept


async def test_every_deferred_part_is_the_requesters_edition(
    gateway_url: str, tmp_path: Path
) -> None:
    """The bank's deferred accounts carry no other lender; its scores only the bureau's."""
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "operator-7")
    variables = {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    _, later = parts(await post(gateway_url, bank, variables, ACCEPT_DEFER))
    entries = {entry["label"]: entry for entry in later["incremental"]}
    lenders = sorted(
        (node["account"]["kind"], node["account"]["lender"]["name"])
        for node in entries["accounts"]["data"]["accounts"]["nodes"]
    )
    assert lenders == [("CREDIT_CARD", f"{ANONYMISED_NAME} 1"), ("MORTGAGE", EASTBRIDGE_BANK.name)]
    assert WESTLAKE_BANK.code not in str(later)
    assert WESTLAKE_BANK.name not in str(later)
    scales = [score["model"]["scale"] for score in entries["scores"]["data"]["scores"]]
    assert scales == ["BUREAU"]


async def test_a_field_the_edition_forbids_is_null_in_its_part_with_the_reason(
    gateway_url: str, tmp_path: Path
) -> None:
    agency = bearer(tmp_path, "GOVERNMENT", TAX_BUREAU.code)
    variables = {"id": HUSBAND, "purpose": "PUBLIC_CREDIT_CHECK"}
    first, later = parts(await post(gateway_url, agency, variables, ACCEPT_DEFER))
    assert first["data"] == {"subject": {"name": PERSONA["husband"].name}}
    assert "errors" not in first
    entries = {entry["label"]: entry for entry in later["incremental"]}
    for label in ("accounts", "scores"):
        entry = entries[label]
        assert entry["data"] == {label: None}
        assert [(e["path"], e["extensions"]["code"]) for e in entry["errors"]] == [
            (["subject", label], "FORBIDDEN_FIELD")
        ]


async def test_defer_if_false_and_clients_without_multipart_get_one_answer(
    gateway_url: str, tmp_path: Path
) -> None:
    me = bearer(tmp_path, "SUBJECT", HUSBAND)
    variables = {"id": HUSBAND, "purpose": "SELF"}
    plain = await post(gateway_url, me, variables, "application/json")
    assert plain.headers["content-type"].startswith("application/json")
    subject = plain.json()["data"]["subject"]
    assert set(subject) == {"name", "accounts", "scores"}

    # `if: false` on one fragment: it comes in the first part; the other is still deferred
    first, later = parts(await post(gateway_url, me, {**variables, "later": False}, ACCEPT_DEFER))
    assert set(first["data"]["subject"]) == {"name", "scores"}
    assert [entry["label"] for entry in later["incremental"]] == ["accounts"]


async def test_a_fragment_deferred_inside_a_list_comes_once_per_item(
    gateway_url: str, tmp_path: Path
) -> None:
    query = """query($id: String!) { subject(identifier: $id, purpose: SELF) {
        accounts { nodes { joint ... @defer(label: "account") { account { kind } } } } } }"""
    me = bearer(tmp_path, "SUBJECT", HUSBAND)
    async with httpx.AsyncClient() as client:
        deferred = await client.post(
            gateway_url,
            json={"query": query, "variables": {"id": HUSBAND}},
            headers={**me, "accept": ACCEPT_DEFER},
            timeout=NO_HANG,
        )
        whole = await client.post(
            gateway_url, json={"query": query, "variables": {"id": HUSBAND}}, headers=me
        )
    first, later = parts(deferred)
    nodes = first["data"]["subject"]["accounts"]["nodes"]
    assert nodes
    assert all(set(node) == {"joint"} for node in nodes)
    assert [entry["path"] for entry in later["incremental"]] == [
        ["subject", "accounts", "nodes", index] for index in range(len(nodes))
    ]
    assert merged([first, later])["data"] == whole.json()["data"]


async def test_apollo_client_reads_the_parts_as_it_reads_any_deferred_answer(
    gateway_url: str, tmp_path: Path, interop_dir: Path
) -> None:
    """Apollo Client (interop/apollo_defer.mjs) delivers the first part, then the whole."""
    query = tmp_path / "report.graphql"
    query.write_text(REPORT, encoding="utf-8")
    variables = {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "operator-7")
    node = await asyncio.create_subprocess_exec(
        "node",
        "apollo_defer.mjs",
        gateway_url,
        str(query),
        orjson.dumps(variables).decode(),
        "--header",
        f"Authorization: {bank['authorization']}",
        cwd=interop_dir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(node.communicate(), NO_HANG)
    assert node.returncode == 0, err.decode()
    results = [orjson.loads(line) for line in out.splitlines()]
    whole = await post(gateway_url, bank, variables, "application/json")
    assert len(results) >= 2, results
    assert results[0]["data"] == {"subject": {"name": PERSONA["husband"].name}}
    assert results[-1] == {"data": whole.json()["data"], "errors": []}


def test_an_error_that_nulls_a_deferred_fragments_object_still_reaches_the_client() -> None:
    """The deferred fragment's object was nulled by an error inside it: no entry can carry
    the error, so the last payload says it at its top level; errors the first part already
    gave are not said twice."""
    document = parse(
        "{ subject(identifier: $id, purpose: SELF) { name ... @defer { spouse { name } } } "
        "other: subject(identifier: $id, purpose: SELF) { name } }"
    )
    first_error = {"message": "no such subject", "path": ["other"]}
    nulled = {"message": "spouse.name is not null", "path": ["subject", "spouse", "name"]}
    whole = {"data": {"subject": None, "other": None}, "errors": [dict(first_error), nulled]}
    entries = defer.increments(document, None, {}, whole)
    assert entries == []
    assert defer.unplaced(whole, entries, [first_error]) == [nulled]


def test_an_error_inside_a_deferred_fragment_travels_in_its_entry_only() -> None:
    document = parse(
        "{ subject(identifier: $id, purpose: SELF) { name ... @defer { spouse { name } } } }"
    )
    inside = {"message": "forbidden", "path": ["subject", "spouse", "name"]}
    whole = {"data": {"subject": {"name": "A", "spouse": {"name": None}}}, "errors": [inside]}
    entries = defer.increments(document, None, {}, whole)
    assert entries == [
        {"data": {"spouse": {"name": None}}, "path": ["subject"], "errors": [inside]}
    ]
    assert defer.unplaced(whole, entries, []) == []


class _ScoresBug:
    """The subgraphs mounted in process, except that fetching scores fails with a bug of the
    gateway's own (an exception that is neither a subgraph's refusal nor a database fault)."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        if subgraph == "scores":
            raise RuntimeError("a bug met while fetching scores")
        return await self._inner.send(subgraph, document, variables)

    def acting_for(self, requester: Requester | None) -> Transport:
        return _ScoresBug(self._inner.acting_for(requester))

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture
async def broken_url(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[str]:
    """The gateway under the policy, over real HTTP, whose scores fetch fails with a bug."""
    plain = in_process_gateway(writable_pool)
    gateway = Gateway(plain.supergraph, _ScoresBug(plain.transport))
    try:
        async with listening(gateway, writable_pool, tmp_path) as url:
            yield url
    finally:
        await gateway.aclose()


async def _entries(pool: asyncpg.Pool, response: httpx.Response) -> list[asyncpg.Record]:
    """The audit entries of the request `response` answered, in order."""
    found: list[asyncpg.Record] = await pool.fetch(
        "select decision, detail from gateway.audit_log where request_id = $1 order by seq",
        response.headers["x-request-id"],
    )
    return found


BUG = {"message": "internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}


async def test_a_later_part_failing_with_a_bug_ends_the_stream_coded_and_recorded(
    broken_url: str, writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The first part (the name) answers; the whole report (with its scores) then fails with
    no database fault behind it. The client still gets a final part with a coded error and
    `hasNext: false`, and the failure has its audit entry beside the first part's."""
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "operator-7")
    variables = {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    response = await post(broken_url, bank, variables, ACCEPT_DEFER)
    assert response.status_code == 200
    first, last = parts(response)
    assert first == {"data": {"subject": {"name": PERSONA["husband"].name}}, "hasNext": True}
    assert last == {"errors": [BUG], "hasNext": False}
    entries = await _entries(writable_pool, response)
    assert [entry["decision"] for entry in entries] == ["ALLOWED", "ERROR"]
    assert "INTERNAL_SERVER_ERROR" in entries[1]["detail"]


async def test_a_bug_answering_at_once_is_coded_and_recorded(
    broken_url: str, writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The same report asked for in one answer: 500 with the coded error, and recorded (it
    was answered with no audit entry)."""
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "operator-7")
    variables = {"id": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    response = await post(broken_url, bank, variables, "application/json")
    assert response.status_code == 500
    assert response.json() == {"errors": [BUG]}
    [entry] = await _entries(writable_pool, response)
    assert entry["decision"] == "ERROR"
    assert "INTERNAL_SERVER_ERROR" in entry["detail"]
