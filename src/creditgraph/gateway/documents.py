"""Parsing and validating client documents, once per distinct document.

Parse and validation cost milliseconds for a report-sized document, far more
than planning or shaping its answer, and clients send the same few documents
over and over; so both are done once and the result (or the refusal) cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.errors import (
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    RequestError,
)
from creditgraph.gateway.operation import condition_variables

# a document past this many tokens is refused before parsing completes
MAX_TOKENS = 20_000


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    document: DocumentNode
    conditions: tuple[str, ...]


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, size: int = 1000) -> None:
        self.schema = schema
        self.cache: LRUCache[str, ParsedDocument | RequestError] = LRUCache(size)

    def get(self, query: str) -> ParsedDocument:
        found = self.cache.get(query)
        if found is None:
            found = self._prepare(query)
            self.cache.put(query, found)
        if isinstance(found, RequestError):
            raise found
        return found

    def _prepare(self, query: str) -> ParsedDocument | RequestError:
        try:
            document = parse(query, no_location=False, max_tokens=MAX_TOKENS)
        except GraphQLError as exc:
            return RequestError(exc.message, GRAPHQL_PARSE_FAILED)
        problems = validate(self.schema, document)
        if problems:
            return RequestError(
                problems[0].message,
                GRAPHQL_VALIDATION_FAILED,
                more=[problem.message for problem in problems[1:]],
            )
        return ParsedDocument(document, condition_variables(document))
