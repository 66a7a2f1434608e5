"""Operation normalisation (gateway/operation.py), without a database or a subgraph.

What planning and shaping read of a client's document: named fragments
inlined once and shared, `@skip`/`@include` decided from the variables,
fields collected per concrete type as the spec's CollectFields says, and the
key under which a plan made for one request serves the next.
"""

from __future__ import annotations

import pytest
from graphql import parse

from creditgraph.gateway.errors import OPERATION_NOT_FOUND, RequestError
from creditgraph.gateway.operation import (
    Field,
    Fragment,
    Selection,
    collect,
    condition_key,
    condition_variables,
    normalize,
    select_operation,
)

POSSIBLE = {"Node": {"Person", "Firm"}, "Person": {"Person"}, "Firm": {"Firm"}}


def possible(type_name: str) -> set[str]:
    return POSSIBLE.get(type_name, {type_name})


def keys(selections: list[Selection], type_name: str = "Query") -> list[str]:
    return [item.response_key for item in collect(selections, type_name, possible)]


def test_fields_keep_their_aliases_arguments_and_order() -> None:
    operation = normalize(parse('{ b: node(id: "1") { id } a: node(id: "2") { id } c }'), None, {})
    first, _second, third = operation.selections
    assert isinstance(first, Field)
    assert isinstance(third, Field)
    assert (first.response_key, first.name) == ("b", "node")
    assert [argument.name.value for argument in first.arguments] == ["id"]
    assert keys(operation.selections) == ["b", "a", "c"]
    assert third.selections is None


def test_a_named_fragment_is_normalised_once_and_shared_by_every_spread() -> None:
    document = parse("{ x { ...F } y { ...F } } fragment F on Person { name }")
    x, y = normalize(document, None, {}).selections
    assert isinstance(x, Field)
    assert isinstance(y, Field)
    assert x.selections is not None
    assert y.selections is not None
    assert x.selections[0] is y.selections[0]
    fragment = x.selections[0]
    assert isinstance(fragment, Fragment)
    assert fragment.type_condition == "Person"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [({"on": True}, ["a", "b"]), ({"on": False}, ["c"]), ({}, ["c"])],
)
def test_skip_and_include_are_decided_from_the_variables(
    variables: dict[str, object], expected: list[str]
) -> None:
    document = parse(
        "query($on: Boolean = false) { a @include(if: $on) b @skip(if: false) @include(if: $on) "
        "c @skip(if: $on) d @include(if: false) }"
    )
    assert keys(normalize(document, None, variables).selections) == expected
    assert condition_variables(document) == ("on",)


def test_collect_merges_a_response_key_and_picks_fragments_by_concrete_type() -> None:
    operation = normalize(
        parse(
            "{ node { id ... on Person { name } ... on Firm { code } ...P } } "
            "fragment P on Node { id owner { a } } "
        ),
        None,
        {},
    )
    (node,) = operation.selections
    assert isinstance(node, Field)
    assert node.selections is not None
    assert keys(node.selections, "Person") == ["id", "name", "owner"]
    assert keys(node.selections, "Firm") == ["id", "code", "owner"]
    merged = {item.response_key: item for item in collect(node.selections, "Person", possible)}
    assert merged["id"].selections is None


def test_collect_merges_the_selections_under_one_response_key() -> None:
    operation = normalize(parse("{ a: me { x } a: me { y } ... { a: me { z } } }"), None, {})
    (found,) = collect(operation.selections, "Query", possible)
    assert keys(found.sub_selections()) == ["x", "y", "z"]


def test_collect_is_memoised_on_the_operation() -> None:
    operation = normalize(parse("{ a b }"), None, {})
    first = operation.collect(operation.selections, "Query", possible)
    assert operation.collect(operation.selections, "Query", possible) is first


def test_the_plan_cache_key_reads_only_the_condition_variables_truth() -> None:
    names = ("on", "off")
    assert condition_key(names, {"on": 1, "off": None, "other": "x"}) == (True, False)
    assert condition_key(names, {"on": "yes"}) == condition_key(names, {"on": True})


def test_the_operation_is_chosen_by_name_or_refused_with_a_code() -> None:
    document = parse("query A { a } query B { b }")
    chosen = select_operation(document, "B")
    assert chosen.name is not None
    assert chosen.name.value == "B"
    for name in (None, "C"):
        with pytest.raises(RequestError) as refused:
            select_operation(document, name)
        assert refused.value.code == OPERATION_NOT_FOUND
    assert normalize(parse("mutation M { m }"), None, {}).kind == "mutation"
