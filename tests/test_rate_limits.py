"""Limits per requester: token buckets per institution, per subject and per client address.

Played over real HTTP against the gateway as `serve` builds it (commands.enforcing), with
real demo tokens; the refusals are looked up in the audit log by their request id. Two
gateways over one database stand for two replicas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from creditgraph.access.policy import Policy
from creditgraph.access.rate_limits import PostgresBuckets, ProcessBuckets, Rule
from creditgraph.commands import enforcing
from creditgraph.config import SCHEMA
from creditgraph.resources import policy_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, WESTLAKE_BANK
from creditgraph.server import build_app
from creditgraph.settings import Settings
from tests.http_app import bearer, in_process_gateway, uvicorn_serving

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
ASK = {"query": "{ __typename }"}


@asynccontextmanager
async def _gateways(
    pool: asyncpg.Pool, home: Path, limits: dict[str, Any], replicas: int = 1
) -> AsyncIterator[list[str]]:
    """`replicas` gateways over one database, each as `serve` builds it: their URLs."""
    config = SCHEMA.from_document({"rate_limits": limits})
    settings = Settings(database_url=None, home=home, config=config)
    async with AsyncExitStack() as stack:
        urls = []
        for _ in range(replicas):
            gateway = in_process_gateway(pool)
            stack.push_async_callback(gateway.aclose)
            access = enforcing(gateway, Policy.load(policy_path()), pool, settings)
            app = build_app(gateway, pool=pool, access=access, config=config)
            urls.append(f"{await stack.enter_async_context(uvicorn_serving(app))}/graphql")
        yield urls


async def _ask(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(url, json=ASK, headers=headers or {})


async def _audit(pool: asyncpg.Pool, response: httpx.Response) -> dict[str, Any]:
    row = await pool.fetchrow(
        "select role, requester, operator, decision, detail from gateway.audit_log "
        "where request_id = $1",
        response.headers["x-request-id"],
    )
    assert row is not None
    return {**dict(row), "detail": orjson.loads(row["detail"])}


async def test_an_institution_over_its_burst_is_refused_with_retry_after_and_recorded(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    limits = {"enabled": True, "bank": {"burst": 2, "per_second": 0.01}}
    officer = bearer(tmp_path, "BANK", WESTLAKE_BANK.code, "loan officer 7")
    colleague = bearer(tmp_path, "BANK", WESTLAKE_BANK.code, "loan officer 8")
    other_bank = bearer(tmp_path, "BANK", EASTBRIDGE_BANK.code, "loan officer 1")
    async with _gateways(writable_pool, tmp_path, limits) as (url,):
        first, second = await _ask(url, officer), await _ask(url, colleague)
        refused = await _ask(url, officer)
        elsewhere = await _ask(url, other_bank)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == {"data": {"__typename": "Query"}}
    # the operators share their institution's bucket; another institution has its own
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 100  # one token at 0.01 a second: at most 100 s away
    assert refused.headers["cache-control"] == "no-store"
    body = refused.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": wait}
    assert error["message"] == f"too many requests from this institution; try again in {wait} s"
    assert elsewhere.status_code == 200
    entry = await _audit(writable_pool, refused)
    assert (entry["role"], entry["requester"], entry["operator"], entry["decision"]) == (
        "BANK",
        WESTLAKE_BANK.code,
        "loan officer 7",
        "DENIED",
    )
    assert entry["detail"] == {"errors": ["RATE_LIMITED"]}


async def test_each_subject_has_its_own_bucket_and_each_role_its_own_rule(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    limits = {"enabled": True, "subject": {"burst": 1, "per_second": 0.01}}
    husband, wife = bearer(tmp_path, "SUBJECT", HUSBAND), bearer(tmp_path, "SUBJECT", WIFE)
    bank = bearer(tmp_path, "BANK", WESTLAKE_BANK.code, "loan officer 7")
    async with _gateways(writable_pool, tmp_path, limits) as (url,):
        statuses = [
            (await _ask(url, husband)).status_code,
            (await _ask(url, husband)).status_code,
            (await _ask(url, wife)).status_code,
            *[(await _ask(url, bank)).status_code for _ in range(3)],
        ]
        refused = await _ask(url, husband)
    assert statuses == [200, 429, 200, 200, 200, 200]
    assert refused.json()["errors"][0]["message"].startswith("too many requests from this subject")
    assert (await _audit(writable_pool, refused))["requester"] == HUSBAND


async def test_anonymous_requests_share_their_client_address_bucket(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    limits = {"enabled": True, "anonymous": {"burst": 1, "per_second": 0.01}}
    async with _gateways(writable_pool, tmp_path, limits) as (url,):
        first, second = await _ask(url), await _ask(url)
    assert (first.status_code, second.status_code) == (200, 429)
    assert "client address" in second.json()["errors"][0]["message"]
    entry = await _audit(writable_pool, second)
    assert (entry["role"], entry["detail"]) == (None, {"errors": ["RATE_LIMITED"]})


async def test_a_bad_token_or_a_malformed_body_takes_from_the_client_address_bucket(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Every refusal is recorded in the audit log, so a refusal is work: a request whose
    token is forged, or whose body is not GraphQL, is limited like any anonymous one (they
    went unlimited, each writing its audit entry, however fast they came)."""
    limits = {"enabled": True, "anonymous": {"burst": 1, "per_second": 0.01}}
    forged = {"authorization": "Bearer a.b.c"}
    async with (
        _gateways(writable_pool, tmp_path, limits) as (url,),
        httpx.AsyncClient(timeout=30) as client,
    ):
        tokens = [await _ask(url, forged) for _ in range(3)]
        malformed = [
            await client.post(url, content=b"{", headers={"content-type": "application/json"})
            for _ in range(2)
        ]
    assert [answer.status_code for answer in tokens] == [401, 429, 429]
    assert [answer.status_code for answer in malformed] == [429, 429]
    entry = await _audit(writable_pool, tokens[1])
    assert (entry["role"], entry["detail"]) == (None, {"errors": ["RATE_LIMITED"]})


async def test_no_limit_applies_unless_switched_on(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    husband = bearer(tmp_path, "SUBJECT", HUSBAND)
    async with _gateways(writable_pool, tmp_path, {"subject": {"burst": 1}}) as (url,):
        statuses = {(await _ask(url, husband)).status_code for _ in range(5)}
    assert statuses == {200}


async def test_replicas_share_buckets_kept_in_postgresql_and_not_those_in_process(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    bank = bearer(tmp_path, "BANK", WESTLAKE_BANK.code, "loan officer 7")
    rule = {"burst": 3, "per_second": 0.01}
    shared = {"enabled": True, "store": "postgresql", "bank": rule}
    async with _gateways(writable_pool, tmp_path, shared, replicas=2) as (one, two):
        statuses = [(await _ask(url, bank)).status_code for url in (one, two, one, two, one)]
    assert statuses == [200, 200, 200, 429, 429]
    alone = {"enabled": True, "store": "process", "bank": rule}
    async with _gateways(writable_pool, tmp_path, alone, replicas=2) as (one, two):
        statuses = [(await _ask(url, bank)).status_code for url in (one, two, one, two, one)]
    assert statuses == [200, 200, 200, 200, 200]  # each replica counts three of its own


async def test_a_bucket_refills_at_its_rate_in_either_store(writable_pool: asyncpg.Pool) -> None:
    """Time is moved, not waited for: the process store's clock is the test's, the
    PostgreSQL store's row is dated back."""
    rule = Rule(per_second=0.5, burst=2)
    now = [1000.0]
    process = ProcessBuckets(clock=lambda: now[0])
    assert [await process.take("k", rule) for _ in range(3)] == [0, 0, 2]
    now[0] += 1.0  # half a token back: still a second to wait
    assert await process.take("k", rule) == 1
    now[0] += 1.0
    assert await process.take("k", rule) == 0
    shared = PostgresBuckets(writable_pool)
    assert [await shared.take("k", rule) for _ in range(3)] == [0, 0, 2]
    await writable_pool.execute(
        "update gateway.rate_buckets set updated_at = updated_at - interval '2 seconds'"
    )
    assert await shared.take("k", rule) == 0
    assert await shared.take("k", rule) == 2
    await writable_pool.execute(
        "update gateway.rate_buckets set updated_at = updated_at - interval '1 hour'"
    )
    assert [await shared.take("k", rule) for _ in range(3)] == [0, 0, 2]  # never above burst
