"""The fetch dependency graph as the planner grows it (gateway/planning/fetch_graph.py).

Root fields of one subgraph share one fetch per stage; a mutation starts a new
stage whenever it moves to another subgraph, so its fields run in order. Entity
fetches are shared per (subgraph, path) and depend on every fetch that supplies
their representations, unless sharing would make a cycle or one representation
would need one `@requires` field with two sets of arguments. Field sets say
where keys and `@requires` land, and when two of them conflict.
"""

from __future__ import annotations

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.plan import PathStep
from creditgraph.gateway.planning.fetch_graph import FetchGraph, FieldSetBuilder, TargetBuilder
from tests.planning_supergraph import plan
from tests.test_plan import _gateway

AT = (PathStep("products"),)


def _at(fetches: object) -> list[tuple[str, str, list[int]]]:
    """(subgraph, path, fetches it waits for) of each fetch of a plan's stage."""
    assert isinstance(fetches, tuple)
    return [
        (
            fetch.graph,
            ".".join(step.key for step in fetch.path) or "root",
            sorted(fetch.depends_on),
        )
        for fetch in fetches
    ]


def test_root_fields_of_one_subgraph_share_a_fetch_and_other_subgraphs_run_beside_it() -> None:
    (stage,) = plan('{ product(id: "1") { name } warehouses products { name } }').stages
    assert _at(stage) == [("SHOP", "root", []), ("STOCK", "root", [])]
    shop, _ = stage
    assert shop.selection_text == '{ product(id: "1") { name } products { name } }'


def test_a_mutation_runs_its_fields_in_order_a_stage_per_run_of_one_subgraph() -> None:
    planned = plan(
        'mutation { rename(id: "1", name: "a") { name } reprice(id: "1") { name } '
        'restock(id: "1") reprice2: reprice(id: "2") { inStock } }'
    )
    assert [_at(stage) for stage in planned.stages] == [
        [("SHOP", "root", [])],
        [("STOCK", "root", [])],
        [("SHOP", "root", []), ("STOCK", "reprice2", [2])],
    ]
    assert planned.stages[0][0].selection_text == (
        '{ rename(id: "1", name: "a") { name } reprice(id: "1") { name } }'
    )


def test_entity_fetches_wait_for_the_fetch_that_supplies_their_keys() -> None:
    (stage,) = plan('{ product(id: "1") { name inStock carrier } }').stages
    assert _at(stage) == [
        ("SHOP", "root", []),
        ("STOCK", "product", [0]),
        ("SHIP", "product", [0]),
    ]


def test_jumps_to_one_subgraph_at_one_path_share_one_entity_fetch() -> None:
    (stage,) = plan("{ products { inStock shipping insuranceUsd } }").stages
    assert _at(stage) == [("SHOP", "root", []), ("STOCK", "products", [0])]
    assert stage[1].selection_text == "{ ... on Product { inStock shipping insuranceUsd } }"


def test_one_entity_fetch_per_subgraph_and_path_across_several_hops() -> None:
    gateway = _gateway()
    query = "{ topProducts { reviews { author { name email } } } }"
    fetches = gateway.prepare(query, {}, None).plan.fetches()
    at = [(fetch.graph, fetch.path) for fetch in fetches if fetch.entity]
    assert len(at) == len(set(at))
    (accounts,) = [fetch for fetch in fetches if fetch.graph == "ACCOUNTS"]
    assert "name" in accounts.selection_text
    assert "email" in accounts.selection_text


def test_one_required_field_with_two_sets_of_arguments_takes_two_fetches() -> None:
    (stage,) = plan("{ products { insuranceUsd insuranceEur } }").stages
    assert _at(stage) == [
        ("SHOP", "root", []),
        ("STOCK", "products", [0]),
        ("STOCK", "products", [0]),
    ]


def test_joining_an_entity_fetch_that_would_wait_for_itself_makes_a_new_one() -> None:
    graph = FetchGraph("query")
    graph.start_stage()
    root = graph.root("SHOP")
    assert graph.root("SHOP") is root
    stock = graph.entity("STOCK", AT, {root}, "Product", None)
    assert graph.entity("STOCK", AT, {root}, "Product", None) is stock
    ship = graph.entity("SHIP", AT, {stock}, "Product", None)
    # STOCK again, now needing what SHIP supplies: joining `stock` would make a cycle
    later = graph.entity("STOCK", AT, {ship}, "Product", None)
    assert later is not stock
    assert later.ancestors() == {ship, stock, root}
    assert stock.ancestors() == {root}
    assert graph.graphs_at(AT) == {"STOCK", "SHIP"}
    assert graph.graphs_at(()) == set()
    assert graph.stages == [[root, stock, ship, later]]


def test_a_second_requires_for_one_type_joins_the_first() -> None:
    graph = FetchGraph("query")
    graph.start_stage()
    stock = graph.entity("STOCK", AT, {graph.root("SHOP")}, "Product", None)
    key = FieldSetBuilder([("id", "id", None)])
    stock.target("Product", TargetBuilder("Product", key))
    stock.target(
        "Product", TargetBuilder("Product", key, FieldSetBuilder([("weight", "weight", None)]))
    )
    stock.target(
        "Product", TargetBuilder("Product", key, FieldSetBuilder([("price", "price", None)]))
    )
    requires = stock.targets["Product"].requires
    assert requires is not None
    assert requires.frozen().fields == (("weight", "weight", None), ("price", "price", None))


def test_two_requires_of_one_field_with_different_arguments_conflict() -> None:
    usd = FieldSetBuilder([("price", alias(PLAN, "price_usd"), None)])
    eur = FieldSetBuilder([("price", alias(PLAN, "price_eur"), None)])
    same = FieldSetBuilder([("price", alias(PLAN, "price_usd"), None), ("weight", "weight", None)])
    assert usd.conflicts(eur)
    assert not usd.conflicts(same)
    usd.merge(same)
    assert [name for name, _, _ in usd.fields] == ["price", "weight"]
    assert usd.frozen().fields == (
        ("price", alias(PLAN, "price_usd"), None),
        ("weight", "weight", None),
    )


def test_field_sets_conflict_below_the_top_and_per_type() -> None:
    def nested(key: str) -> FieldSetBuilder:
        return FieldSetBuilder([("size", "size", FieldSetBuilder([("unit", key, None)]))])

    assert nested("unit").conflicts(nested(alias(PLAN, "unit")))
    assert not nested("unit").conflicts(nested("unit"))
    book = FieldSetBuilder(by_type={"Book": nested("unit")})
    assert book.conflicts(FieldSetBuilder(by_type={"Book": nested(alias(PLAN, "unit"))}))
    assert not book.conflicts(FieldSetBuilder(by_type={"Film": nested(alias(PLAN, "unit"))}))
