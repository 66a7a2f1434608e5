"""The transport seam's contract."""

from __future__ import annotations

from typing import Any, Protocol

from creditgraph.requester import Requester


class SubgraphUnavailable(Exception):
    """A subgraph gave no usable answer: refused, unreachable, failed or not GraphQL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    async def send(
        self, subgraph: str, document: str, variables: dict[str, Any]
    ) -> dict[str, Any]: ...

    def acting_for(self, requester: Requester | None) -> Transport:
        """This transport, telling the subgraphs on whose behalf it calls them."""
        ...

    async def aclose(self) -> None: ...
