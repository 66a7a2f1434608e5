"""The selection a fetch sends while it is being built (gateway/planning/selection.py).

A `SelectionBuilder` collects one position's fields by response key, asked once
however often the planner adds them, with a branch per type condition; printed,
it is what the subgraph reads (never an empty selection), and it says which of
its keys are the client's, which come back under a wire key, and which of the
client's variables it uses.
"""

from __future__ import annotations

from graphql import ArgumentNode, FieldNode, OperationDefinitionNode, parse

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.planning.selection import SelectionBuilder, print_arguments

CODE = alias(PLAN, "code__String_NN")


def _arguments(field: str) -> tuple[ArgumentNode, ...]:
    """The arguments of the one field of `{ field }`, as the operation has them."""
    operation = parse("{ " + field + " }").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return tuple(node.arguments or ())


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


def test_a_field_added_twice_is_asked_once_and_keeps_what_was_built_below_it() -> None:
    built = SelectionBuilder()
    first = built.field("owner", "owner", (), composite=True)
    assert first.child is not None
    first.child.field("name", "name", (), composite=False)
    again = built.field("owner", "owner", (), composite=True)
    assert again is first
    built.typename()
    built.typename()
    assert built.fragment("Shop") is built.fragment("Shop")
    assert built.print_or_typename() == "{ owner { name } __typename ... on Shop { __typename } }"


def test_the_clients_keys_leave_out_the_planners_own_and_typename() -> None:
    built = SelectionBuilder()
    built.field("name", "name", (), composite=False)
    built.field(alias(PLAN, "id"), "id", (), composite=False)
    built.typename()
    built.fragment("Book").field("title", "title", (), composite=False)
    built.fragment("Film").field("name", "name", (), composite=False)
    assert built.client_keys() == ("name", "title")


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


def test_the_variables_a_selection_uses_are_found_at_any_depth() -> None:
    built = SelectionBuilder()
    built.field("plain", "plain", (), composite=False)
    child = built.field("items", "items", _arguments("items(first: $first)"), composite=True).child
    assert child is not None
    child.field("price", "price", _arguments('price(in: { currency: $cur, at: "now" })'), False)
    child.fragment("Book").field("pages", "pages", _arguments("pages(from: [1, $from])"), False)
    assert built.variables() == {"first", "cur", "from"}
    assert SelectionBuilder().variables() == set()


def test_arguments_print_sorted_to_compare_and_as_written_for_a_document() -> None:
    written = _arguments('price(currency: "USD", at: $when)')
    reordered = _arguments('price(at: $when, currency: "USD")')
    assert print_arguments(written) == print_arguments(reordered)
    assert print_arguments(written) != print_arguments(_arguments('price(currency: "EUR")'))
    assert print_arguments(written, ordered=False) == 'currency: "USD", at: $when'
    built = SelectionBuilder()
    built.field("price", "price", written, composite=False)
    assert built.print_or_typename() == '{ price(currency: "USD", at: $when) }'
