"""A subgraph served alone (`creditgraph subgraph NAME`) answers the gateway and no one else."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import jwt
import pytest

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import PERSONA, WESTLAKE_BANK
from creditgraph.subgraphs import credential
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from creditgraph.subgraphs.sdl import sdl_file
from tests.cli_helpers import cli_env, free_port, start_cli, stop_cli, wait_for_http
from tests.conftest import dsn_for

SECRET = "subgraph-http-test-secret-of-at-least-32-bytes"
HUSBAND = PERSONA["husband"].identifier
QUERY = {
    "query": "query($id: String!) { subjects(identifiers: [$id]) { name } }",
    "variables": {"id": HUSBAND},
}
GRANT = {
    "query": "mutation($bank: String!) { grantConsent(grantee: $bank, purpose: LOAN_APPROVAL) "
    "{ id } }",
    "variables": {"bank": WESTLAKE_BANK.code},
}


async def _admin(server: EmbeddedPostgres, statement: str) -> None:
    conn = await asyncpg.connect(dsn_for(server.dsn, "postgres"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def database_url(pg_server: EmbeddedPostgres, seeded_template: str) -> Iterator[str]:
    """This module's own copy of the seeded database: a test here checks nothing was written."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_admin(pg_server, f"create database {name} template {seeded_template}"))
    try:
        yield dsn_for(pg_server.dsn, name)
    finally:
        asyncio.run(_admin(pg_server, f"drop database if exists {name} with (force)"))


@pytest.fixture(scope="module")
def subgraphs(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[dict[str, str]]:
    """The URL of each subgraph, each running alone in its own process (`creditgraph subgraph`)."""
    env = cli_env(home=tmp_path_factory.mktemp("home"), database_url=database_url)
    env["CREDITGRAPH_INTERNAL_SECRET"] = SECRET
    ports = {name: free_port() for name in SUBGRAPH_NAMES}
    running = [
        start_cli("subgraph", name, "--port", str(port), env=env) for name, port in ports.items()
    ]
    try:
        for proc, port in zip(running, ports.values(), strict=True):
            wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
        yield {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    finally:
        for proc in running:
            stop_cli(proc)


@pytest.fixture(scope="module")
def bureau(subgraphs: dict[str, str]) -> tuple[str, bytes]:
    """(URL, the gateway's secret) of the bureau subgraph."""
    return subgraphs["bureau"], SECRET.encode()


def _post(url: str, token: str | None, body: object = QUERY) -> httpx.Response:
    headers = {} if token is None else {credential.HEADER: token}
    return httpx.post(url, json=body, headers=headers, timeout=10)


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": credential.REFUSAL, "extensions": {"code": "UNAUTHENTICATED"}}]
    }


def test_with_the_gateway_credential_it_answers(bureau: tuple[str, bytes]) -> None:
    url, secret = bureau
    response = _post(url, credential.issue(secret, "bureau"))
    assert response.status_code == 200
    assert response.json() == {"data": {"subjects": [{"name": PERSONA["husband"].name}]}}


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_it_serves_the_committed_sdl(name: str, subgraphs: dict[str, str], repo_root: Path) -> None:
    token = credential.issue(SECRET.encode(), name)
    response = _post(subgraphs[name], token, {"query": "{ _service { sdl } }"})
    committed = sdl_file(repo_root / "graphql" / "subgraphs", name).read_text()
    assert response.json()["data"]["_service"]["sdl"].rstrip("\n") == committed.rstrip("\n")


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_every_subgraph_refuses_a_request_without_the_credential(
    name: str, subgraphs: dict[str, str]
) -> None:
    _assert_refused(_post(subgraphs[name], None, {"query": "{ _service { sdl } }"}))


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_every_subgraph_refuses_a_credential_addressed_to_another(
    name: str, subgraphs: dict[str, str]
) -> None:
    other = next(other for other in SUBGRAPH_NAMES if other != name)
    token = credential.issue(SECRET.encode(), other)
    _assert_refused(_post(subgraphs[name], token, {"query": "{ _service { sdl } }"}))


async def _grant_ids(database_url: str) -> list[uuid.UUID]:
    conn = await asyncpg.connect(database_url)
    try:
        return [row["id"] for row in await conn.fetch("select id from gateway.consent_grants")]
    finally:
        await conn.close()


def test_a_grant_sent_straight_to_the_consent_subgraph_writes_nothing(
    subgraphs: dict[str, str], database_url: str
) -> None:
    before = asyncio.run(_grant_ids(database_url))
    assert before, "the seeded database holds grants, so a count is a real comparison"
    _assert_refused(_post(subgraphs["consent"], None, GRANT))
    assert asyncio.run(_grant_ids(database_url)) == before


def _forged(secret: bytes, **changes: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": credential.ISSUER,
        "aud": credential.audience("bureau"),
        "iat": now,
        "exp": now + 60,
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda secret: None, id="missing"),
        pytest.param(lambda secret: "not-a-jwt", id="garbage"),
        pytest.param(lambda secret: _forged(b"x" * 48), id="wrong-key"),
        pytest.param(lambda secret: _forged(secret, exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda secret: credential.issue(secret, "public"), id="for-another-subgraph"),
        pytest.param(lambda secret: _forged(secret, iss="someone-else"), id="wrong-issuer"),
        pytest.param(lambda secret: _forged(secret, exp=None), id="no-expiry"),
        pytest.param(
            lambda secret: _forged(secret, exp=int(time.time()) + 3600), id="too-long-lived"
        ),
        pytest.param(
            lambda secret: jwt.encode(
                {"iss": credential.ISSUER, "aud": credential.audience("bureau")},
                key="",
                algorithm="none",
            ),
            id="alg-none",
        ),
    ],
)
def test_without_a_valid_credential_it_refuses(
    bureau: tuple[str, bytes], make_token: Callable[[bytes], str | None]
) -> None:
    url, secret = bureau
    _assert_refused(_post(url, make_token(secret)))


@pytest.fixture(scope="module")
def apollo(
    subgraphs: dict[str, str], interop_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Apollo Gateway (interop/apollo_gateway.mjs) over the subgraphs, signing as it does."""
    supergraph = supergraph_path().read_text(encoding="utf-8")
    for name, url in subgraphs.items():
        supergraph = re.sub(
            rf'(join__graph\(name: "{name}", url: )"[^"]*"', rf'\1"{url}"', supergraph
        )
    located = tmp_path_factory.mktemp("apollo") / "supergraph.graphql"
    located.write_text(supergraph, encoding="utf-8")
    port = free_port()
    node = subprocess.Popen(
        ["node", "apollo_gateway.mjs", "--supergraph", str(located), "--port", str(port)],
        cwd=interop_dir,
        env={**cli_env(), "CREDITGRAPH_INTERNAL_SECRET": SECRET},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_http(node, f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        stop_cli(node)


def test_a_credential_without_a_requester_is_accepted_as_no_ones(
    apollo: str, database_url: str
) -> None:
    """Apollo Gateway signs no requester: it is served, and nothing needing one is done."""
    before = asyncio.run(_grant_ids(database_url))
    read = httpx.post(
        apollo,
        json={
            "query": "query($id: String!) "
            "{ subject(identifier: $id, purpose: SELF) { name } me { identifier } }",
            "variables": {"id": HUSBAND},
        },
        timeout=30,
    ).json()
    assert read == {"data": {"subject": {"name": PERSONA["husband"].name}, "me": None}}

    granted = httpx.post(apollo, json=GRANT, timeout=30).json()
    assert granted["data"] is None
    assert [(item["message"], item["extensions"]["code"]) for item in granted["errors"]] == [
        ("sign in first", "UNAUTHENTICATED")
    ]
    assert asyncio.run(_grant_ids(database_url)) == before
