"""The document each fetch sends, and the plan frozen around it (gateway/planning/documents.py).

A root fetch sends its fields under the operation's kind; an entity fetch is
always a query of `_entities(representations:)`. Each declares exactly the
client's variables its selection uses, as the client declared them (type and
default), so a subgraph is never sent a variable it does not read. The frozen
fetch also says which of its keys are the client's and which answers come back
under a wire key, and how objects become representations.
"""

from __future__ import annotations

from graphql import parse

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.operation import normalize
from creditgraph.gateway.plan import Fetch, FieldSet, PathStep
from creditgraph.gateway.planning import Planner
from creditgraph.gateway.planning.documents import freeze
from creditgraph.gateway.planning.fetch_graph import FetchGraph, FieldSetBuilder, TargetBuilder
from creditgraph.gateway.supergraph import Supergraph
from tests.planning_supergraph import SHOP
from tests.test_plan import _gateway


def _fetches(query: str) -> tuple[Fetch, ...]:
    planned = Planner(Supergraph(SHOP)).plan(normalize(parse(query), None, {}))
    return planned.fetches()


def test_a_root_fetch_declares_only_the_variables_it_uses_as_the_client_did() -> None:
    shop, stock = _fetches(
        "query($first: Int = 3, $unused: String, $id: ID!) "
        "{ products(first: $first) { name } warehouses }"
    )
    assert shop.document == "query($first: Int = 3) { products(first: $first) { name } }"
    assert shop.variable_names == ("first",)
    assert shop.variable_definitions == ("$first: Int = 3",)
    assert stock.document == "query { warehouses }"
    assert stock.variable_names == ()


def test_an_entity_fetch_asks_entities_by_representations_and_its_own_variables() -> None:
    shop, ship = _fetches(
        "query($fast: Boolean!, $first: Int) "
        "{ products(first: $first) { name carrier(express: $fast) } }"
    )
    assert shop.variable_names == ("first",)
    assert ship.entity
    assert ship.document == (
        "query($representations: [_Any!]!, $fast: Boolean!) "
        "{ _entities(representations: $representations) "
        "{ ... on Product { carrier(express: $fast) } } }"
    )
    assert ship.variable_names == ("fast",)


def test_a_mutations_root_fields_go_as_a_mutation_and_its_entities_as_a_query() -> None:
    reprice, stock = _fetches('mutation { reprice(id: "1") { inStock } }')
    assert reprice.document == 'mutation { reprice(id: "1") { id } }'
    assert reprice.operation_kind == "mutation"
    assert stock.document.startswith("query($representations: [_Any!]!) { _entities(")
    assert stock.operation_kind == "query"


def test_a_fetch_the_client_asked_nothing_of_still_sends_a_selection() -> None:
    graph = FetchGraph("query")
    graph.start_stage()
    root = graph.root("SHOP")
    key = FieldSetBuilder([("id", "id", None)])
    stock = graph.entity("STOCK", (PathStep("products"),), {root}, "Product", None)
    stock.target("Product", TargetBuilder("Product", key))
    (stage,) = freeze(graph.stages, normalize(parse("{ products { id } }"), None, {})).stages
    frozen_root, frozen_stock = stage
    assert frozen_root.document == "query { __typename }"
    assert frozen_stock.depends_on == frozenset({frozen_root.id})
    target = frozen_stock.targets["Product"]
    assert target.key == FieldSet((("id", "id", None),))
    assert target.requires is None


def test_the_clients_keys_and_the_answers_under_a_wire_key_are_frozen_with_the_fetch() -> None:
    shop, stock, stock_root = _fetches("{ products { inStock } stock: warehouses }")
    # where an unavailable subgraph's error goes: the client's keys each fetch answers
    assert shop.visible_keys == ("products",)
    assert stock_root.visible_keys == ("stock",)
    assert stock.visible_keys == ("inStock",)
    assert shop.wire_keys is None
    # studio types `Painting.code` as `String!` and `Sculpture.code` as `String`
    query = "{ exhibits { ... on Painting { code title } ... on Sculpture { code material } } }"
    (studio,) = _gateway().prepare(query, {}, None).plan.fetches()
    assert studio.wire_keys is not None
    wire = alias(PLAN, "code__String_NN")
    answer = {"exhibits": [{"__typename": "Painting", wire: "WL-1"}, {"code": "TH-2"}]}
    studio.wire_keys.restore(answer)
    assert answer == {"exhibits": [{"__typename": "Painting", "code": "WL-1"}, {"code": "TH-2"}]}
