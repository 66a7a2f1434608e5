"""The pipeline's configurations (gateway/stages/pipeline.py), through the HTTP handler.

The handler runs the same stages in every configuration. With no edition policy
(`build_app(access=None)`, `Pipeline.open`) the stages are open: a token is not read, no
rate is kept, nothing is recorded, and the operation is planned as it is prepared, so a
planning error is refused as early as an invalid document. Under the policy
(`Access.pipeline`) the policy both authorises and records.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import TokenVerifier
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.stages.authorise import Open
from creditgraph.gateway.stages.limit import UNLIMITED
from creditgraph.gateway.stages.pipeline import Access, Pipeline
from creditgraph.gateway.stages.record import NOT_RECORDED
from creditgraph.middleware.authentication import ANONYMOUS
from creditgraph.resources import policy_path
from creditgraph.seed.personas import PERSONA
from creditgraph.server import build_app
from tests.http_app import in_process_gateway
from tests.test_stages_authorise import NO_PLAN, Unreachable

HUSBAND = PERSONA["husband"].identifier
WHOSE = f'{{ subject(identifier: "{HUSBAND}", purpose: LOAN_APPROVAL) {{ identifier }} }}'
SPEC = "application/graphql-response+json"


def _client(gateway: Gateway) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(gateway))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


async def test_with_no_policy_a_planning_error_is_refused_before_anything_is_fetched() -> None:
    transport = Unreachable()
    async with _client(Gateway(Supergraph(NO_PLAN), transport)) as client:
        spec = await client.post(
            "/graphql", json={"query": "{ chat { text } }"}, headers={"accept": SPEC}
        )
        legacy = await client.post("/graphql", json={"query": "{ chat { text } }"})
    assert spec.status_code == 400
    assert legacy.status_code == 200
    for answer in (spec.json(), legacy.json()):
        assert "data" not in answer
        assert [item["extensions"]["code"] for item in answer["errors"]] == [
            "QUERY_PLANNING_FAILED"
        ]
    assert transport.sent == []
    assert spec.headers["cache-control"] == "no-store"


async def test_with_no_policy_a_token_is_not_read_and_the_report_is_answered(
    seeded_pool: asyncpg.Pool,
) -> None:
    async with _client(in_process_gateway(seeded_pool)) as client:
        plain = await client.post("/graphql", json={"query": WHOSE})
        tokened = await client.post(
            "/graphql", json={"query": WHOSE}, headers={"authorization": "Bearer not-a-token"}
        )
        over_get = await client.get("/graphql", params={"query": "mutation { __typename }"})
    expected = {"data": {"subject": {"identifier": HUSBAND}}}
    assert (plain.status_code, plain.json()) == (200, expected)
    assert (tokened.status_code, tokened.json()) == (200, expected)
    # the rules of GraphQL over HTTP hold in every configuration
    assert over_get.status_code == 405
    assert over_get.headers["allow"] == "POST"


def test_the_open_pipeline_is_the_open_stages_around_the_gateway() -> None:
    gateway = Gateway(Supergraph(NO_PLAN), Unreachable())
    pipeline = Pipeline.open(gateway)
    assert pipeline.authenticate is ANONYMOUS
    assert pipeline.limit is UNLIMITED
    assert isinstance(pipeline.authorise, Open)
    assert pipeline.authorise.gateway is gateway
    assert pipeline.record is NOT_RECORDED


def test_under_the_policy_the_policy_authorises_and_records(
    seeded_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    gateway = in_process_gateway(seeded_pool)
    policy = PolicyGateway(gateway, Policy.load(policy_path()), seeded_pool)
    verifier = TokenVerifier.from_settings(tmp_path, {})
    pipeline = Access(verifier, policy).pipeline()
    assert pipeline.authorise is policy
    assert pipeline.record is policy
    assert pipeline.authenticate.verifier is verifier
    assert pipeline.authenticate.furnishing is None
    assert pipeline.limit is UNLIMITED
