"""What the gateway reports when it cannot answer, and the codes clients branch on.

The codes are part of the public contract (README.md, "Error codes"): a client branches on
`errors[].extensions.code`, never on a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from creditgraph.errors import CreditgraphError

BAD_USER_INPUT: Final = "BAD_USER_INPUT"
GRAPHQL_PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
SUBGRAPH_UNAVAILABLE: Final = "SUBGRAPH_UNAVAILABLE"
# the gateway's own database (grants, mandates, inquiries, the audit log) cannot answer now
SERVICE_UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR: Final = "INTERNAL_SERVER_ERROR"
# the supergraph offers no way to fetch something the operation asks for
QUERY_PLANNING_FAILED: Final = "QUERY_PLANNING_FAILED"
OPERATION_NOT_FOUND: Final = "OPERATION_RESOLUTION_FAILURE"
# the operation is over one of the limits of gateway/limits.py
QUERY_TOO_COMPLEX: Final = "QUERY_TOO_COMPLEX"
# the client went away before its answer was ready: in the audit log only, no one reads it
CLIENT_CLOSED: Final = "CLIENT_CLOSED_REQUEST"

Path = list[str | int]


class SupergraphError(CreditgraphError):
    """The supergraph SDL cannot be served: not parseable, not Federation v2, or inconsistent."""


class RequestError(Exception):
    """A request the gateway refuses as a whole, before planning: no data, only errors."""

    def __init__(self, message: str, code: str, *, more: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.messages = [message, *more]
        self.code = code

    def formatted(self) -> list[dict[str, Any]]:
        return [error(message, self.code) for message in self.messages]


def response(data: dict[str, Any] | None, errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A GraphQL response that ran (or was refused after its operation was known): `errors`
    only when there are any, then `data`, null when nothing could be answered."""
    envelope: dict[str, Any] = {}
    if errors:
        envelope["errors"] = list(errors)
    envelope["data"] = data
    return envelope


def request_errors(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A response to a request refused before execution: errors and no `data` at all, as the
    GraphQL spec says of a request error."""
    return {"errors": list(errors)}


def error(message: str, code: str, path: Path | None = None) -> dict[str, Any]:
    """One entry of a response's `errors`, shaped as the GraphQL spec says, with its code: a
    client branches on codes only, so the gateway makes no error without one (one of the
    README's table, which tests/test_error_codes.py holds complete)."""
    entry: dict[str, Any] = {"message": message}
    if path is not None:
        entry["path"] = path
    entry["extensions"] = {"code": code}
    return entry
