"""The execute stage's seam (gateway/stages/execute.py), without a database.

Over the federation fixtures' subgraphs, in process (strawberry subgraphs holding their
data in memory): the stage runs a plan's fetches over the gateway's transport, told on
whose behalf when there is a requester, and leaves the answers merged but unshaped, the
planner's own keys still in them, for the shape stage. (How a plan runs, fetch by fetch:
tests/test_executor.py.)
"""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import pytest

from creditgraph.gateway.stages.execute import ExecuteStage, Executor
from creditgraph.gateway.transports import InProcessTransport, Transport
from creditgraph.requester import Requester
from tests import federation_fixtures
from tests.federation_fixtures import SCHEMAS
from tests.test_plan import _gateway

BANK = Requester("BANK", "91110000MA01EB0013", "loan officer 7")
# the reviews are fetched by each product's key, which the client did not ask for
REVIEWS = "{ topProducts(first: 1) { name reviews { body } } }"


class Acting:
    """The in-process subgraphs, keeping whom each fetch was made for."""

    def __init__(self, requester: Requester | None = None, log: list[str] | None = None) -> None:
        self.inner = InProcessTransport(SCHEMAS, pool=cast(asyncpg.Pool, None))
        self.requester = requester
        self.log: list[str] = [] if log is None else log

    def acting_for(self, requester: Requester | None) -> Transport:
        return Acting(requester, self.log)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> Any:
        self.log.append(f"{subgraph} for {self.requester and self.requester.identifier}")
        return await self.inner.send(subgraph, document, variables)

    async def aclose(self) -> None:
        return None


@pytest.fixture(autouse=True)
def fresh_data() -> None:
    federation_fixtures.reset()


def _stage(transport: Acting) -> ExecuteStage:
    gateway = _gateway()
    return Executor(gateway.supergraph, transport)


async def test_each_fetch_is_made_on_behalf_of_the_requester() -> None:
    gateway, transport = _gateway(), Acting()
    plan = gateway.prepare(REVIEWS, {}, None).plan
    await _stage(transport).execute(plan, {}, BANK)
    assert transport.log == [f"products for {BANK.identifier}", f"reviews for {BANK.identifier}"]


async def test_with_no_requester_the_transport_is_used_as_it_is() -> None:
    gateway, transport = _gateway(), Acting()
    plan = gateway.prepare(REVIEWS, {}, None).plan
    await _stage(transport).execute(plan, {})
    assert transport.log == ["products for None", "reviews for None"]


async def test_the_answers_are_merged_but_left_for_the_shape_stage() -> None:
    gateway = _gateway()
    prepared = gateway.prepare(REVIEWS, {}, None)
    execution = await _stage(Acting()).execute(prepared.plan, {})
    assert execution.errors == []
    (product,) = execution.data["topProducts"]
    # the key the reviews were fetched by is still there; only shaping drops it
    assert set(product) > {"name", "reviews"}
    shaped = gateway.shaper.respond(prepared.operation, execution.data, execution.errors)
    assert set(shaped["data"]["topProducts"][0]) == {"name", "reviews"}
    assert shaped["data"]["topProducts"][0]["reviews"] == product["reviews"]
