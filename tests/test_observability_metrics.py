"""`GET /metrics`: Prometheus text that moves as the gateway answers, fetches and caches."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier, mint_demo_token
from creditgraph.commands import http_gateway, in_process_gateway
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.persisted_queries import load_persisted_queries
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.gateway.trusted import sha256_hex
from creditgraph.observability import MeteredTransport, Metrics
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import BANKS, PERSONA
from creditgraph.server import build_app
from creditgraph.settings import FetchPolicy, Resilience
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

HUSBAND = PERSONA["husband"].identifier
REPORT_QUERY = """query($id: String!) { subject(identifier: $id, purpose: SELF) {
    name publicRecordCount scores { value } } }"""
REPORT = {"query": REPORT_QUERY, "variables": {"id": HUSBAND}}


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return Supergraph(supergraph_path().read_text(encoding="utf-8"))


def client(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


@pytest.fixture
async def plain(
    supergraph: Supergraph, seeded_pool: asyncpg.Pool
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over every subgraph in-process, without the policy, its fetches metered."""
    metrics = Metrics()
    gateway = in_process_gateway(supergraph, seeded_pool, metrics=metrics)
    async with client(build_app(gateway, pool=seeded_pool, metrics=metrics)) as http:
        yield http


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when none)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def fetches(text: str, subgraphs: Iterable[str]) -> dict[str, float]:
    name = "creditgraph_subgraph_fetch_duration_seconds_count"
    return {subgraph: value(text, name, subgraph=subgraph) for subgraph in subgraphs}


async def test_requests_are_counted_by_status_class_and_timed(plain: httpx.AsyncClient) -> None:
    before = await scrape(plain)
    assert value(before, "creditgraph_graphql_requests_total") == 0
    for _ in range(2):
        answer = await plain.post("/graphql", json=REPORT)
        assert answer.status_code == 200
        assert answer.json()["data"]["subject"]["name"] == PERSONA["husband"].name
    refused = await plain.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert refused.status_code == 400

    after = await scrape(plain)
    assert value(after, "creditgraph_graphql_requests_total", status="2xx") == 2
    assert value(after, "creditgraph_graphql_requests_total", status="4xx") == 1
    assert value(after, "creditgraph_graphql_request_duration_seconds_count") == 3
    assert value(after, "creditgraph_graphql_request_duration_seconds_sum") > 0
    # the probes and the scrapes are not GraphQL requests
    assert value(after, "creditgraph_graphql_requests_total") == 3


async def test_requests_are_counted_by_operation_kind(plain: httpx.AsyncClient) -> None:
    await plain.post("/graphql", json=REPORT)
    after = await scrape(plain)
    assert value(after, "creditgraph_graphql_requests_total", operation="query") == 1


async def test_each_subgraph_fetch_is_timed_and_none_failed(plain: httpx.AsyncClient) -> None:
    await plain.post("/graphql", json=REPORT)
    text = await scrape(plain)
    counted = fetches(text, ("consent", "bureau", "public", "scores"))
    assert all(count >= 1 for count in counted.values()), counted
    assert value(text, "creditgraph_subgraph_fetch_errors_total") == 0


async def test_a_subgraph_that_fails_shows_as_its_own_fetch_errors(
    supergraph: Supergraph, seeded_pool: asyncpg.Pool
) -> None:
    """`scores` is not mounted: its fetches fail, and the metrics name it and only it.

    The report's one fetch from it is a query, so it is tried three times (the default two
    retries): each attempt is a fetch of its own in the metrics."""
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES if name != "scores"}
    metrics = Metrics()
    transport = MeteredTransport(InProcessTransport(schemas, seeded_pool), metrics)
    gateway = Gateway(supergraph, transport)
    async with client(build_app(gateway, pool=seeded_pool, metrics=metrics)) as http:
        body = (await http.post("/graphql", json=REPORT)).json()
        text = await scrape(http)
    assert body["data"]["subject"]["scores"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SUBGRAPH_UNAVAILABLE"]
    errors = "creditgraph_subgraph_fetch_errors_total"
    assert value(text, errors, subgraph="scores", reason="unavailable") == 3
    assert value(text, errors) == 3
    assert fetches(text, ["scores"]) == {"scores": 3}


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A URL whose server takes connections (the kernel queues them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/graphql"


async def test_a_subgraph_past_the_timeout_counts_as_a_cancelled_fetch(
    supergraph: Supergraph, silent_url: str
) -> None:
    metrics = Metrics()
    overrides = dict.fromkeys(SUBGRAPH_NAMES, silent_url)
    gateway = http_gateway(
        supergraph,
        overrides=overrides,
        secret=None,
        resilience=Resilience(FetchPolicy(timeout=0.2, retries=0)),
        metrics=metrics,
    )
    try:
        async with client(build_app(gateway, metrics=metrics)) as http:
            body = (await http.post("/graphql", json=REPORT)).json()
            text = await scrape(http)
    finally:
        await gateway.aclose()
    assert body["data"] == {"subject": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SUBGRAPH_UNAVAILABLE"]
    errors = "creditgraph_subgraph_fetch_errors_total"
    assert value(text, errors, subgraph="consent", reason="cancelled") == 1
    assert value(text, errors) == 1


async def test_document_and_plan_cache_hits_are_counted(plain: httpx.AsyncClient) -> None:
    await plain.post("/graphql", json=REPORT)
    first = await scrape(plain)
    await plain.post("/graphql", json=REPORT)
    second = await scrape(plain)
    for cache in ("document", "operation", "plan"):
        assert value(first, "creditgraph_cache_hits_total", cache=cache) == 0
        assert value(first, "creditgraph_cache_misses_total", cache=cache) == 1
        assert value(second, "creditgraph_cache_hits_total", cache=cache) == 1
        assert value(second, "creditgraph_cache_misses_total", cache=cache) == 1
        assert value(second, "creditgraph_cache_entries", cache=cache) == 1


async def test_the_persisted_query_store_counts_what_clients_found_and_missed(
    plain: httpx.AsyncClient,
) -> None:
    def persisted(sha256: str) -> dict[str, object]:
        return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}

    by_hash = {"extensions": persisted(sha256_hex(REPORT_QUERY))}
    assert (await plain.post("/graphql", json=by_hash)).json()["errors"][0]["extensions"] == {
        "code": "PERSISTED_QUERY_NOT_FOUND"
    }
    await plain.post("/graphql", json={**REPORT, **by_hash})
    await plain.post("/graphql", json=by_hash)
    # a trusted operation's hash is known without the store
    trusted = next(iter(load_persisted_queries().trusted))
    await plain.post("/graphql", json={"extensions": persisted(trusted)})
    text = await scrape(plain)
    assert value(text, "creditgraph_cache_misses_total", cache="apq") == 1
    assert value(text, "creditgraph_cache_hits_total", cache="apq") == 1
    assert value(text, "creditgraph_cache_entries", cache="apq") == 1


async def test_two_apps_never_share_counts(
    supergraph: Supergraph, seeded_pool: asyncpg.Pool, plain: httpx.AsyncClient
) -> None:
    await plain.post("/graphql", json=REPORT)
    gateway = in_process_gateway(supergraph, seeded_pool)
    async with client(build_app(gateway, pool=seeded_pool)) as other:
        assert value(await scrape(other), "creditgraph_graphql_requests_total") == 0
    assert value(await scrape(plain), "creditgraph_graphql_requests_total") == 1


async def test_under_the_policy_fetches_made_for_a_requester_are_metered(
    supergraph: Supergraph, writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The policy layer fetches through `acting_for(requester)`: still metered, still theirs."""
    metrics = Metrics()
    gateway = in_process_gateway(supergraph, writable_pool, metrics=metrics)
    verifier = TokenVerifier.from_settings(tmp_path, {})
    access = Access(verifier, PolicyGateway(gateway, Policy.load(policy_path()), writable_pool))
    token = mint_demo_token(tmp_path, "SUBJECT", HUSBAND, None, env={})
    app = build_app(gateway, pool=writable_pool, access=access, metrics=metrics)
    grant = (
        "mutation($bank: String!) { grantConsent(grantee: $bank, purpose: LOAN_APPROVAL) "
        "{ state } }"
    )
    async with client(app) as http:
        answer = await http.post(
            "/graphql",
            json={"query": grant, "variables": {"bank": BANKS[0].code}},
            headers={"authorization": f"Bearer {token}"},
        )
        text = await scrape(http)
    body = answer.json()
    # the consent subgraph grants only for the subject it is told it acts for
    assert body == {"data": {"grantConsent": {"state": "ACTIVE"}}}
    assert fetches(text, ["consent"])["consent"] >= 1
    assert value(text, "creditgraph_graphql_requests_total", status="2xx") == 1
