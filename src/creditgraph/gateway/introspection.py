"""`__schema` and `__type`: answered by the gateway from the API schema, not by subgraphs.

Only the root introspection fields are executed here (by graphql-core, which
implements the spec's introspection); the rest of the operation is planned
as usual, and both answers are merged before shaping.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import DocumentNode, ExecutionResult, FieldNode, GraphQLSchema, execute

from creditgraph.gateway.operation import Operation
from creditgraph.gateway.planner import INTROSPECTION_FIELDS


def introspect(
    schema: GraphQLSchema, operation: Operation, variables: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    definition = operation.definition
    fields = tuple(
        selection
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS
    )
    only = replace(definition, selection_set=replace(definition.selection_set, selections=fields))
    document = DocumentNode(definitions=(only, *operation.fragments.values()))
    result = execute(schema, document, variable_values=variables)
    assert isinstance(result, ExecutionResult), "introspection never awaits"
    data = result.data or {}
    errors = [dict(error.formatted) for error in result.errors or ()]
    return data, errors
