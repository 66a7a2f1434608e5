"""A subgraph served alone (`creditgraph subgraph NAME`) answers the gateway and no one else."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from creditgraph.seed.personas import PERSONA
from creditgraph.subgraphs import credential
from creditgraph.subgraphs.sdl import sdl_file
from tests.cli_helpers import cli_env, free_port, start_cli, wait_for_http

QUERY = {
    "query": "query($id: String!) { subjects(identifiers: [$id]) { name } }",
    "variables": {"id": PERSONA["husband"].identifier},
}


@pytest.fixture(scope="module")
def bureau(
    tmp_path_factory: pytest.TempPathFactory, seeded_database_url: str
) -> Iterator[tuple[str, bytes]]:
    """(URL, the gateway's secret) of a bureau subgraph running in its own process."""
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    proc = start_cli(
        "subgraph", "bureau", "--port", str(port),
        env=cli_env(home=home, database_url=seeded_database_url),
    )  # fmt: skip
    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}/graphql", credential.load_secret(home)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def _post(url: str, token: str | None, body: object = QUERY) -> httpx.Response:
    headers = {} if token is None else {credential.HEADER: token}
    return httpx.post(url, json=body, headers=headers, timeout=10)


def test_with_the_gateway_credential_it_answers(bureau: tuple[str, bytes]) -> None:
    url, secret = bureau
    response = _post(url, credential.issue(secret, "bureau"))
    assert response.status_code == 200
    assert response.json() == {"data": {"subjects": [{"name": PERSONA["husband"].name}]}}


def test_it_serves_the_committed_sdl(bureau: tuple[str, bytes], repo_root: Path) -> None:
    url, secret = bureau
    response = _post(url, credential.issue(secret, "bureau"), {"query": "{ _service { sdl } }"})
    committed = sdl_file(repo_root / "graphql" / "subgraphs", "bureau").read_text()
    assert response.json()["data"]["_service"]["sdl"].rstrip("\n") == committed.rstrip("\n")


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
    response = _post(url, make_token(secret))
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"] == credential.REFUSAL
