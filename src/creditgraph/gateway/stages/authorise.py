"""The authorise stage's seam: what a requester may see, and the operation run for them.

`prepare` validates and normalises the client's operation, before the request is let go
on (its refusals are early ones: a 400 for a client of the GraphQL-over-HTTP media type);
`run` answers it for a requester through the plan, execute and shape stages
(gateway/stages/plan.py, execute.py, shape.py). Under the edition policy the stage is
access/enforcement.py's `PolicyGateway`, which plans and executes a wave of records at a
time when it runs, each wave's views decided from the records the last one reached. With
no policy it is `Open`: every requester may see everything, and the operation is planned
as it is prepared (so that a planning error is an early refusal too), then executed and
shaped as written (`Gateway.run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from creditgraph.gateway.engine import Gateway, PreparedOperation
from creditgraph.gateway.operation import Operation
from creditgraph.gateway.persisted_queries import SHARED
from creditgraph.gateway.stages.record import Ran
from creditgraph.requester import Requester

P = TypeVar("P")


class AuthoriseStage(Protocol[P]):
    """Prepares an operation (`P`: whatever the stage keeps of it) and runs it."""

    def prepare(self, query: str, variables: Mapping[str, Any], operation_name: str | None) -> P:
        """The client's operation, validated; RequestError when it cannot be run."""
        ...

    def operation(self, prepared: P) -> Operation:
        """The client's operation a prepared one is of."""
        ...

    async def run(
        self,
        prepared: P,
        variables: dict[str, Any],
        requester: Requester | None,
        request_id: str,
        inquired: set[tuple[str, str]] | None = None,
    ) -> Ran[Any]:
        """The GraphQL response for `requester`, with its account for the record stage,
        which must have written it before the response may leave; `variables` as this
        request passes them.

        `inquired`: the looks an earlier part of the same request accounted for (a deferred
        part's, gateway/defer.py), which this run adds to and does not account for again."""
        ...

    async def confirm(self, requester: Requester) -> None:
        """Check what of `requester`'s token only this stage can (Unauthenticated if it
        fails): for an answer that streams, before its first part."""
        ...

    def query_owner(self, requester: Requester | None) -> str | None:
        """Whose persisted queries `requester` may use (gateway/persisted_queries.py)."""
        ...


class Open:
    """The authorise stage with no edition policy: the operation is planned as it is
    prepared and run as written, for anyone; all share one store of persisted queries."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def prepare(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None
    ) -> PreparedOperation:
        return self.gateway.prepare(query, variables, operation_name)

    def operation(self, prepared: PreparedOperation) -> Operation:
        return prepared.operation

    async def run(
        self,
        prepared: PreparedOperation,
        variables: dict[str, Any],
        requester: Requester | None,
        request_id: str,
        inquired: set[tuple[str, str]] | None = None,
    ) -> Ran[None]:
        return Ran(await self.gateway.run(prepared, variables))

    async def confirm(self, requester: Requester) -> None:
        return None

    def query_owner(self, requester: Requester | None) -> str | None:
        return SHARED
