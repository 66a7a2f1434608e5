"""The gateway over creditgraph's own supergraph, with the subgraphs in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from graphql import print_schema

from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.composition import compose_ours
from creditgraph.gateway.transports import InProcessTransport, SubgraphUnavailable, Transport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import PERSONA
from creditgraph.settings import FetchPolicy, Resilience
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier


class Recording:
    """A transport in front of the real one: records each call; can fail or stall a subgraph."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.down: set[str] = set()
        self.stalled: set[str] = set()

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((subgraph, document, variables))
        if subgraph in self.down:
            raise SubgraphUnavailable("connection refused")
        if subgraph in self.stalled:
            await asyncio.sleep(5)
        return await self.inner.send(subgraph, document, variables)

    def acting_for(self, requester: Requester | None) -> Recording:
        return self

    async def aclose(self) -> None:
        await self.inner.aclose()

    def subgraphs_called(self) -> list[str]:
        return [call[0] for call in self.calls]


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return Supergraph(supergraph_path().read_text(encoding="utf-8"))


@pytest.fixture
async def gateway(supergraph: Supergraph, seeded_pool: asyncpg.Pool) -> tuple[Gateway, Recording]:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    recording = Recording(InProcessTransport(schemas, seeded_pool))
    return Gateway(
        supergraph, recording, resilience=Resilience(FetchPolicy(timeout=1.0, retries=0))
    ), recording


def test_committed_supergraph_matches_the_subgraphs(repo_root: Path, interop_dir: Path) -> None:
    committed = repo_root / "graphql" / "supergraph.graphql"
    assert committed.read_text(encoding="utf-8") == compose_ours(), (
        "graphql/supergraph.graphql has drifted from the subgraphs: run `creditgraph compose`"
    )


def test_the_api_schema_hides_federation_machinery(gateway: tuple[Gateway, Recording]) -> None:
    printed = print_schema(gateway[0].schema)
    for internal in ("_entities", "_service", "_Any", "_Entity", "join__", "link__", "@link"):
        assert internal not in printed
    assert "type Subject" in printed
    assert "creditSummary" in printed


async def test_one_report_joins_three_subgraphs(gateway: tuple[Gateway, Recording]) -> None:
    engine, recording = gateway
    response = await engine.execute(
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            name blacklisted publicRecordCount
            creditSummary { fourNots { passed notBlack { passed } } }
            scores { value model { name } }
        } }""",
        {"id": HUSBAND},
    )
    assert "errors" not in response
    subject = response["data"]["subject"]
    assert subject["name"] == PERSONA["husband"].name
    assert subject["blacklisted"] is False
    assert subject["creditSummary"]["fourNots"]["notBlack"]["passed"] is True
    assert {score["model"]["name"] for score in subject["scores"]} >= {"Galaxy Bureau Score"}
    # the key fetched for the planner (from consent) is not in the answer
    assert list(subject) == [
        "name",
        "blacklisted",
        "publicRecordCount",
        "creditSummary",
        "scores",
    ]
    assert sorted(recording.subgraphs_called()) == ["bureau", "consent", "public", "scores"]


async def test_requires_waits_for_the_public_records(gateway: tuple[Gateway, Recording]) -> None:
    """creditSummary @requires blacklisted: the bureau is asked again with it, after public."""
    engine, recording = gateway
    debtor = PERSONA["debtor"].identifier
    response = await engine.execute(
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            creditSummary { fourNots { notBlack { passed } } } } }""",
        {"id": debtor},
    )
    assert response["data"]["subject"]["creditSummary"]["fourNots"]["notBlack"]["passed"] is False
    order = recording.subgraphs_called()
    assert order[-1] == "bureau"
    assert order.index("public") < len(order) - 1
    last = recording.calls[-1]
    assert last[2]["representations"][0]["blacklisted"] is True


async def test_entities_are_batched_per_subgraph_per_step(
    gateway: tuple[Gateway, Recording],
) -> None:
    """Every party of every account, at two paths, costs one call to public and one to scores."""
    engine, recording = gateway
    response = await engine.execute(
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            accounts(first: 50) { nodes { account { parties { subject {
                name blacklisted scores { value } } } } } }
            spouse { blacklisted scores { value } }
        } }""",
        {"id": HUSBAND},
    )
    assert "errors" not in response
    parties = [
        party["subject"]
        for node in response["data"]["subject"]["accounts"]["nodes"]
        for party in node["account"]["parties"]
    ]
    assert len(parties) >= 3
    assert all(isinstance(party["blacklisted"], bool) for party in parties)
    assert recording.subgraphs_called().count("public") == 1
    assert recording.subgraphs_called().count("scores") == 1
    # within a fetch, each distinct subject is sent once, however often it appears
    public_call = next(call for call in recording.calls if call[0] == "public")
    batches = [value for value in public_call[2].values() if isinstance(value, list)]
    assert len(batches) == 2  # one per path, in one request
    for batch in batches:
        sent = [representation["identifier"] for representation in batch]
        assert len(sent) == len(set(sent))


async def test_aliases_fragments_and_conditions(gateway: tuple[Gateway, Recording]) -> None:
    engine, _ = gateway
    query = """
    query Card($id: String!, $full: Boolean!) {
      me: subject(identifier: $id, purpose: SELF) { ...Card kind: __typename }
      partner: subject(identifier: $id, purpose: SELF) {
        spouse { who: name ... on Subject { identifier } }
      }
    }
    fragment Card on Subject {
      who: name
      records: publicRecordCount @include(if: $full)
      scores @skip(if: $full) { value }
    }
    """
    full = await engine.execute(query, {"id": HUSBAND, "full": True}, "Card")
    assert full == {
        "data": {
            "me": {"who": PERSONA["husband"].name, "records": 0, "kind": "Subject"},
            "partner": {"spouse": {"who": PERSONA["wife"].name, "identifier": WIFE}},
        }
    }
    brief = await engine.execute(query, {"id": HUSBAND, "full": False}, "Card")
    assert "records" not in brief["data"]["me"]
    assert len(brief["data"]["me"]["scores"]) >= 1
    # two condition values, two plans; a repeat is a cache hit
    hits = engine.plans.hits
    await engine.execute(query, {"id": HUSBAND, "full": True}, "Card")
    assert engine.plans.hits == hits + 1


async def test_an_unavailable_subgraph_costs_only_its_fields(
    gateway: tuple[Gateway, Recording],
) -> None:
    engine, recording = gateway
    recording.down.add("scores")
    response = await engine.execute(
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            name scores { value } publicRecordCount } }""",
        {"id": HUSBAND},
    )
    subject = response["data"]["subject"]
    assert subject["name"] == PERSONA["husband"].name
    assert subject["publicRecordCount"] == 0
    assert subject["scores"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in response["errors"]] == [
        (["subject", "scores"], "SUBGRAPH_UNAVAILABLE")
    ]


async def test_a_slow_subgraph_times_out_into_null(gateway: tuple[Gateway, Recording]) -> None:
    engine, recording = gateway
    recording.stalled.add("public")
    response = await engine.execute(
        "query($id: String!) { subject(identifier: $id, purpose: SELF) { name blacklisted } }",
        {"id": HUSBAND},
    )
    assert response["data"] == {"subject": {"name": PERSONA["husband"].name, "blacklisted": None}}
    assert response["errors"][0]["path"] == ["subject", "blacklisted"]
    assert response["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    assert "within 1 s" in response["errors"][0]["message"]


async def test_a_failed_subgraph_under_a_nested_entity_nulls_only_its_field(
    gateway: tuple[Gateway, Recording],
) -> None:
    """The spouse is still there; only the field the scores subgraph owns is null."""
    engine, recording = gateway
    recording.down.add("scores")
    response = await engine.execute(
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            name spouse { scores { value model { name } } } } }""",
        {"id": HUSBAND},
    )
    assert response["data"] == {
        "subject": {"name": PERSONA["husband"].name, "spouse": {"scores": None}}
    }
    assert [e["path"] for e in response["errors"]] == [["subject", "spouse", "scores"]]


async def test_root_subgraph_down_nulls_the_root_field(
    gateway: tuple[Gateway, Recording],
) -> None:
    # every root field clients may ask for is the consent subgraph's (scoreModels is
    # @inaccessible): the rest of the answer is the gateway's own __typename
    engine, recording = gateway
    recording.down.add("consent")
    response = await engine.execute(
        "query($id: String!) { subject(identifier: $id, purpose: SELF) { name } __typename }",
        {"id": HUSBAND},
    )
    assert response["data"]["subject"] is None
    assert response["data"]["__typename"] == "Query"
    assert [e["path"] for e in response["errors"]] == [["subject"]]


async def test_subgraph_errors_keep_their_path_and_code(
    gateway: tuple[Gateway, Recording],
) -> None:
    engine, _ = gateway
    response = await engine.execute(
        """query($id: String!) { subject(identifier: $id, purpose: SELF) {
            name scoreHistory(first: 1000) { totalCount } } }""",
        {"id": HUSBAND},
    )
    assert response["data"]["subject"]["name"] == PERSONA["husband"].name
    [problem] = response["errors"]
    assert problem["path"] == ["subject", "scoreHistory"]
    assert problem["extensions"]["code"] == "BAD_USER_INPUT"
    assert "locations" not in problem


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ subject(identifier: ", "GRAPHQL_PARSE_FAILED"),
        ('{ subject(identifier: "x", purpose: SELF) { nope } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ _entities(representations: []) { __typename } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ _service { sdl } }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($id: String!) { subject(identifier: $id, purpose: SELF) { name } }",
            "BAD_USER_INPUT",
        ),
    ],
)
async def test_bad_requests_are_refused_whole(
    gateway: tuple[Gateway, Recording], query: str, code: str
) -> None:
    engine, recording = gateway
    response = await engine.execute(query)
    assert "data" not in response
    assert response["errors"][0]["extensions"]["code"] == code
    assert recording.calls == []


async def test_introspection_is_answered_from_the_api_schema(
    gateway: tuple[Gateway, Recording],
) -> None:
    engine, recording = gateway
    response = await engine.execute(
        'query($id: String!) { __typename __type(name: "Subject") { name fields { name } } '
        "subject(identifier: $id, purpose: SELF) { name } }",
        {"id": HUSBAND},
    )
    assert response["data"]["__typename"] == "Query"
    fields = {field["name"] for field in response["data"]["__type"]["fields"]}
    assert {"name", "creditSummary", "blacklisted", "scores"} <= fields
    assert response["data"]["subject"]["name"] == PERSONA["husband"].name
    entity = await engine.execute('{ __type(name: "_Entity") { name } }')
    assert entity["data"] == {"__type": None}
    assert recording.subgraphs_called() == ["consent", "bureau"]


async def test_plan_cache_is_bounded(supergraph: Supergraph, seeded_pool: asyncpg.Pool) -> None:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    engine = Gateway(supergraph, InProcessTransport(schemas, seeded_pool), cache_size=3)
    for number in range(10):
        await engine.execute(
            f'{{ a{number}: subject(identifier: "{HUSBAND}", purpose: SELF) {{ name }} }}'
        )
    assert len(engine.plans) == 3
    assert len(engine.documents.cache) == 3
