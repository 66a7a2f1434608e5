"""The authorise stage's seam (gateway/stages/authorise.py) in its open configuration.

With no edition policy the stage lets anyone see everything: it plans the operation as it
prepares it, so a planning error is refused before anything is fetched, and runs it as
written whoever asks. (The policy's stage, access/enforcement.py, is tests/test_enforcement.py.)
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.errors import RequestError
from creditgraph.gateway.persisted_queries import SHARED, owner_of
from creditgraph.gateway.stages.authorise import Open
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

HUSBAND = PERSONA["husband"].identifier
BANK = Requester("BANK", EASTBRIDGE_BANK.code, "operator-7")
# `Chat.id` is external in A, so fetching `text` from B needs a key only B could give: no plan
NO_PLAN = """
schema @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) { query: Query }
enum join__Graph {
  A @join__graph(name: "a", url: "http://a")
  B @join__graph(name: "b", url: "http://b")
}
type Query @join__type(graph: A) @join__type(graph: B) {
  chat: Chat @join__field(graph: A)
}
type Chat @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID! @join__field(graph: A, external: true) @join__field(graph: B)
  text: String! @join__field(graph: B)
}
"""


class Unreachable:
    """A transport to subgraphs that must not be asked: it keeps what it was asked."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def acting_for(self, requester: Requester | None) -> Unreachable:
        return self

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(document)
        raise ConnectionError(f"{subgraph} must not be asked")

    async def aclose(self) -> None:
        return None


def test_the_open_stage_plans_as_it_prepares_so_no_plan_is_an_early_refusal() -> None:
    transport = Unreachable()
    stage = Open(Gateway(Supergraph(NO_PLAN), transport))
    with pytest.raises(RequestError) as refused:
        stage.prepare("{ chat { text } }", {}, None)
    assert refused.value.code == "QUERY_PLANNING_FAILED"
    assert transport.sent == []


def test_with_no_policy_everyone_shares_one_store_of_persisted_queries() -> None:
    stage = Open(Gateway(Supergraph(NO_PLAN), Unreachable()))
    assert stage.query_owner(None) == SHARED
    assert stage.query_owner(BANK) == SHARED
    assert owner_of(BANK.role, BANK.identifier, BANK.operator) != SHARED


async def test_the_open_stage_answers_anyone_the_operation_as_written(
    seeded_pool: asyncpg.Pool,
) -> None:
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    stage = Open(Gateway(supergraph, InProcessTransport(schemas, seeded_pool)))
    query = (
        "query($id: String!) { subject(identifier: $id, purpose: LOAN_APPROVAL) { identifier } }"
    )
    variables = {"id": HUSBAND}
    prepared = stage.prepare(query, variables, None)
    assert stage.operation(prepared).kind == "query"
    anonymous = await stage.run(prepared, variables, None, "r-1")
    banked = await stage.run(prepared, variables, BANK, "r-2")
    # nothing for a record stage to write: there is no audit log
    assert anonymous.account is banked.account is None
    assert anonymous.answer == banked.answer == {"data": {"subject": {"identifier": HUSBAND}}}
