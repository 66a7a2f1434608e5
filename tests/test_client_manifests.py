"""Trusted documents from clients: Apollo's persisted query manifest and Relay's persisted
queries file, served by id by a real `creditgraph serve --trusted-only` over HTTP.

Apollo Client's persisted-query link sends the manifest id as
`extensions.persistedQuery.sha256Hash`; a Relay client sends `documentId`. Both are served in
trusted-only mode, an unknown id is `PERSISTED_QUERY_NOT_FOUND`, and a manifest whose entry
would be refused stops the start with one line.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from creditgraph.access.tokens import mint_demo_token
from creditgraph.gateway.trusted import sha256_hex
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

WIFE = PERSONA["wife"]
APOLLO_BODY = "query MyName {\n  me {\n    name\n  }\n}"
RELAY_BODY = "query RelayProfile {\n  me {\n    name\n    kind\n  }\n}\n"
RELAY_ID = hashlib.md5(RELAY_BODY.encode()).hexdigest()  # relay-compiler's default id


def apollo_manifest(*operations: tuple[str, str]) -> dict[str, Any]:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": id_, "body": body, "name": body.split()[1], "type": "query"}
            for id_, body in operations
        ],
    }


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, module_seeded_database_url: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """`serve --trusted-only` with an Apollo and a Relay manifest: its /graphql, and the
    headers of the wife's own token."""
    home = tmp_path_factory.mktemp("home")
    apollo = write_json(
        home / "apollo.json", apollo_manifest((sha256_hex(APOLLO_BODY), APOLLO_BODY))
    )
    relay = write_json(home / "relay.json", {RELAY_ID: RELAY_BODY})
    port = free_port()
    proc = start_cli(
        "serve", "--in-process", "--trusted-only", "--port", str(port),
        "--manifest", str(apollo), "--manifest", str(relay),
        env=cli_env(home=home, database_url=module_seeded_database_url),
    )  # fmt: skip
    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
        token = mint_demo_token(home, "SUBJECT", WIFE.identifier, None, env={})
        yield f"http://127.0.0.1:{port}/graphql", {"authorization": f"Bearer {token}"}
    finally:
        stop_cli(proc)


def test_apollo_clients_send_the_manifest_id_as_the_persisted_query_hash(
    served: tuple[str, dict[str, str]],
) -> None:
    url, headers = served
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(APOLLO_BODY)}}
    answer = httpx.post(url, json={"extensions": persisted}, headers=headers, timeout=30)
    assert answer.json() == {"data": {"me": {"name": WIFE.name}}}


def test_relay_clients_send_the_document_id(served: tuple[str, dict[str, str]]) -> None:
    url, headers = served
    expected = {"data": {"me": {"name": WIFE.name, "kind": "PERSON"}}}
    posted = httpx.post(url, json={"documentId": RELAY_ID}, headers=headers, timeout=30)
    assert posted.json() == expected
    got = httpx.get(url, params={"documentId": RELAY_ID}, headers=headers, timeout=30)
    assert got.json() == expected


def test_a_manifests_exact_text_is_trusted_and_nothing_else_is(
    served: tuple[str, dict[str, str]],
) -> None:
    url, headers = served
    exact = httpx.post(url, json={"query": RELAY_BODY}, headers=headers, timeout=30)
    assert exact.json() == {"data": {"me": {"name": WIFE.name, "kind": "PERSON"}}}
    other = httpx.post(url, json={"query": "{ me { name } }"}, headers=headers, timeout=30)
    assert other.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": "0" * 32},
        {"documentId": "sha256:" + "0" * 64},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
    ],
)
def test_an_unknown_id_is_not_found(
    served: tuple[str, dict[str, str]], body: dict[str, Any]
) -> None:
    url, headers = served
    answer = httpx.post(url, json=body, headers=headers, timeout=30)
    (problem,) = answer.json()["errors"]
    assert problem["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in answer.json()


def test_a_document_id_goes_alone(served: tuple[str, dict[str, str]]) -> None:
    url, headers = served
    both = {"documentId": RELAY_ID, "query": RELAY_BODY}
    answer = httpx.post(url, json=both, headers=headers, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- a manifest that cannot be served stops the start ---------------------------------------


def _serve_with(home: Path, manifest: Path) -> subprocess.CompletedProcess[str]:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    overrides = [f"--subgraph={name}={dead}" for name in SUBGRAPH_NAMES]
    return run_cli(
        "serve", "--no-policy", "--port", str(free_port()), "--manifest", str(manifest),
        *overrides, env=cli_env(home=home),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("document", "fragments"),
    [
        (
            {"a1": "query Broken { me { nosuchfield } }"},
            ("operation 'a1' would be refused (GRAPHQL_VALIDATION_FAILED)", "nosuchfield"),
        ),
        (
            apollo_manifest(("b2", "query Unclosed { me { name }")),
            ("operation 'b2' would be refused (GRAPHQL_PARSE_FAILED)",),
        ),
        (
            {"format": "apollo-persisted-query-manifest", "version": 2, "operations": []},
            ("only 'apollo-persisted-query-manifest' version 1 is read",),
        ),
        (["query A { me { name } }"], ("is neither an Apollo persisted query manifest",)),
    ],
)
def test_a_manifest_that_would_be_refused_stops_the_start_with_one_line(
    tmp_path: Path, document: object, fragments: tuple[str, ...]
) -> None:
    manifest = write_json(tmp_path / "client.json", document)
    result = _serve_with(tmp_path, manifest)
    assert_one_line_error(result, str(manifest), *fragments)
