"""The shape stage's seam (gateway/stages/shape.py), without a database or a subgraph.

The stage is gateway/response.py's `ResponseShaper` answering in the GraphQL response
envelope: the client's keys in the client's order, the gateway's own keys dropped, and
a null where the schema forbids one propagated to its nearest nullable parent, the error
saying so listed before the data. (The shaping itself, against graphql-core's own
completion: tests/test_response.py.)
"""

from __future__ import annotations

from graphql import build_schema, parse

from creditgraph.gateway.operation import normalize
from creditgraph.gateway.response import ResponseShaper
from creditgraph.gateway.stages.shape import ShapeStage

SCHEMA = build_schema(
    """
    type Query { me: Person, strict: Person! }
    type Person { id: ID!, name: String }
    """
)


def _stage() -> ShapeStage:
    return ResponseShaper(SCHEMA, lambda name: {name})


def test_the_response_holds_the_clients_keys_in_its_order_and_no_others() -> None:
    operation = normalize(parse("{ me { name who: id } }"), None, {})
    merged = {"me": {"id": "p-1", "__key": "kept by the planner", "name": "Ada", "who": "p-1"}}
    errors: list[dict[str, object]] = []
    answer = _stage().respond(operation, merged, errors)
    assert answer == {"data": {"me": {"name": "Ada", "who": "p-1"}}}
    assert list(answer["data"]["me"]) == ["name", "who"]


def test_a_null_where_none_may_be_nulls_the_data_with_the_error_first() -> None:
    operation = normalize(parse("{ strict { id } }"), None, {})
    errors: list[dict[str, object]] = []
    answer = _stage().respond(operation, {"strict": None}, errors)
    assert list(answer) == ["errors", "data"]
    assert answer["data"] is None
    assert [item["path"] for item in answer["errors"]] == [["strict"]]
    assert errors == answer["errors"]
