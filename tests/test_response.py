"""Response shaping (gateway/response.py), without a database or a subgraph.

The shaper turns the merged subgraph answers into exactly the response the
client asked for: its keys in its order, `__typename` answered, fragments
picked by each object's concrete type, whatever the gateway fetched for
itself dropped, enum values checked, and the spec's null propagation with one
error per null that nothing else explains.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import ExecutionResult, build_schema, execute, parse

from creditgraph.gateway.operation import normalize
from creditgraph.gateway.response import ResponseShaper

SCHEMA = build_schema(
    """
    type Query { me: Person, people: [Person!], node: Node, strict: Person! }
    interface Node { id: ID! }
    type Person implements Node { id: ID!, name: String, mood: Mood, friend: Person! }
    type Firm implements Node { id: ID!, code: String! }
    enum Mood { HAPPY, GRUMPY }
    """
)
POSSIBLE = {"Node": {"Person", "Firm"}}


def shape(
    query: str, data: dict[str, Any], errors: list[dict[str, Any]] | None = None
) -> tuple[Any, list[dict[str, Any]]]:
    found = errors if errors is not None else []
    shaper = ResponseShaper(SCHEMA, lambda name: POSSIBLE.get(name, {name}))
    return shaper.shape(normalize(parse(query), None, {}), data, found), found


def test_the_clients_keys_in_the_clients_order_and_nothing_else() -> None:
    data = {"me": {"name": "Ada", "_cg_plan_id": "1", "id": "1"}, "extra": 1}
    shaped, errors = shape("{ me { n: name id __typename } }", data)
    assert list(shaped["me"].items()) == [("n", None), ("id", "1"), ("__typename", "Person")]
    shaped, errors = shape("{ me { name id } }", data)
    assert shaped == {"me": {"name": "Ada", "id": "1"}}
    assert errors == []


def test_fragments_are_picked_by_the_objects_concrete_type() -> None:
    query = "{ node { id ... on Person { name } ... on Firm { code } } }"
    person, _ = shape(query, {"node": {"__typename": "Person", "id": "p", "name": "Ada"}})
    firm, _ = shape(query, {"node": {"__typename": "Firm", "id": "f", "code": "C"}})
    assert person == {"node": {"id": "p", "name": "Ada"}}
    assert firm == {"node": {"id": "f", "code": "C"}}


def test_an_object_of_no_known_type_is_null_with_an_error() -> None:
    shaped, errors = shape("{ node { id } }", {"node": {"__typename": "Robot", "id": "r"}})
    assert shaped == {"node": None}
    assert errors[0]["path"] == ["node"]


def test_a_null_in_a_non_null_position_nulls_the_nearest_nullable_parent() -> None:
    shaped, errors = shape("{ me { name friend { name } } }", {"me": {"name": "Ada"}})
    assert shaped == {"me": None}
    assert [error["path"] for error in errors] == [["me", "friend"]]


def test_a_null_already_explained_gets_no_second_error() -> None:
    reported = [{"message": "subgraph down", "path": ["me", "friend"]}]
    shaped, errors = shape("{ me { friend { name } } }", {"me": {}}, list(reported))
    assert shaped == {"me": None}
    assert errors == reported


def test_a_null_at_a_non_null_root_nulls_the_whole_data() -> None:
    shaped, errors = shape("{ strict { name } }", {})
    assert shaped is None
    assert errors[0]["path"] == ["strict"]


def test_list_items_null_propagate_to_the_list() -> None:
    data = {"people": [{"friend": {"name": "B"}}, {"friend": None}]}
    shaped, errors = shape("{ people { friend { name } } }", data)
    assert shaped == {"people": None}
    assert [error["path"] for error in errors] == [["people", 1, "friend"]]


def test_an_enum_value_the_schema_lacks_is_null_with_an_error() -> None:
    shaped, errors = shape("{ me { mood } }", {"me": {"mood": "SLEEPY"}})
    assert shaped == {"me": {"mood": None}}
    assert errors[0]["path"] == ["me", "mood"]
    shaped, errors = shape("{ me { mood } }", {"me": {"mood": "HAPPY"}})
    assert shaped == {"me": {"mood": "HAPPY"}}
    assert errors == []


def test_a_non_list_for_a_list_field_is_null_with_an_error() -> None:
    shaped, errors = shape("{ people { name } }", {"people": {"name": "A"}})
    assert shaped == {"people": None}
    assert errors[0]["path"] == ["people"]


# The shaper compiles each operation once (what each object type under each selection
# needs) and copies plain scalars wholesale; graphql-core completing the same answer
# with its default resolvers is the reference for what comes out, nulls and errors
# included. Each case is a document and a merged answer that reach one branch of it.
WIDE = build_schema(
    """
    type Query { one: Item, many: [Item!], maybe: [Item], strict: Item!, node: Node,
                 nodes: [Node!]! }
    interface Node { id: ID! }
    type Item implements Node {
      id: ID!, label: String, count: Int!, tags: [String!], notes: [String],
      moods: [Mood!], mood: Mood!, grid: [[Int!]!], child: Item, children: [Item!]!
    }
    type Other implements Node { id: ID!, code: String! }
    enum Mood { HAPPY, GRUMPY }
    """
)
WIDE_POSSIBLE = {"Node": {"Item", "Other"}}
ITEM = {
    "__typename": "Item",
    "id": "i",
    "label": "L",
    "count": 1,
    "tags": ["a", "b"],
    "notes": ["x", None],
    "moods": ["HAPPY"],
    "mood": "GRUMPY",
    "grid": [[1, 2], [3]],
    "child": None,
    "children": [],
}
ALL = "id label count tags notes moods mood grid __typename"
CASES = [
    ("{ one { " + ALL + " } }", {"one": ITEM}),
    ("{ one { label id } many { count id } }", {"one": ITEM, "many": [ITEM, ITEM]}),
    ("{ one { count label } }", {"one": {**ITEM, "count": None}}),
    ("{ strict { count } }", {"strict": {**ITEM, "count": None}}),
    ("{ one { tags } }", {"one": {**ITEM, "tags": ["a", None, "c"]}}),
    ("{ one { notes } }", {"one": {**ITEM, "notes": [None, None]}}),
    ("{ one { moods label } }", {"one": {**ITEM, "moods": ["HAPPY", "SLEEPY"]}}),
    ("{ one { mood label } }", {"one": {**ITEM, "mood": "SLEEPY"}}),
    ("{ one { grid } }", {"one": {**ITEM, "grid": [[1], [2, None], [3]]}}),
    ("{ one { grid } }", {"one": {**ITEM, "grid": [[1], None]}}),
    ("{ many { id count } }", {"many": [ITEM, {**ITEM, "count": None}, ITEM]}),
    ("{ maybe { id count } }", {"maybe": [ITEM, {**ITEM, "count": None}, None]}),
    ("{ many { id } }", {"many": [ITEM, None]}),
    ("{ one { children { count } } }", {"one": {**ITEM, "children": [{**ITEM, "count": None}]}}),
    ("{ one { child { child { mood } } } }", {"one": {**ITEM, "child": {**ITEM, "child": ITEM}}}),
    ("{ one { label child { count } } }", {"one": {**ITEM, "child": {"count": None}}}),
    ("{ node { id ... on Item { count tags } ... on Other { code } } }", {"node": ITEM}),
    (
        "{ nodes { __typename ... on Other { code } ... on Item { mood } } }",
        {"nodes": [ITEM, {"__typename": "Other", "id": "o", "code": "C"}]},
    ),
    (
        "{ nodes { ... on Other { code } } }",
        {"nodes": [{"__typename": "Other", "id": "o", "code": None}]},
    ),
    ("{ one { tags } }", {"one": {**ITEM, "tags": "a"}}),
]


@pytest.mark.parametrize(("query", "data"), CASES)
def test_the_shaper_completes_as_graphql_core_does(query: str, data: dict[str, Any]) -> None:
    document = parse(query)
    shaper = ResponseShaper(WIDE, lambda name: WIDE_POSSIBLE.get(name, {name}))
    operation = normalize(document, None, {})
    for _ in range(2):  # the second time through the shapes compiled by the first
        errors: list[dict[str, Any]] = []
        shaped = shaper.shape(operation, data, errors)
        expected = execute(WIDE, document, root_value=data)
        assert isinstance(expected, ExecutionResult)
        assert shaped == expected.data
        assert sorted(map(str, (error["path"] for error in errors))) == sorted(
            str(error.path) for error in expected.errors or ()
        )
