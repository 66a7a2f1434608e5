"""Errors a subgraph reports to its caller, with the gateway's public codes (README.md,
"Error codes").

Input is checked at the edge: a resolver that finds a bad argument raises
`BadUserInput`, which reaches the client as a GraphQL error whose
`extensions.code` is `BAD_USER_INPUT` and whose message says what was wrong
and what would be accepted. Any other exception is a bug: its message is
masked (see `app.py`) so that SQL or internals never leave the subgraph.
"""

from __future__ import annotations

from graphql import GraphQLError

from creditgraph.identifiers import InvalidIdentifier, normalise_identifier, validate_identifier

BAD_USER_INPUT = "BAD_USER_INPUT"


class BadUserInput(GraphQLError):
    def __init__(self, message: str, *, argument: str | None = None) -> None:
        extensions: dict[str, object] = {"code": BAD_USER_INPUT}
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)


def check_range(argument: str, value: int, low: int, high: int) -> int:
    """`value` if low <= value <= high, else a BAD_USER_INPUT naming the bounds."""
    if not low <= value <= high:
        raise BadUserInput(
            f"{argument} must be between {low} and {high}, got {value}", argument=argument
        )
    return value


def check_identifier(value: str, *, argument: str = "identifier") -> str:
    """The identifier, normalised, or a BAD_USER_INPUT saying which rule it breaks."""
    normalised = normalise_identifier(value)
    try:
        validate_identifier(normalised)
    except InvalidIdentifier as exc:
        raise BadUserInput(f"{argument}: {exc}", argument=argument) from None
    return normalised


def check_id(value: str, *, argument: str = "id") -> int:
    """A numeric record id as the database holds it, or a BAD_USER_INPUT."""
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) == 0:
        raise BadUserInput(
            f"{argument} must be a record id (digits), got {value!r}", argument=argument
        )
    return int(value)
