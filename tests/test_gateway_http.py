"""GraphQL over HTTP: `creditgraph serve` as a real process over real HTTP subgraphs, and
the app's content negotiation through its ASGI interface."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest

from creditgraph.gateway.trusted import sha256_hex
from creditgraph.resources import operations_root
from creditgraph.seed.personas import PERSONA
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from tests.cli_helpers import (
    assert_one_line_error,
    cli_env,
    free_port,
    run_cli,
    start_cli,
    stop_cli,
    wait_for_http,
)
from tests.http_app import in_process_gateway, serving

REPORT = {
    "query": """query($id: String!) { subject(identifier: $id, purpose: SELF) {
        name blacklisted publicRecordCount
        creditSummary { fourNots { passed notBlack { passed reasons } } }
        scores { value model { name } }
        spouse { name scores { value } } } }""",
    "variables": {"id": PERSONA["husband"].identifier},
}


@pytest.fixture(scope="module")
def subgraph_urls(
    tmp_path_factory: pytest.TempPathFactory, seeded_database_url: str
) -> Iterator[tuple[dict[str, str], Path]]:
    """The four subgraphs, each in its own process, sharing one home (and so one key)."""
    home = tmp_path_factory.mktemp("home")
    env = cli_env(home=home, database_url=seeded_database_url)
    running: list[subprocess.Popen[str]] = []
    urls = {}
    try:
        for name in SUBGRAPH_NAMES:
            port = free_port()
            proc = start_cli("subgraph", name, "--port", str(port), env=env)
            running.append(proc)
            wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        yield urls, home
    finally:
        for proc in running:
            stop_cli(proc)


def _serve(home: Path, urls: dict[str, str], *extra: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    overrides = [f"--subgraph={name}={url}" for name, url in urls.items()]
    proc = start_cli(
        "serve", "--no-policy", "--port", str(port), "--timeout", "5", *overrides, *extra,
        env=cli_env(home=home),
    )  # fmt: skip
    wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
    return proc, f"http://127.0.0.1:{port}/graphql"


@pytest.fixture(scope="module")
def gateway_url(subgraph_urls: tuple[dict[str, str], Path]) -> Iterator[str]:
    urls, home = subgraph_urls
    proc, url = _serve(home, urls)
    try:
        yield url
    finally:
        stop_cli(proc)


# not creditgraph's own graph, which is served with graphql/policy.toml unless told otherwise
FOREIGN_SUPERGRAPH = """
schema @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) { query: Query }
enum join__Graph {
  SHOP @join__graph(name: "shop", url: "http://127.0.0.1:1/graphql")
}
type Query @join__type(graph: SHOP) {
  hello: String @join__field(graph: SHOP)
}
"""


def test_serve_refuses_a_supergraph_without_policy(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.graphql"
    foreign.write_text(FOREIGN_SUPERGRAPH)
    result = run_cli(
        "serve", "--supergraph", str(foreign), "--port", str(free_port()),
        env=cli_env(home=tmp_path),
    )  # fmt: skip
    assert_one_line_error(result, "declares no creditgraph policy", "--policy FILE", "--no-policy")


def test_serve_refuses_what_is_not_a_supergraph(tmp_path: Path) -> None:
    missing = run_cli(
        "serve", "--no-policy", "--supergraph", str(tmp_path / "nope.graphql"),
        env=cli_env(home=tmp_path),
    )  # fmt: skip
    assert_one_line_error(missing, "cannot read the supergraph")
    plain = tmp_path / "plain.graphql"
    plain.write_text("type Query { hello: String }\n")
    result = run_cli("serve", "--no-policy", "--supergraph", str(plain), env=cli_env(home=tmp_path))
    assert_one_line_error(result, "not a Federation v2 supergraph")


@pytest.mark.slow
def test_over_http_subgraphs_one_report_joins_all_three(gateway_url: str) -> None:
    response = httpx.post(gateway_url, json=REPORT, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    subject = body["data"]["subject"]
    assert subject["name"] == PERSONA["husband"].name
    assert subject["creditSummary"]["fourNots"]["notBlack"] == {"passed": True, "reasons": []}
    assert subject["spouse"]["name"] == PERSONA["wife"].name
    assert len(subject["scores"]) == len(subject["spouse"]["scores"]) == 3


@pytest.mark.slow
def test_graphql_over_http_basics(gateway_url: str) -> None:
    got = httpx.get(gateway_url, params={"query": "{ __typename }"}, timeout=10)
    assert got.status_code == 200
    assert got.json() == {"data": {"__typename": "Query"}}
    spec = httpx.post(
        gateway_url,
        json={"query": "{ nope }"},
        headers={"accept": "application/graphql-response+json"},
        timeout=10,
    )
    assert spec.status_code == 400
    assert spec.headers["content-type"].startswith("application/graphql-response+json")
    assert spec.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    garbage = httpx.post(
        gateway_url, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 400
    assert "Traceback" not in garbage.text
    not_an_object = httpx.post(
        gateway_url, json={"query": "{ __typename }", "extensions": "persistedQuery"}
    )
    assert not_an_object.status_code == 400
    assert not_an_object.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


CARD = operations_root() / "subject_card.graphql"
CARD_VARIABLES = {"identifier": PERSONA["husband"].identifier, "purpose": "SELF"}


def _by_hash(sha256: str) -> dict[str, str]:
    """GET parameters naming a persisted query by its hash, as an APQ client sends them."""
    return {
        "variables": orjson.dumps(CARD_VARIABLES).decode(),
        "extensions": orjson.dumps(
            {"persistedQuery": {"version": 1, "sha256Hash": sha256}}
        ).decode(),
    }


@pytest.mark.slow
def test_a_trusted_operation_runs_by_its_hash_over_get(gateway_url: str) -> None:
    response = httpx.get(gateway_url, params=_by_hash(sha256_hex(CARD.read_text())), timeout=30)
    assert response.status_code == 200
    assert response.json()["data"]["subject"]["name"] == PERSONA["husband"].name


@pytest.mark.slow
def test_serve_trusted_only_runs_the_trusted_operations_and_nothing_else(
    subgraph_urls: tuple[dict[str, str], Path],
) -> None:
    urls, home = subgraph_urls
    proc, url = _serve(home, urls, "--trusted-only")
    try:
        by_hash = httpx.get(url, params=_by_hash(sha256_hex(CARD.read_text())), timeout=30)
        by_text = httpx.post(url, json={"query": CARD.read_text(), "variables": CARD_VARIABLES})
        free = httpx.post(url, json=REPORT, timeout=30)
        unknown = httpx.get(url, params=_by_hash(sha256_hex(str(REPORT["query"]))), timeout=30)
    finally:
        stop_cli(proc)
    assert by_hash.json()["data"]["subject"]["name"] == PERSONA["husband"].name
    assert by_text.json() == by_hash.json()
    assert free.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in free.json()
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.slow
def test_a_subgraph_nobody_answers_is_unavailable_not_fatal(
    subgraph_urls: tuple[dict[str, str], Path],
) -> None:
    urls, home = subgraph_urls
    dead = {**urls, "scores": f"http://127.0.0.1:{free_port()}/graphql"}
    proc, url = _serve(home, dead)
    try:
        body = httpx.post(url, json=REPORT, timeout=30).json()
    finally:
        stop_cli(proc)
    subject = body["data"]["subject"]
    assert subject["name"] == PERSONA["husband"].name
    assert subject["scores"] is None
    assert subject["spouse"] == {"name": PERSONA["wife"].name, "scores": None}
    assert sorted((e["path"], e["extensions"]["code"]) for e in body["errors"]) == [
        (["subject", "scores"], "SUBGRAPH_UNAVAILABLE"),
        (["subject", "spouse", "scores"], "SUBGRAPH_UNAVAILABLE"),
    ]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
        (
            "application/graphql-response+json, application/json;q=0.9",
            "application/graphql-response+json",
        ),
        ("application/json, application/graphql-response+json;q=0.5", "application/json"),
        ("application/graphql-response+json;q=0, application/json", "application/json"),
        ("application/json;q=0, */*;q=0.1", "application/json"),
        ("text/html", "application/graphql-response+json"),
    ],
)
async def test_the_answer_comes_in_the_media_type_the_client_prefers(
    seeded_pool: asyncpg.Pool, tmp_path: Path, accept: str | None, media_type: str
) -> None:
    gateway = in_process_gateway(seeded_pool)
    headers = {} if accept is None else {"accept": accept}
    try:
        async with serving(gateway, seeded_pool, tmp_path, policy=False) as client:
            valid = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
            invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    finally:
        await gateway.aclose()
    assert valid.headers["content-type"].split(";")[0] == media_type
    assert valid.json() == {"data": {"__typename": "Query"}}
    assert invalid.headers["content-type"].split(";")[0] == media_type
    assert invalid.status_code == (400 if media_type.endswith("graphql-response+json") else 200)
