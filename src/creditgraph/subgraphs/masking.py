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
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from creditgraph.db.faults import database_fault

_log = logging.getLogger("creditgraph.subgraph")
MESSAGE = "Internal server error"
UNAVAILABLE = "this subgraph's database is unavailable; try again shortly"


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


class MaskInternalErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: _failure(error) is not None)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        failure = _failure(error)
        unavailable = failure is not None and database_fault(failure) is not None
        return GraphQLError(
            message=UNAVAILABLE if unavailable else MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "SUBGRAPH_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR"},
        )
