"""The planner's walk of an operation (gateway/planning/traversal.py), without a database.

Which subgraph answers each position: a field the answering subgraph resolves stays in its
fetch, any other is a jump to an entity fetch at the same path after the fetch that supplies
its key; abstract types are walked per possible type; a field a subgraph `@provides` needs no
jump. Plans are compared as `Plan.describe()` gives them, over the small shop supergraph
(tests/planning_supergraph.py).
"""

from __future__ import annotations

from creditgraph.gateway.planning import Planner
from creditgraph.gateway.supergraph import Supergraph
from tests.planning_supergraph import SHOP, plan


def test_a_field_the_answering_subgraph_cannot_resolve_is_a_jump_after_its_key() -> None:
    assert plan("{ products { name inStock } }").describe() == "\n".join(
        [
            "stage 0",
            "  #0 SHOP query at root: { products { name id } }",
            "  #1 STOCK entities at products after 0: { ... on Product { inStock } }",
        ]
    )


def test_a_field_the_subgraph_provides_needs_no_jump() -> None:
    # stock's `featured` provides shop's `name`: one fetch, where without it there were two
    assert plan("{ featured { name inStock } }").describe() == "\n".join(
        ["stage 0", "  #0 STOCK query at root: { featured { name inStock } }"]
    )


def test_an_abstract_type_is_walked_per_possible_type() -> None:
    described = plan(
        "{ offers { ... on Product { name rating } ... on Bundle { title products { inStock } } } }"
    ).describe()
    assert described == "\n".join(
        [
            "stage 0",
            "  #0 SHOP query at root: { offers { __typename ... on Bundle { title products { id } }"
            " ... on Product { name id } } }",
            "  #1 STOCK entities at offers.products after 0: { ... on Product { inStock } }",
            "  #2 STOCK entities at offers after 0: { ... on Product { rating } }",
        ]
    )
    assert Planner(Supergraph(SHOP)).possible("Offer") == {"Product", "Bundle"}


def test_jumps_to_two_subgraphs_from_one_position_each_get_their_key_and_requires() -> None:
    # ship knows a product by its upc, stock by its id and needs its weight for shipping
    assert plan('{ product(id: "1") { carrier shipping } }').describe() == "\n".join(
        [
            "stage 0",
            '  #0 SHOP query at root: { product(id: "1") { upc id weight } }',
            "  #1 SHIP entities at product after 0: { ... on Product { carrier } }",
            "  #2 STOCK entities at product after 0: { ... on Product { shipping } }",
        ]
    )
