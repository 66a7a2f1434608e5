"""Every request has an id (the client's, if usable) and one JSON log line without personal data."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_demo_token
from creditgraph.commands import in_process_gateway
from creditgraph.gateway import Supergraph
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.observability import JSONFormatter
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import PERSONA
from creditgraph.server import build_app
from tests.cli_helpers import (
    serve_over_unreachable_subgraphs,
    stop_cli,
)

HUSBAND = PERSONA["husband"].identifier
LINE_KEYS = {"time", "level", "logger", "message", "request_id", "method", "path", "status"}


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The request log's lines, as the server writes them."""
    formatter = JSONFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "creditgraph.requests"
    ]


async def test_the_clients_request_id_round_trips_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="creditgraph.requests")
    async with client(build_app(None)) as http:
        response = await http.get("/healthz", headers={"x-request-id": "trace-7f3a"})
    assert response.headers["x-request-id"] == "trace-7f3a"
    [line] = logged(caplog)
    assert LINE_KEYS | {"duration_ms"} == set(line)
    assert line["request_id"] == "trace-7f3a"
    assert (line["level"], line["method"], line["path"], line["status"]) == (
        "info",
        "GET",
        "/healthz",
        200,
    )
    assert line["duration_ms"] >= 0


@pytest.mark.parametrize(
    "offered",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("x" * 129, id="too-long"),
        pytest.param("a\u00e9b", id="not-ascii"),
        pytest.param("a\x01b", id="control-character"),
    ],
)
async def test_without_a_usable_id_one_is_made(
    offered: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="creditgraph.requests")
    headers = {} if offered is None else {b"x-request-id": offered.encode("latin-1")}
    async with client(build_app(None)) as http:
        first = await http.get("/healthz", headers=headers)
        second = await http.get("/healthz", headers=headers)
    made = first.headers["x-request-id"]
    assert made != offered
    assert len(made) == 32
    assert made.isalnum()
    assert second.headers["x-request-id"] != made
    assert [line["request_id"] for line in logged(caplog)] == [
        made,
        second.headers["x-request-id"],
    ]


async def test_an_id_of_128_printable_characters_is_kept() -> None:
    offered = "req " + "~" * 124
    async with client(build_app(None)) as http:
        response = await http.get("/healthz", headers={"x-request-id": offered})
    assert response.headers["x-request-id"] == offered


async def test_the_audit_log_records_the_id_the_client_got_and_the_log_line_keeps_no_secrets(
    writable_pool: asyncpg.Pool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The id made for a request reaches the audit entry; the line holds no token, no query."""
    caplog.set_level(logging.INFO, logger="creditgraph.requests")
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = in_process_gateway(supergraph, writable_pool)
    verifier = TokenVerifier.from_settings(tmp_path, {})
    access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), writable_pool))
    token = mint_demo_token(tmp_path, "SUBJECT", HUSBAND, None, env={})
    query = f'{{ subject(identifier: "{HUSBAND}", purpose: SELF) {{ name }} }}'
    async with client(build_app(gateway, pool=writable_pool, access=access)) as http:
        response = await http.get(
            "/graphql", params={"query": query}, headers={"authorization": f"Bearer {token}"}
        )
    assert response.json() == {"data": {"subject": {"name": PERSONA["husband"].name}}}
    made = response.headers["x-request-id"]
    recorded = await writable_pool.fetch("select request_id from gateway.audit_log")
    assert [row["request_id"] for row in recorded] == [made]

    [line] = logged(caplog)
    assert (line["request_id"], line["path"], line["status"]) == (made, "/graphql", 200)
    text = json.dumps(line)
    for secret in (token, HUSBAND, PERSONA["husband"].name, "subject(", "authorization"):
        assert secret not in text


def test_the_served_gateway_logs_json_lines_with_the_request_id(tmp_path: Path) -> None:
    """`creditgraph serve` (no database needed over HTTP): its request lines are JSON on stderr."""
    proc, base = serve_over_unreachable_subgraphs(tmp_path)
    try:
        answered = httpx.get(f"{base}/healthz", headers={"x-request-id": "probe-42"}, timeout=10)
        graphql = httpx.post(
            f"{base}/graphql",
            json={"query": "{ __typename }"},
            headers={"x-request-id": "query-43"},
            timeout=10,
        )
    finally:
        output = stop_cli(proc)
    assert answered.headers["x-request-id"] == "probe-42"
    assert graphql.headers["x-request-id"] == "query-43"
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    by_id = {line.get("request_id"): line for line in lines}
    assert by_id["probe-42"]["path"] == "/healthz"
    assert (by_id["query-43"]["path"], by_id["query-43"]["status"]) == ("/graphql", 200)
    assert set(by_id["query-43"]) >= LINE_KEYS
