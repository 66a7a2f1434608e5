"""Keep internals inside the subgraph: only deliberate errors keep their message.

A `GraphQLError` raised on purpose (BAD_USER_INPUT, a validation error) is
meant for the client. Anything else is a bug or an outage whose message may
hold SQL, table names or data; it is logged here with its traceback and the
client sees a generic message with the code INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

_log = logging.getLogger("creditgraph.subgraph")
MESSAGE = "Internal server error"


def _is_internal(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    _log.error("resolver failed at %s", error.path, exc_info=original)
    return True


class MaskInternalErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_internal, error_message=MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR"},
        )
