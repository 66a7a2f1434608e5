"""The shape stage's seam: the merged data made into the response the client asked for.

Implemented by gateway/response.py's `ResponseShaper`: exactly the client's keys in the
client's order, fragments picked by concrete type, the planner's own keys and `@requires`
fields dropped, null propagation applied, in the GraphQL response envelope
(gateway/errors.py's `response`).
"""

from __future__ import annotations

from typing import Any, Protocol

from creditgraph.gateway.operation import Operation


class ShapeStage(Protocol):
    def respond(
        self, operation: Operation, data: dict[str, Any], errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The GraphQL response for `data`, shaped to `operation`'s selections; the errors
        for the nulls shaping makes are added to `errors`."""
        ...
