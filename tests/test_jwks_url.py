"""Requester tokens checked against an identity provider's JWKS URL, as it rotates its keys.

The provider is a real HTTP endpoint on localhost (tests/jwks_server.py) that counts its
fetches: a key it adds verifies at once, with one fetch however many requests name it; a key
it removes is refused once the set has been fetched again; an unknown kid cannot make the
gateway fetch more than once per cooldown; a provider that cannot be reached refuses tokens
with the reason, and one that fails after a good fetch leaves the keys fetched before.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from creditgraph.access.tokens import TokenVerifier, mint_demo_token
from creditgraph.errors import ConfigurationError
from creditgraph.requester import Requester, Unauthenticated
from creditgraph.seed.personas import EASTBRIDGE_BANK
from creditgraph.settings import JwtSettings
from tests.cli_helpers import cli_env, free_port, start_cli, stop_cli, wait_for_http
from tests.jwks_server import JwksServer, SigningKey, jwks_server

BANK = Requester("BANK", EASTBRIDGE_BANK.code, "loan officer 7")
UNKNOWN = "token signing key (kid) unknown"
UNREACHABLE = (
    "token signing key (kid) unknown: the identity provider's key set could not be fetched"
)


@pytest.fixture(scope="module")
def keys() -> tuple[SigningKey, SigningKey, SigningKey]:
    return SigningKey("2026-01"), SigningKey("2026-02"), SigningKey("2026-03")


@contextmanager
def _verifier(
    home: Path, url: str, *, refresh: str = "3600", cooldown: str = "3600"
) -> Iterator[TokenVerifier]:
    env = {
        "CREDITGRAPH_JWT_JWKS_URL": url,
        "CREDITGRAPH_JWT_JWKS_REFRESH": refresh,
        "CREDITGRAPH_JWT_JWKS_COOLDOWN": cooldown,
    }
    verifier = TokenVerifier.from_settings(home, env)
    try:
        yield verifier
    finally:
        verifier.close()


def bearer(key: SigningKey) -> str:
    return f"Bearer {key.bank_token()}"


def refusal(verifier: TokenVerifier, key: SigningKey) -> str:
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify(bearer(key))
    return str(refused.value)


async def async_refusal(verifier: TokenVerifier, key: SigningKey) -> str:
    with pytest.raises(Unauthenticated) as refused:
        await verifier.authenticate(bearer(key))
    return str(refused.value)


async def test_a_new_kid_is_fetched_at_once_and_the_cooldown_holds_back_the_next(
    tmp_path: Path, keys: tuple[SigningKey, SigningKey, SigningKey]
) -> None:
    old, new, newer = keys
    with jwks_server(old) as provider, _verifier(tmp_path, provider.url) as verifier:
        assert await verifier.authenticate(bearer(old)) == BANK
        assert provider.fetches == 1

        provider.publish(old, new)
        assert await verifier.authenticate(bearer(new)) == BANK
        assert provider.fetches == 2, "the new kid was fetched on its first use"

        provider.publish(old, new, newer)
        for _ in range(3):
            assert await async_refusal(verifier, newer) == UNKNOWN
        assert provider.fetches == 2, "within the cooldown an unknown kid fetches nothing"
        assert await verifier.authenticate(bearer(old)) == BANK


async def test_concurrent_requests_naming_a_new_kid_share_one_fetch(
    tmp_path: Path, keys: tuple[SigningKey, SigningKey, SigningKey]
) -> None:
    old, new, _ = keys
    with (
        jwks_server(old) as provider,
        _verifier(tmp_path, provider.url, cooldown="0.001") as verifier,
    ):
        assert await verifier.authenticate(bearer(old)) == BANK
        provider.publish(old, new)
        answers = await asyncio.gather(*(verifier.authenticate(bearer(new)) for _ in range(20)))
        assert answers == [BANK] * 20
        assert provider.fetches == 2


def test_a_removed_key_is_refused_once_the_set_is_fetched_again(
    tmp_path: Path, keys: tuple[SigningKey, SigningKey, SigningKey]
) -> None:
    old, new, _ = keys
    with (
        jwks_server(old, new) as provider,
        _verifier(tmp_path, provider.url, refresh="0.2") as verifier,
    ):
        provider.wait_for_fetches(2)  # the first fetch has been taken in
        assert verifier.verify(bearer(old)) == BANK
        provider.publish(new)
        # a fetch served after the publish answers the new set, and the next is asked for only
        # once that answer is taken in
        provider.wait_for_fetches(provider.fetches + 2)
        assert refusal(verifier, old) == UNKNOWN
        assert verifier.verify(bearer(new)) == BANK


async def test_an_unreachable_provider_refuses_tokens_with_the_reason(
    tmp_path: Path,
    keys: tuple[SigningKey, SigningKey, SigningKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/jwks.json"
    with (
        caplog.at_level(logging.WARNING, logger="creditgraph.tokens"),
        _verifier(tmp_path, nobody, cooldown="0.001") as verifier,
    ):
        assert await async_refusal(verifier, keys[0]) == UNREACHABLE
        assert await async_refusal(verifier, keys[0]) == UNREACHABLE
    failures = [record.getMessage() for record in caplog.records]
    assert failures, "each failed fetch is logged"
    assert all(nobody in line and "could not be fetched" in line for line in failures)
    assert all(line.endswith("; no keys") for line in failures)


async def test_a_failing_provider_leaves_the_keys_fetched_before(
    tmp_path: Path,
    keys: tuple[SigningKey, SigningKey, SigningKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    old, new, _ = keys
    with (
        jwks_server(old) as provider,
        caplog.at_level(logging.WARNING, "creditgraph.tokens"),
        _verifier(tmp_path, provider.url, refresh="0.2", cooldown="0.001") as verifier,
    ):
        assert await verifier.authenticate(bearer(old)) == BANK
        provider.failing = True
        provider.publish(new)
        await asyncio.to_thread(provider.wait_for_fetches, provider.fetches + 2)
        assert await verifier.authenticate(bearer(old)) == BANK
        assert await async_refusal(verifier, new) == UNREACHABLE
    assert "the 1 key(s) fetched before are kept" in caplog.records[-1].getMessage()


async def test_an_answer_that_is_no_usable_jwks_is_refused_and_the_old_keys_kept(
    tmp_path: Path,
    keys: tuple[SigningKey, SigningKey, SigningKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    old, _, _ = keys
    with (
        jwks_server(old) as provider,
        caplog.at_level(logging.WARNING, "creditgraph.tokens"),
        _verifier(tmp_path, provider.url, cooldown="0.001") as verifier,
    ):
        assert await verifier.authenticate(bearer(old)) == BANK
        provider.publish()  # {"keys": []}
        stranger = SigningKey("stranger")
        assert await async_refusal(verifier, stranger) == UNREACHABLE
        assert await verifier.authenticate(bearer(old)) == BANK
    assert 'it needs a non-empty "keys" list' in caplog.records[-1].getMessage()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CREDITGRAPH_JWT_JWKS_REFRESH": "0"}, "must be more than 0"),
        ({"CREDITGRAPH_JWT_JWKS_COOLDOWN": "soon"}, "must be a number of seconds"),
        ({"CREDITGRAPH_JWT_JWKS_URL": "ftp://idp/jwks"}, "must be an http:// or https:// URL"),
        (
            {"CREDITGRAPH_JWT_JWKS_URL": "https://idp/jwks", "CREDITGRAPH_JWT_PUBLIC_KEY": "k.pem"},
            "are set together; set one of public_key, jwks and jwks_url",
        ),
    ],
)
def test_jwks_url_settings_are_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        JwtSettings.from_env(env)


def test_a_jwks_url_is_a_provider_and_mints_nothing(tmp_path: Path) -> None:
    env = {"CREDITGRAPH_JWT_JWKS_URL": "https://idp.example/jwks.json"}
    settings = JwtSettings.from_env(env)
    assert settings.jwks_url == "https://idp.example/jwks.json"
    assert not settings.demo
    with pytest.raises(ConfigurationError, match="CREDITGRAPH_JWT_JWKS_URL is set"):
        mint_demo_token(tmp_path, "BANK", EASTBRIDGE_BANK.code, "officer", env=env)


# --- the gateway over HTTP, as its clients see it ------------------------------------------


def _ask(base: str, key: SigningKey) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": "{ __typename }"},
        headers={"authorization": bearer(key)},
        timeout=30,
    )


@pytest.fixture
def provider(keys: tuple[SigningKey, SigningKey, SigningKey]) -> Iterator[JwksServer]:
    with jwks_server(keys[0]) as server:
        yield server


@pytest.fixture
def gateway(
    tmp_path: Path, database_url: str, provider: JwksServer
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = cli_env(home=tmp_path, database_url=database_url)
    env["CREDITGRAPH_JWT_JWKS_URL"] = provider.url
    env["CREDITGRAPH_JWT_JWKS_REFRESH"] = "0.5"
    port = free_port()
    proc = start_cli("serve", "--in-process", "--port", str(port), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(proc, f"{base}/healthz")
        yield proc, base
    finally:
        stop_cli(proc)


def test_the_gateway_follows_the_providers_rotation(
    gateway: tuple[subprocess.Popen[str], str],
    provider: JwksServer,
    keys: tuple[SigningKey, SigningKey, SigningKey],
) -> None:
    _, base = gateway
    old, new, _ = keys
    answer = _ask(base, old)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"data": {"__typename": "Query"}}

    provider.publish(old, new)
    assert _ask(base, new).json() == {"data": {"__typename": "Query"}}

    provider.publish(new)
    provider.wait_for_fetches(provider.fetches + 2)
    refused = _ask(base, old)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == UNKNOWN
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert _ask(base, new).status_code == 200
