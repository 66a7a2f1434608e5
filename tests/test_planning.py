"""The planner's parts (gateway/planning/), without a database or a subgraph.

The selection builder prints what a fetch sends and says what comes back
renamed; field sets say where keys and `@requires` land and when two cannot
share one representation; the planner puts a field no subgraph resolves down
as a planning error, asks for a key the client aliased under the planner's own
name, and makes one entity fetch per subgraph and path.
"""

from __future__ import annotations

import pytest
from graphql import parse

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.operation import normalize
from creditgraph.gateway.planning import Planner, PlanningError
from creditgraph.gateway.planning.fetch_graph import FieldSetBuilder
from creditgraph.gateway.planning.selection import SelectionBuilder
from tests.test_plan import _gateway

CODE = alias(PLAN, "code__String_NN")


def test_a_selection_prints_as_a_subgraph_reads_it_and_is_never_empty() -> None:
    selection = SelectionBuilder()
    assert selection.print_or_typename() == "{ __typename }"
    built = SelectionBuilder()
    child = built.field("items", "items", (), composite=True).child
    assert child is not None
    child.fragment("Painting").field("code", "code", (), composite=False, wire_key=CODE)
    built.field("total", "count", (), composite=False)
    assert built.print_or_typename() == (
        f"{{ items {{ ... on Painting {{ {CODE}: code }} }} total: count }}"
    )
    assert built.client_keys() == ("items", "total")


def test_only_what_comes_back_renamed_is_restored() -> None:
    plain = SelectionBuilder()
    plain.field("a", "a", (), composite=True)
    assert plain.wire_keys() is None
    renamed = SelectionBuilder()
    child = renamed.field("items", "items", (), composite=True).child
    assert child is not None
    child.fragment("Painting").field("code", "code", (), composite=False, wire_key=CODE)
    wire_keys = renamed.wire_keys()
    assert wire_keys is not None
    answer = {"items": [{CODE: "P1"}, {"code": "S1"}]}
    wire_keys.restore(answer)
    assert answer == {"items": [{"code": "P1"}, {"code": "S1"}]}


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


def test_a_field_no_subgraph_resolves_is_a_planning_error() -> None:
    planner = Planner(_gateway().supergraph)
    with pytest.raises(PlanningError, match=r"no subgraph resolves Query\.nothing"):
        planner.plan(normalize(parse("{ nothing }"), None, {}))


def test_a_key_the_client_aliased_is_asked_under_the_planners_own_name() -> None:
    gateway = _gateway()
    plan = gateway.prepare('{ review(id: "r1") { author { id: name unread } } }', {}, None).plan
    root, *_ = plan.fetches()
    assert alias(PLAN, "id") in root.selection_text
    assert alias(PLAN, "id") not in root.visible_keys


def test_one_entity_fetch_per_subgraph_and_path() -> None:
    gateway = _gateway()
    query = "{ topProducts { reviews { author { name email } } } }"
    plan = gateway.prepare(query, {}, None).plan
    at = [
        (fetch.graph, ".".join(step.key for step in fetch.path))
        for fetch in plan.fetches()
        if fetch.entity
    ]
    assert len(at) == len(set(at))
    (accounts,) = [fetch for fetch in plan.fetches() if fetch.graph == "ACCOUNTS"]
    assert "name" in accounts.selection_text
    assert "email" in accounts.selection_text
