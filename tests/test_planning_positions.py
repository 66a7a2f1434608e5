"""Where the planner stands in the response (gateway/planning/positions.py).

A position's path is where an entity fetch's answers merge back: the client's
response keys (aliases included), each step read from objects of the types a
type condition selected. What a subgraph resolves at a position includes what
the field leading there `@provides`, so a provided field costs no jump, and a
field the subgraph neither resolves nor is provided needs one.
"""

from __future__ import annotations

from creditgraph.gateway.plan import PathStep
from creditgraph.gateway.planning.fetch_graph import FetchNode
from creditgraph.gateway.planning.positions import (
    Position,
    local_join,
    provided_below,
    provides,
)
from creditgraph.gateway.supergraph import FieldJoin, Supergraph, parse_field_set
from tests.planning_supergraph import SHOP, plan


def _paths(query: str) -> list[tuple[str, tuple[PathStep, ...]]]:
    return [(fetch.graph, fetch.path) for fetch in plan(query).fetches() if fetch.entity]


def test_an_entity_answer_merges_back_under_the_clients_alias() -> None:
    assert _paths("{ items: products { inStock } }") == [("STOCK", (PathStep("items"),))]


def test_under_a_type_condition_the_answer_merges_only_into_objects_of_that_type() -> None:
    assert _paths("{ offers { ... on Bundle { lines: products { inStock } } } }") == [
        ("STOCK", (PathStep("offers"), PathStep("lines", frozenset({"Bundle"})))),
    ]


def test_a_child_path_keeps_the_positions_type_filter() -> None:
    fetch = FetchNode(0, "SHOP", (), "query")
    bundles = Position(
        fetch, fetch.selection, "Bundle", (PathStep("offers"),), only=frozenset({"Bundle"})
    )
    assert bundles.child_path("lines") == (
        PathStep("offers"),
        PathStep("lines", frozenset({"Bundle"})),
    )
    everything = Position(fetch, fetch.selection, "Query", ())
    assert everything.child_path("offers") == (PathStep("offers"),)


def test_a_provided_field_is_answered_in_place_and_another_needs_a_jump() -> None:
    (stock,) = plan("{ featured { name } }").fetches()
    assert stock.graph == "STOCK"
    assert stock.selection_text == "{ featured { name } }"
    assert _paths("{ featured { name weight } }") == [("SHOP", (PathStep("featured"),))]


def test_a_subgraph_resolves_at_a_position_its_own_fields_and_what_is_provided() -> None:
    supergraph = Supergraph(SHOP)
    fetch = FetchNode(0, "STOCK", (), "query")
    plain = Position(fetch, fetch.selection, "Product", ())
    provided = Position(fetch, fetch.selection, "Product", (), provided=parse_field_set("name"))
    assert local_join(supergraph, plain, "inStock") is not None
    assert local_join(supergraph, plain, "name") is None
    assert local_join(supergraph, provided, "name") == FieldJoin(graph="STOCK")
    assert local_join(supergraph, provided, "weight") is None


def test_what_a_provides_selection_covers_per_type_and_below() -> None:
    selection = parse_field_set("name ... on Book { pages } ... { owner { name } }")
    assert provides(selection, "name", "Film")
    assert provides(selection, "pages", "Book")
    assert not provides(selection, "pages", "Film")
    assert provides(selection, "owner", "Film")
    assert not provides(None, "name", "Film")
    below = provided_below(parse_field_set("owner { name } title"), "owner")
    assert provides(below, "name", "Person")
    assert not provides(below, "title", "Person")
    assert provided_below(parse_field_set("title"), "title") is None
    assert provided_below(None, "owner") is None
