"""`__schema` and `__type`: answered by the gateway from the API schema, not by subgraphs.

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
from dataclasses import replace
from typing import Any

from graphql import DocumentNode, ExecutionResult, FieldNode, GraphQLSchema, execute

from creditgraph.gateway.operation import Operation
from creditgraph.gateway.planner import INTROSPECTION_FIELDS


async def introspect(
    schema: GraphQLSchema, operation: Operation, variables: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The answers to the operation's root `__schema` and `__type` fields, and their errors."""
    definition = operation.definition
    fields = tuple(
        selection
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS
    )
    only = replace(definition, selection_set=replace(definition.selection_set, selections=fields))
    document = DocumentNode(definitions=(only, *operation.fragments.values()))
    result = await asyncio.to_thread(execute, schema, document, variable_values=variables)
    assert isinstance(result, ExecutionResult), "introspection never awaits"
    data = result.data or {}
    errors = [dict(error.formatted) for error in result.errors or ()]
    return data, errors
