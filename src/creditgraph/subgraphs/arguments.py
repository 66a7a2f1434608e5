"""Text PostgreSQL cannot store, refused once for every argument of every subgraph.

PostgreSQL's text types cannot hold the NUL character (U+0000): a statement
carrying one fails inside the database, which a client would see as an
internal error, after part of a request may already have run. So before
anything executes, every argument of the operation — literal or from a
variable, however deep in a list or an input object — is looked at, and one
holding a NUL anywhere refuses the whole operation as `BAD_USER_INPUT` naming
the argument. It is one extension on every subgraph's schema (schema.py), not
a check in each resolver, so no argument added later can miss it. The gateway
passes every argument a client sends on to a subgraph, so this covers the
gateway's own mutations (the consent subgraph) too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    Visitor,
    value_from_ast_untyped,
    visit,
)
from graphql.language.visitor import BREAK
from strawberry.extensions import SchemaExtension

from creditgraph.subgraphs.errors import BadUserInput

NUL = "\x00"


def holds_nul(value: Any) -> bool:
    """Whether a text anywhere in `value` (a JSON-like value) holds a NUL."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


class _FirstNul(Visitor):
    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.variables = dict(variables)
        self.found: str | None = None

    def enter_argument(self, node: ArgumentNode, *_: Any) -> object:
        if holds_nul(value_from_ast_untyped(node.value, self.variables)):
            self.found = node.name.value
            return BREAK
        return None


def nul_argument(document: DocumentNode, variables: Mapping[str, Any]) -> str | None:
    """The name of the first argument whose value holds a NUL, or None."""
    finder = _FirstNul(variables)
    visit(document, finder)
    return finder.found


class RefuseNulInText(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        variables = context.variables or {}
        # a NUL reaches a document only as a \u escape (the lexer refuses a raw one)
        may_hold = context.query is None or "\\u" in context.query or holds_nul(variables)
        if document is not None and may_hold:
            found = nul_argument(document, variables)
            if found is not None:
                refusal = BadUserInput(
                    f"{found} may not contain the NUL character (U+0000)", argument=found
                )
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield
