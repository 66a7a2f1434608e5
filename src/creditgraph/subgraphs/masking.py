"""Keep internals inside the subgraph, and log each failure once, with no data in the line.

A `GraphQLError` raised on purpose (BAD_USER_INPUT, a refusal, a validation
error) is meant for the client and is not the server's failure: it keeps its
message and is not logged. Anything else is an outage or a bug whose message
may hold SQL, table names or data: the client sees a generic message, with
the code SUBGRAPH_UNAVAILABLE when the database cannot answer now (down,
frozen, locked: retry later; db/faults.py) and INTERNAL_SERVER_ERROR
otherwise.

strawberry logs every error of a result, deliberate ones included, at error
level with the query's message; `QuietSchema` (schema.py) replaces that with
`log_failures`: an outage is one warning in words, a bug one line with its
stack (observability/logs.py keeps exception messages out), each failure once
however many fields it failed, and never a path, whose keys the client chose.

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
from collections.abc import Iterable
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

from creditgraph.db.faults import database_fault
from creditgraph.subgraphs.errors import BAD_USER_INPUT

_log = logging.getLogger("creditgraph.subgraph")
MESSAGE = "Internal server error"
UNAVAILABLE = "this subgraph's database is unavailable; try again shortly"
_VARIABLE = re.compile(r"Variable '\$([_A-Za-z][_0-9A-Za-z]*)'")


def _failure(error: GraphQLError) -> BaseException | None:
    """The exception behind an error that nobody raised on purpose, else None."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return None
    return original


def log_failures(errors: Iterable[GraphQLError]) -> None:
    """Each failure behind `errors` once; deliberate errors are the client's, not logged."""
    seen: set[int] = set()
    for error in errors:
        failure = _failure(error)
        if failure is None or id(failure) in seen:
            continue
        seen.add(id(failure))
        fault = database_fault(failure)
        if fault is not None:
            _log.warning("database unavailable: %s", fault)
        else:
            _log.error("resolver failed", exc_info=failure)


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


def client_errors(errors: list[GraphQLError], document: DocumentNode | None) -> list[GraphQLError]:
    """`errors` as the client may see them: failures masked, every error with a code.

    `document` is the operation the errors are of (where a variable was given, for a
    BAD_USER_INPUT). The one home of what `MaskInternalErrors` does to a result's errors,
    for whoever executes a subgraph's query without strawberry's extensions (the in-process
    transport's prepared queries)."""
    return [_coded(_masked(error), document) for error in errors]


def _masked(error: GraphQLError) -> GraphQLError:
    failure = _failure(error)
    if failure is None:
        return error
    unavailable = database_fault(failure) is not None
    return GraphQLError(
        message=UNAVAILABLE if unavailable else MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "SUBGRAPH_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR"},
    )


def _coded(error: GraphQLError, document: DocumentNode | None) -> GraphQLError:
    if error.extensions and "code" in error.extensions:
        return error
    extensions: dict[str, Any] = dict(error.extensions or {})
    path = error.path
    if path is not None:
        extensions["code"] = "INTERNAL_SERVER_ERROR"
    elif (variable := _VARIABLE.match(error.message)) is not None:
        extensions["code"] = BAD_USER_INPUT
        found = _given_to(document, variable.group(1))
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


class MaskInternalErrors(MaskErrors):
    """Every subgraph schema's: a result's errors leave as `client_errors` makes them."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return client_errors(errors, self.execution_context.graphql_document)
