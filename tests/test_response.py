"""Response shaping (gateway/response.py), without a database or a subgraph.

The shaper turns the merged subgraph answers into exactly the response the
client asked for: its keys in its order, `__typename` answered, fragments
picked by each object's concrete type, whatever the gateway fetched for
itself dropped, enum values checked, and the spec's null propagation with one
error per null that nothing else explains.
"""

from __future__ import annotations

from typing import Any

from graphql import build_schema, parse

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
