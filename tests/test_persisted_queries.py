"""Automatic persisted queries and the trusted-only mode, over HTTP against the real app.

Plain mode follows Apollo's APQ protocol: a hash alone runs what was stored
under it, a hash with its text stores and runs it, an unknown hash alone is
PERSISTED_QUERY_NOT_FOUND. Trusted-only mode runs the operations in
graphql/operations and nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from creditgraph.gateway import Gateway
from creditgraph.gateway.persisted_queries import (
    SHARED,
    PersistedQueries,
    QueryRefused,
    load_persisted_queries,
)
from creditgraph.gateway.trusted import TrustedOperations, sha256_hex
from creditgraph.resources import operations_root
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA
from tests.http_app import bearer, in_process_gateway, serving

HUSBAND = PERSONA["husband"].identifier
NAME_QUERY = "query($id: String!) { subject(identifier: $id, purpose: SELF) { name } }"
SPEC = {"accept": "application/graphql-response+json"}


def persisted(sha256: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


def card() -> str:
    return (operations_root() / "subject_card.graphql").read_text(encoding="utf-8")


def code(body: dict[str, Any]) -> str:
    found: str = body["errors"][0]["extensions"]["code"]
    return found


@pytest.fixture
async def gateway(seeded_pool: asyncpg.Pool) -> AsyncIterator[Gateway]:
    found = in_process_gateway(seeded_pool)
    try:
        yield found
    finally:
        await found.aclose()


@pytest.fixture
async def plain(
    gateway: Gateway, seeded_pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `creditgraph serve --no-policy` serves it."""
    async with serving(gateway, seeded_pool, tmp_path, policy=False) as client:
        yield client


async def test_an_unknown_hash_alone_is_not_found_and_the_client_then_sends_the_text(
    plain: httpx.AsyncClient,
) -> None:
    sha256 = sha256_hex(NAME_QUERY)
    variables = {"id": HUSBAND}
    first = await plain.post(
        "/graphql", json={"variables": variables, "extensions": persisted(sha256)}
    )
    assert first.status_code == 200
    assert code(first.json()) == "PERSISTED_QUERY_NOT_FOUND"
    spec = await plain.post(
        "/graphql", json={"variables": variables, "extensions": persisted(sha256)}, headers=SPEC
    )
    assert spec.status_code == 400
    assert code(spec.json()) == "PERSISTED_QUERY_NOT_FOUND"

    stored = await plain.post(
        "/graphql",
        json={"query": NAME_QUERY, "variables": variables, "extensions": persisted(sha256)},
    )
    assert stored.json() == {"data": {"subject": {"name": PERSONA["husband"].name}}}
    again = await plain.post(
        "/graphql", json={"variables": variables, "extensions": persisted(sha256)}
    )
    assert again.json() == stored.json()
    by_get = await plain.get(
        "/graphql",
        params={
            "variables": orjson.dumps(variables).decode(),
            "extensions": orjson.dumps(persisted(sha256.upper())).decode(),
        },
    )
    assert by_get.status_code == 200
    assert by_get.json() == stored.json()


async def test_a_text_that_is_not_what_the_hash_says_is_refused_and_not_stored(
    plain: httpx.AsyncClient,
) -> None:
    sha256 = sha256_hex(NAME_QUERY)
    liar = await plain.post(
        "/graphql", json={"query": "{ __typename }", "extensions": persisted(sha256)}
    )
    assert liar.status_code == 400
    assert code(liar.json()) == "BAD_USER_INPUT"
    after = await plain.post("/graphql", json={"extensions": persisted(sha256)})
    assert code(after.json()) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_document_that_does_not_validate_is_not_stored(plain: httpx.AsyncClient) -> None:
    broken = "{ nope }"
    sent = await plain.post(
        "/graphql", json={"query": broken, "extensions": persisted(sha256_hex(broken))}
    )
    assert code(sent.json()) == "GRAPHQL_VALIDATION_FAILED"
    after = await plain.post("/graphql", json={"extensions": persisted(sha256_hex(broken))})
    assert code(after.json()) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize("version", [2, 0, "1", None, True])
async def test_an_unsupported_protocol_version_is_bad_input(
    plain: httpx.AsyncClient, version: Any
) -> None:
    sha256 = sha256_hex(card())
    response = await plain.post("/graphql", json={"extensions": persisted(sha256, version)})
    assert response.status_code == 400
    assert code(response.json()) == "BAD_USER_INPUT"
    assert "version" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "extensions", ["persistedQuery", [1], {"persistedQuery": "abc"}, persisted("not-a-hash")]
)
async def test_malformed_extensions_are_bad_input(
    plain: httpx.AsyncClient, extensions: Any
) -> None:
    response = await plain.post(
        "/graphql", json={"query": "{ __typename }", "extensions": extensions}
    )
    assert response.status_code == 400
    assert code(response.json()) == "BAD_USER_INPUT"


async def test_the_trusted_operations_are_known_by_hash_from_the_start(
    plain: httpx.AsyncClient,
) -> None:
    response = await plain.get(
        "/graphql",
        params={
            "variables": orjson.dumps({"identifier": HUSBAND, "purpose": "SELF"}).decode(),
            "extensions": orjson.dumps(persisted(sha256_hex(card()))).decode(),
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["subject"]["name"] == PERSONA["husband"].name


async def test_a_persisted_mutation_is_still_not_sent_with_get(plain: httpx.AsyncClient) -> None:
    revoke = (operations_root() / "revoke_consent.graphql").read_text(encoding="utf-8")
    response = await plain.get(
        "/graphql",
        params={
            "variables": orjson.dumps({"id": "x"}).decode(),
            "extensions": orjson.dumps(persisted(sha256_hex(revoke))).decode(),
        },
    )
    assert response.status_code == 405


def test_the_store_is_bounded_and_forgets_the_least_recently_used() -> None:
    queries = PersistedQueries(TrustedOperations.load(operations_root()), size=2)
    texts = [f"{{ __typename a{n}: __typename }}" for n in range(3)]
    for text in texts:
        queries.remember(queries.resolve(text, persisted(sha256_hex(text)), owner=SHARED))
    assert len(queries.store) == 2
    with pytest.raises(QueryRefused) as refused:
        queries.resolve(None, persisted(sha256_hex(texts[0])), owner=SHARED)
    assert refused.value.code == "PERSISTED_QUERY_NOT_FOUND"
    assert queries.resolve(None, persisted(sha256_hex(texts[2])), owner=SHARED).query == texts[2]
    # the trusted operations take no room in the store
    queries.remember(queries.resolve(card(), persisted(sha256_hex(card())), owner=SHARED))
    assert len(queries.store) == 2


async def test_each_gateway_has_its_own_store(
    seeded_pool: asyncpg.Pool, plain: httpx.AsyncClient, tmp_path: Path
) -> None:
    sha256 = sha256_hex(NAME_QUERY)
    await plain.post(
        "/graphql",
        json={"query": NAME_QUERY, "variables": {"id": HUSBAND}, "extensions": persisted(sha256)},
    )
    other = in_process_gateway(seeded_pool)
    try:
        async with serving(other, seeded_pool, tmp_path, policy=False) as client:
            response = await client.post("/graphql", json={"extensions": persisted(sha256)})
    finally:
        await other.aclose()
    assert code(response.json()) == "PERSISTED_QUERY_NOT_FOUND"


# -- trusted-only ------------------------------------------------------------------------


@pytest.fixture
async def trusted_only(
    writable_seeded_database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `creditgraph up --trusted-only` serves it: under the policy."""
    pool = await asyncpg.create_pool(writable_seeded_database_url, min_size=1, max_size=4)
    gateway = in_process_gateway(pool)
    try:
        queries = load_persisted_queries(trusted_only=True)
        async with serving(gateway, pool, tmp_path, queries=queries) as client:
            yield client
    finally:
        await gateway.aclose()
        await pool.close()


async def test_trusted_only_runs_a_trusted_operation_by_hash_or_by_its_exact_text(
    trusted_only: httpx.AsyncClient, tmp_path: Path
) -> None:
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "front-end")
    variables = {"identifier": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    by_hash = await trusted_only.post(
        "/graphql",
        json={"variables": variables, "extensions": persisted(sha256_hex(card()))},
        headers=bank,
    )
    assert by_hash.status_code == 200
    assert "errors" not in by_hash.json()
    assert by_hash.json()["data"]["subject"]["name"] == PERSONA["husband"].name
    by_text = await trusted_only.post(
        "/graphql", json={"query": card(), "variables": variables}, headers=bank
    )
    assert by_text.json() == by_hash.json()


async def test_trusted_only_refuses_anything_else(
    trusted_only: httpx.AsyncClient, tmp_path: Path
) -> None:
    bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "front-end")
    variables = {"identifier": HUSBAND, "purpose": "POST_LOAN_MANAGEMENT"}
    for text in ("{ __typename }", card() + "\n", NAME_QUERY):
        free = await trusted_only.post(
            "/graphql", json={"query": text, "variables": variables}, headers=bank
        )
        assert free.status_code == 200
        body = free.json()
        assert "data" not in body
        assert code(body) == "BAD_USER_INPUT"
        assert "trusted operations" in body["errors"][0]["message"]
        registered = await trusted_only.post(
            "/graphql",
            json={"query": text, "variables": variables, "extensions": persisted(sha256_hex(text))},
            headers={**bank, **SPEC},
        )
        assert registered.status_code == 400
        assert code(registered.json()) == "BAD_USER_INPUT"
        unknown = await trusted_only.post(
            "/graphql",
            json={"variables": variables, "extensions": persisted(sha256_hex(text))},
            headers=bank,
        )
        assert code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"
