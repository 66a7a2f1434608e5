"""Keep internals inside the subgraph, and give every error a code.

A `GraphQLError` raised on purpose (BAD_USER_INPUT, a validation error) is
meant for the client. Anything else is a bug or an outage whose message may
hold SQL, table names or data; it is logged here with its traceback and the
client sees a generic message with the code INTERNAL_SERVER_ERROR.

Errors graphql-core makes itself carry no code, and a client branches on
codes only, so they are given one here. The one a client can cause through
the gateway is a variable whose value this subgraph cannot take (a custom
scalar such as DateTime, which the gateway passes on as sent): it becomes
BAD_USER_INPUT naming the argument the variable was given to, at the root
field that argument belongs to, so the client sees where it went wrong.
Others are GRAPHQL_VALIDATION_FAILED (a document refused as a whole) or
INTERNAL_SERVER_ERROR (one of ours, met while executing).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
)
from strawberry.extensions import MaskErrors

from creditgraph.subgraphs.errors import BAD_USER_INPUT

_log = logging.getLogger("creditgraph.subgraph")
MESSAGE = "Internal server error"
_VARIABLE = re.compile(r"Variable '\$([_A-Za-z][_0-9A-Za-z]*)'")


def _is_internal(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    _log.error("resolver failed at %s", error.path, exc_info=original)
    return True


def _given_to(document: DocumentNode | None, variable: str) -> tuple[str, str] | None:
    """(the root field's response key, the argument) a variable is first given to."""
    if document is None:
        return None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for root in definition.selection_set.selections:
            if isinstance(root, FieldNode):
                argument = _argument_with(root, variable)
                if argument is not None:
                    key = root.alias.value if root.alias else root.name.value
                    return key, argument
    return None


def _argument_with(field: FieldNode, variable: str) -> str | None:
    """The argument of `field`, or of a field below it, whose value is `$variable`."""
    for argument in field.arguments or ():
        if _names(argument, variable):
            return argument.name.value
    for child in field.selection_set.selections if field.selection_set else ():
        if isinstance(child, FieldNode):
            found = _argument_with(child, variable)
            if found is not None:
                return found
    return None


def _names(argument: ArgumentNode, variable: str) -> bool:
    return isinstance(argument.value, VariableNode) and argument.value.name.value == variable


class MaskInternalErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_internal, error_message=MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR"},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._coded(error) for error in super()._process_errors(errors)]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        if error.extensions and "code" in error.extensions:
            return error
        extensions: dict[str, Any] = dict(error.extensions or {})
        path = error.path
        if path is not None:
            extensions["code"] = "INTERNAL_SERVER_ERROR"
        elif (variable := _VARIABLE.match(error.message)) is not None:
            extensions["code"] = BAD_USER_INPUT
            found = _given_to(self.execution_context.graphql_document, variable.group(1))
            if found is not None:
                key, extensions["argument"] = found
                path = [key]
        else:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=path,
            extensions=extensions,
        )
