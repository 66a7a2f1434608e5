"""Running a plan (gateway/executor.py) over the federation fixtures' subgraphs, in process.

No database: the fixture subgraphs are real strawberry subgraphs holding their
data in memory. What the executor owes: one `_entities` request per subgraph
per step, each entity sent once however many objects stand for it, the answers
merged back into every one of them, and a subgraph that cannot answer costing
only its own fields.
"""

from __future__ import annotations

import copy
import socket
from typing import Any, cast

import asyncpg
import pytest

from creditgraph.gateway.engine import Gateway
from creditgraph.gateway.plan import WireKeys
from creditgraph.gateway.stages.execute import Executor
from creditgraph.gateway.transports import HTTPTransport, InProcessTransport, Transport
from creditgraph.requester import Requester
from tests import federation_fixtures
from tests.federation_fixtures import SCHEMAS
from tests.test_plan import _gateway

REVIEWS_WITH_AUTHORS = "{ topProducts { name reviews { body author { name unread } } } }"


class Recording:
    """The in-process subgraphs, with each request kept as it was sent, and some subgraphs
    served over HTTP from a port nobody listens on (down)."""

    def __init__(self, down: frozenset[str] = frozenset()) -> None:
        self.inner = InProcessTransport(SCHEMAS, pool=cast(asyncpg.Pool, None))
        self.down = down
        self.dead = HTTPTransport({name: _nobody() for name in down}, secret=None)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> Any:
        self.calls.append((subgraph, document, copy.deepcopy(variables)))
        if subgraph in self.down:
            return await self.dead.send(subgraph, document, variables)
        return await self.inner.send(subgraph, document, variables)

    def acting_for(self, requester: Requester | None) -> Transport:
        return self

    async def aclose(self) -> None:
        await self.dead.aclose()


def _nobody() -> str:
    """A URL on 127.0.0.1 where no one listens: connecting is refused at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    return f"http://127.0.0.1:{port}/graphql"


@pytest.fixture(autouse=True)
def fresh_data() -> None:
    federation_fixtures.reset()


async def run(gateway: Gateway, transport: Recording, query: str) -> dict[str, Any]:
    prepared = gateway.prepare(query, {}, None)
    try:
        return await gateway.run(prepared, {}, transport)
    finally:
        await transport.aclose()


async def test_each_entity_is_sent_once_and_its_answer_reaches_every_object() -> None:
    transport = Recording()
    response = await run(_gateway(), transport, REVIEWS_WITH_AUTHORS)
    assert "errors" not in response
    couch = response["data"]["topProducts"][1]["reviews"]
    table = response["data"]["topProducts"][0]["reviews"]
    assert table[0]["author"] == couch[1]["author"] == {"name": "Ada Lovelace", "unread": 3}
    # one request per subgraph per step, and Ada, the author of two reviews, sent once each
    assert [call[0] for call in transport.calls] == ["products", "reviews", "accounts", "mail"]
    for subgraph, _, variables in transport.calls[2:]:
        representations = variables["representations"]
        assert len(representations) == 2, subgraph
        assert len({repr(sorted(item.items())) for item in representations}) == 2


async def test_a_subgraph_that_is_down_costs_only_its_own_fields() -> None:
    transport = Recording(down=frozenset({"mail"}))
    response = await run(_gateway(), transport, REVIEWS_WITH_AUTHORS)
    first = response["data"]["topProducts"][0]["reviews"][0]
    assert first["author"] == {"name": "Ada Lovelace", "unread": None}
    unavailable = response["errors"]
    assert {item["extensions"]["code"] for item in unavailable} == {"SUBGRAPH_UNAVAILABLE"}
    paths = sorted(tuple(item["path"]) for item in unavailable)
    assert paths[0] == ("topProducts", 0, "reviews", 0, "author", "unread")
    assert all(path[-1] == "unread" for path in paths)


async def test_a_root_fetch_that_fails_nulls_its_fields_with_one_error_each() -> None:
    transport = Recording(down=frozenset({"products"}))
    response = await run(_gateway(), transport, "{ topProducts { name } }")
    # `topProducts` is non-null, so its null takes the whole data with it, explained once
    assert response["data"] is None
    (only,) = response["errors"]
    assert only["path"] == ["topProducts"]
    assert only["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


def test_wire_keys_put_answers_back_under_their_response_keys() -> None:
    inner = WireKeys((("code", "_cg_plan_code__String_NN", None),), ())
    restore = WireKeys((("exhibits", None, inner),), ())
    answer = {"exhibits": [{"_cg_plan_code__String_NN": "P1", "title": "T"}, {"code": None}]}
    restore.restore(answer)
    assert answer == {"exhibits": [{"code": "P1", "title": "T"}, {"code": None}]}


async def test_an_entity_at_several_places_gets_an_answer_of_its_own_at_each() -> None:
    """The merged answer is a tree: the edition policy walks a record's part in place (taking
    out what a view denies), so an object shared by two places would be walked once and
    shown at the other as that walk left it, without the other place's own errors."""
    gateway = _gateway()
    query = "{ topProducts { reviews { product { upc dimensions { size weight } } } } }"
    plan = gateway.prepare(query, {}, None).plan
    execution = await Executor(gateway.supergraph, Recording()).execute(plan, {})
    products = [
        review["product"]
        for product in execution.data["topProducts"]
        for review in product["reviews"]
        if review.get("product")
    ]
    by_upc: dict[str, list[dict[str, Any]]] = {}
    for product in products:
        by_upc.setdefault(product["upc"], []).append(product)
    shared = [places for places in by_upc.values() if len(places) > 1]
    assert shared, "the fixture reviews one product twice"
    for places in shared:
        assert all(place["dimensions"] == places[0]["dimensions"] for place in places)
        assert len({id(place["dimensions"]) for place in places}) == len(places)
