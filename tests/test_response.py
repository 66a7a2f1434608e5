"""Response shaping (gateway/response.py), without a database or a subgraph.

The shaper turns the merged subgraph answers into exactly the response the
client asked for: its keys in its order, `__typename` answered, fragments
picked by each object's concrete type, whatever the gateway fetched for
itself dropped, enum values checked, and the spec's null propagation with one
error per null that nothing else explains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from graphql import (
    ExecutionResult,
    GraphQLEnumType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    execute,
    is_abstract_type,
    is_leaf_type,
    parse,
    print_schema,
)
from graphql.execution.values import get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st

from creditgraph.gateway.operation import normalize, select_operation
from creditgraph.gateway.response import ResponseShaper
from tests.operation_strategies import GeneratedOperation, operations

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
    shaped = shaper.shape(normalize(parse(query), None, {}), data, found)
    # every error the gateway answers carries a code a client can branch on
    assert all(isinstance(item.get("extensions", {}).get("code"), str) for item in found), found
    return shaped, found


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
    reported = [
        {
            "message": "subgraph down",
            "path": ["me", "friend"],
            "extensions": {"code": "SUBGRAPH_UNAVAILABLE"},
        }
    ]
    shaped, errors = shape("{ me { friend { name } } }", {"me": {}}, list(reported))
    assert shaped == {"me": None}
    assert errors == reported


def test_an_unexplained_null_is_the_subgraphs_fault_with_its_code() -> None:
    _, errors = shape("{ me { name friend { name } } }", {"me": {"name": "Ada"}})
    assert errors == [
        {
            "message": "Cannot return null for non-nullable field at me.friend.",
            "path": ["me", "friend"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]


def test_a_field_beside_a_failed_one_gets_no_error_of_its_own() -> None:
    """A mutation whose second field failed: the subgraph stopped there and answered no data,
    so the first is missing too; its sibling's error says why, and no uncoded 'Cannot return
    null' is added for it."""
    reported = [
        {"message": "text is empty", "path": ["b"], "extensions": {"code": "BAD_USER_INPUT"}}
    ]
    shaped, errors = shape("{ a: strict { name } b: strict { name } }", {}, list(reported))
    assert shaped is None
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


# The shaper gives an object or a list that needs no change as it is, and copies only what
# does. Random valid operations (tests/operation_strategies.py) over a schema with every
# kind of position, and for each a merged answer drawn for it: values where the client's
# fields are, in the client's order (what the fast path takes as it is), with nulls in
# non-null positions, enum values the schema lacks, a non-list for a list, objects of no
# known type, and now and then keys out of order, missing or extra (the copying path).
# graphql-core completing the same answer is the oracle: the same data, keys in the same
# order, errors at the same paths, and the answer itself left as it was.
PROPERTY = build_schema(
    """
    type Query { one: Item, many: [Item!], maybe: [Item], strict: Item!, node: Node,
                 nodes: [Node!]!, either: Either, rows: [[Item]!], months: [Month!],
                 pages: [[Month]!] }
    interface Node { id: ID! }
    union Either = Item | Other
    type Item implements Node {
      id: ID!, label: String, count: Int!, tags: [String!], notes: [String], moods: [Mood!],
      mood: Mood!, maybeMood: Mood, grid: [[Int!]!], child: Item, children: [Item!]!,
      months: [Month!]!, other: Other
    }
    type Other implements Node { id: ID!, code: String!, items: [Item] }
    type Month { month: String!, status: String!, due: Int!, paid: Int }
    enum Mood { HAPPY, GRUMPY }
    """
)

RELAXED = build_schema(print_schema(PROPERTY).replace("!", ""))


def _possible_in(schema: GraphQLSchema) -> Callable[[str], set[str]]:
    def possible(name: str) -> set[str]:
        type_ = schema.type_map[name]
        if is_abstract_type(type_):
            assert isinstance(type_, GraphQLInterfaceType | GraphQLUnionType)
            return {t.name for t in schema.get_possible_types(type_)}
        return {name}

    return possible


def _by_response_key(source: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
    """graphql-core reading the merged answer as the shaper does: by response key."""
    return source.get(info.path.key) if isinstance(source, dict) else None


def _typename(value: Any, *_: Any) -> Any:
    return value.get("__typename") if isinstance(value, dict) else None


def _drawn_answer(
    data: st.DataObject,
    schema: GraphQLSchema,
    relaxed: GraphQLSchema,
    operation: GeneratedOperation,
) -> dict[str, Any]:
    """A merged answer for `operation`: graphql-core runs it once with resolvers that draw
    each value (now and then a null, a bad enum, a non-list, an unknown or wrong type name)
    and keep it in the answer under its response key; the `__typename`s asked for are then
    put in their places, and some objects disordered, cut short or given more. It is drawn
    through `relaxed`, the schema with every type nullable, so that a null in a non-null
    position stops nothing: its siblings are drawn too, as a subgraph would answer them."""
    draw = data.draw

    def value(type_: GraphQLOutputType) -> Any:
        if draw(st.integers(0, 7)) == 0:
            return None
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            if draw(st.integers(0, 24)) == 0:
                return 7
            return [value(type_.of_type) for _ in range(draw(st.integers(0, 3)))]
        if isinstance(type_, GraphQLEnumType):
            return draw(st.sampled_from([*type_.values, "SLEEPY"]))
        if type_ is GraphQLInt:
            return draw(st.integers(-3, 3))
        if is_leaf_type(type_):
            return draw(st.sampled_from(["a", "b", ""]))
        if isinstance(type_, GraphQLObjectType):
            if draw(st.integers(0, 5)) == 0:
                return {"__typename": draw(st.sampled_from([type_.name, "Wrong"]))}
            return {}
        assert isinstance(type_, GraphQLInterfaceType | GraphQLUnionType)
        names = sorted(t.name for t in schema.get_possible_types(type_))
        return {"__typename": draw(st.sampled_from([*names, "Robot"]))}

    def resolve(source: dict[str, Any], info: GraphQLResolveInfo[Any], **_: Any) -> Any:
        source[str(info.path.key)] = drawn = value(info.return_type)
        return drawn

    answer: dict[str, Any] = {}
    result = execute(
        relaxed,
        parse(operation.document),
        root_value=answer,
        variable_values=operation.variables,
        operation_name=operation.operation_name,
        field_resolver=resolve,
        type_resolver=_typename,
    )
    assert isinstance(result, ExecutionResult)
    laid: dict[str, Any] = _laid_out(draw, answer, result.data)
    return laid


def _laid_out(draw: Callable[[st.SearchStrategy[Any]], Any], raw: Any, shaped: Any) -> Any:
    """`raw` with the keys `shaped` has and `raw` lacks (the `__typename`s asked for) put
    in `shaped`'s order, the rest after; then now and then disordered, cut short or longer."""
    if isinstance(raw, list):
        items = (
            shaped if isinstance(shaped, list) and len(shaped) == len(raw) else [None] * len(raw)
        )
        return [_laid_out(draw, item, done) for item, done in zip(raw, items, strict=True)]
    if not isinstance(raw, dict):
        return raw
    done = shaped if isinstance(shaped, dict) else {}
    # a key the completed object has and the answer lacks is a `__typename` asked for
    laid = {
        key: _laid_out(draw, raw[key], done[key])
        if key in raw
        else ("Wrong" if draw(st.integers(0, 7)) == 0 else done[key])
        for key in done
    }
    laid.update((key, item) for key, item in raw.items() if key not in laid)
    change = draw(st.integers(0, 19))
    pairs = list(laid.items())
    if change == 0 and len(pairs) > 1:
        pairs = draw(st.permutations(pairs))
    elif change == 1 and pairs:
        del pairs[draw(st.integers(0, len(pairs) - 1))]
    elif change == 2:
        pairs.append(("_extra", "planner's own"))
    return dict(pairs)


@settings(max_examples=300, deadline=None)
@given(
    operation=operations(PROPERTY, max_depth=4, max_fields=5),
    drawn=st.data(),
)
def test_shaping_answers_as_graphql_core_completing_the_same_answer(
    operation: GeneratedOperation, drawn: st.DataObject
) -> None:
    answer = _drawn_answer(drawn, PROPERTY, RELAXED, operation)
    before = orjson.dumps(answer)
    document = parse(operation.document)
    chosen = select_operation(document, operation.operation_name)
    coerced = get_variable_values(PROPERTY, chosen.variable_definitions or (), operation.variables)
    assert not isinstance(coerced, list)
    shaper = ResponseShaper(PROPERTY, _possible_in(PROPERTY))
    normalized = normalize(document, operation.operation_name, coerced.coerced)
    expected = execute(
        PROPERTY,
        document,
        root_value=answer,
        variable_values=operation.variables,
        operation_name=operation.operation_name,
        field_resolver=_by_response_key,
        type_resolver=_typename,
    )
    assert isinstance(expected, ExecutionResult)
    for _ in range(2):  # the second time through the shapes compiled by the first
        errors: list[dict[str, Any]] = []
        shaped = shaper.shape(normalized, answer, errors)
        assert orjson.dumps(shaped) == orjson.dumps(expected.data)
        assert sorted(map(str, (error["path"] for error in errors))) == sorted(
            str(error.path) for error in expected.errors or ()
        )
        assert orjson.dumps(answer) == before
