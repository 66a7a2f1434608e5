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
failure once, deliberate errors not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
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
            lambda: ValidationCache(maxsize=_DOCUMENTS_CACHED),
        ],
        federation_version=FEDERATION_VERSION,
        execution_context_class=LevelExecution,
    )
