"""Parsing and validating client documents, once per distinct document.

Parse and validation cost milliseconds for a report-sized document, far more
than planning or shaping its answer, and clients send the same few documents
over and over; so both are done once and the result (or the refusal) cached.
Between the two, the operation limits (limits.py) measure the document, so a
document too big to serve is refused before validation or anything after it; one
longer than `maxLength` is refused before anything, and is never kept.

A document the cache has not seen is prepared in a worker thread (`prepare_unseen`):
the limits let through documents that take graphql-core tens of milliseconds to
parse and validate, and on the event loop every other request would wait that long.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.errors import (
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    RequestError,
)
from creditgraph.gateway.limits import (
    check,
    over_length,
    over_text_limits,
    token_limit_exceeded,
)
from creditgraph.gateway.operation import condition_variables
from creditgraph.settings import OperationLimits


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    document: DocumentNode
    conditions: tuple[str, ...]


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, limits: OperationLimits, size: int = 1000) -> None:
        self.schema = schema
        self.limits = limits
        self.cache: LRUCache[str, ParsedDocument | RequestError] = LRUCache(size)
        # documents prepared off the loop, waiting for the `get` of the request that sent
        # them (which counts the miss); bounded, since a request can end before its `get`
        self._handed: LRUCache[str, ParsedDocument | RequestError] = LRUCache(64)

    def get(self, query: str) -> ParsedDocument:
        too_long = over_length(query, self.limits)
        if too_long is not None:
            raise too_long  # never kept: its text as a key would be kept with it
        found = self.cache.get(query)
        if found is None:
            found = self._handed.pop(query) or self._prepare(query)
            self.cache.put(query, found)
        if isinstance(found, RequestError):
            raise found
        return found

    async def prepare_unseen(self, query: str) -> None:
        """Prepare the document in a worker thread unless the cache holds it, for `get` to
        find; the interpreter hands the event loop its turn every few milliseconds meanwhile.
        """
        if (
            over_length(query, self.limits) is None
            and query not in self.cache
            and query not in self._handed
        ):
            self._handed.put(query, await asyncio.to_thread(self._prepare, query))

    def _prepare(self, query: str) -> ParsedDocument | RequestError:
        too_big = over_text_limits(query, self.limits)
        if too_big is not None:
            return too_big
        try:
            # past the limit, parsing stops at the first token over it
            document = parse(query, no_location=False, max_tokens=self.limits.max_tokens)
        except GraphQLError as exc:
            return token_limit_exceeded(exc.message, self.limits) or RequestError(
                exc.message, GRAPHQL_PARSE_FAILED
            )
        try:
            check(self.schema, document, self.limits)
        except RequestError as exc:
            return exc
        problems = validate(self.schema, document)
        if problems:
            return RequestError(
                problems[0].message,
                GRAPHQL_VALIDATION_FAILED,
                more=[problem.message for problem in problems[1:]],
            )
        return ParsedDocument(document, condition_variables(document))
