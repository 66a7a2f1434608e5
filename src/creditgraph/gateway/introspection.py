"""`__schema` and `__type`: answered by the gateway from the API schema, not by subgraphs.

This module is the one place that knows which root fields are introspection
and answers them; the planner, the policy layer and the response shaper ask
it. The fields are found as the rest of the operation is, by collecting the
root type's fields (named fragments and inline fragments included, `@skip`
and `@include` decided), so `{ ...F } fragment F on Query { __schema { … } }`
is answered exactly like `{ __schema { … } }`.

Only the root introspection fields are executed here (by graphql-core, which
implements the spec's introspection); the rest of the operation is planned
as usual, and both answers are merged before shaping.

Executing GraphiQL's introspection query over the API schema takes graphql-core
50–100 ms of pure Python with nothing to await: on the event loop, every other
request would wait that long. So it runs in a worker thread, where the
interpreter hands the loop its turn every few milliseconds.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    experimental_execute_incrementally,
)

from creditgraph.gateway.operation import Field, Operation, PossibleTypes, Selection

INTROSPECTION_FIELDS: Final = frozenset({"__schema", "__type"})
TYPENAME: Final = "__typename"


def is_introspection(name: str) -> bool:
    """Whether a root field is answered from the API schema rather than by a subgraph."""
    return name in INTROSPECTION_FIELDS


def needs_no_subgraph(name: str) -> bool:
    """Whether a root field is answered by the gateway alone (`__typename` or introspection)."""
    return name == TYPENAME or name in INTROSPECTION_FIELDS


async def introspect(
    schema: GraphQLSchema,
    operation: Operation,
    possible: PossibleTypes,
    variables: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The answers to the operation's root introspection fields, under their response
    keys, and their errors; nothing when it asks none.

    The operation's own variable definitions go along, so that graphql-core coerces the
    variables an introspection argument reads (`__type(name: $name)`) as declared.
    """
    if operation.kind != "query" or schema.query_type is None:
        return {}, []
    done: dict[int, SelectionSetNode] = {}
    fields = tuple(
        _field_node(item.response_key, item.name, item.arguments, item.selections, done)
        for item in operation.collect(operation.selections, schema.query_type.name, possible)
        if item.name in INTROSPECTION_FIELDS
    )
    if not fields:
        return {}, []
    only = OperationDefinitionNode(
        operation=OperationType.QUERY,
        variable_definitions=operation.definition.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=fields),
    )
    document = DocumentNode(definitions=(only,))
    # graphql-core refuses a schema declaring @defer to its plain `execute`; this document
    # defers nothing, so the incremental executor answers it in one result
    result = await asyncio.to_thread(
        experimental_execute_incrementally, schema, document, variable_values=variables
    )
    assert isinstance(result, ExecutionResult), "introspection never awaits"
    data = result.data or {}
    errors = [dict(error.formatted) for error in result.errors or ()]
    return data, errors


def _field_node(
    response_key: str,
    name: str,
    arguments: tuple[ArgumentNode, ...],
    selections: list[Selection] | None,
    done: dict[int, SelectionSetNode],
) -> FieldNode:
    return FieldNode(
        alias=None if response_key == name else NameNode(value=response_key),
        name=NameNode(value=name),
        arguments=arguments,
        directives=(),
        selection_set=None if selections is None else _selection_set(selections, done),
    )


def _selection_set(
    selections: list[Selection], done: dict[int, SelectionSetNode]
) -> SelectionSetNode:
    """A normalised selection back as syntax; a named fragment's `Fragment` is shared by
    every spread of it, and so is the node made from it (the limits bounded the rest)."""
    found = done.get(id(selections))
    if found is not None:
        return found
    nodes: list[SelectionNode] = []
    for item in selections:
        if isinstance(item, Field):
            nodes.append(
                _field_node(item.response_key, item.name, item.arguments, item.selections, done)
            )
        else:
            nodes.append(
                InlineFragmentNode(
                    type_condition=(
                        None
                        if item.type_condition is None
                        else NamedTypeNode(name=NameNode(value=item.type_condition))
                    ),
                    directives=(),
                    selection_set=_selection_set(item.selections, done),
                )
            )
    found = done[id(selections)] = SelectionSetNode(selections=tuple(nodes))
    return found
