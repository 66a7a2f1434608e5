"""How every subgraph builds its schema, so all of them speak the same federation.

The Federation version is the newest one that the composition libraries we
are checked against (The Guild's and Apollo's) and the gateways we are
compared with all accept.

A subgraph hears the same few documents over and over (the gateway's plans),
and parsing and validating one cost as much as executing a report-sized
answer (`bench/subgraph_report.py --profile`), so both are cached; bounded,
because a subgraph served alone also hears whatever else its credential
holders send. Queries are executed a level at a time, each field once for all
the objects of a level (`execution.py`), on one connection per request given back
when it ends (context.py). Text holding a NUL is refused before anything runs
(`arguments.py`), and errors are logged the way `masking.py` says: each
failure once, deliberate errors not at all. The gateway's in-process transport
executes the queries it has prepared without these extensions, doing their work
itself (gateway/transports/in_process.py): one added here must be done there too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Final

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation import ASTValidationRule
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from creditgraph.subgraphs.arguments import RefuseNulInText
from creditgraph.subgraphs.context import GiveBackConnection
from creditgraph.subgraphs.execution import LevelExecution
from creditgraph.subgraphs.masking import MaskInternalErrors, log_failures

FEDERATION_VERSION: Final = "2.9"
_DOCUMENTS_CACHED: Final = 256


class QuietSchema(strawberry.federation.Schema):
    """A federation schema that logs only failures, each once (masking.py), never a request's
    input: strawberry's own logging writes every error, bad input included, with its message."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_failures(errors)


class _Text:
    """A parsed document as a cache key: hashed and compared by its text.

    graphql-core hashes a document by walking every node of it, each time it is asked;
    for a gateway's fetch that walk cost more CPU than validating it. The same text always
    parses to the same document (the parse options are the schema's own), so the text alone
    names the validation's outcome."""

    __slots__ = ("document", "text")

    def __init__(self, text: str, document: DocumentNode) -> None:
        self.text = text
        self.document = document

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Text) and other.text == self.text


@lru_cache(maxsize=_DOCUMENTS_CACHED)
def _validated(
    schema: GraphQLSchema, text: _Text, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, text.document, rules)


class ValidateOnce(SchemaExtension):
    """strawberry's validation, remembered per schema, document text and rules (bounded):
    strawberry's own `ValidationCache` keys it by the parsed document, hashed node by node
    on every request."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.query is not None and document is not None:
            context.pre_execution_errors = _validated(
                context.schema._schema,
                _Text(context.query, document),
                tuple(context.validation_rules),
            )
        yield


def federation_schema(
    *, query: type, types: Sequence[type], mutation: type | None = None
) -> strawberry.federation.Schema:
    return QuietSchema(
        query=query,
        mutation=mutation,
        types=types,
        extensions=[
            GiveBackConnection,
            MaskInternalErrors,
            RefuseNulInText,
            # factories: strawberry keeps the caches themselves per process, keyed by size
            lambda: ParserCache(maxsize=_DOCUMENTS_CACHED),
            ValidateOnce,
        ],
        federation_version=FEDERATION_VERSION,
        execution_context_class=LevelExecution,
    )
