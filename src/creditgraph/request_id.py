"""The id of the HTTP request being served, wherever in the gateway it is needed.

The request log's middleware (observability/request_log.py) picks the id and
sets it here for the task serving the request (and every task it starts); the
GraphQL handler records it with the request's audit entry, and the HTTP
transport sends it on to the subgraphs, so their log lines carry the gateway's
id. It lives apart from both so that neither the gateway nor observability has
to import the other for it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

REQUEST_ID_HEADER: Final = "x-request-id"

# the id of the request this task (and every task it starts) is serving
CURRENT: ContextVar[str | None] = ContextVar("creditgraph_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the HTTP request being served, None outside one (a command, a test)."""
    return CURRENT.get()
