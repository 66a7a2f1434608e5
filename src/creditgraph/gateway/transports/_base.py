"""The transport seam's contract."""

from __future__ import annotations

from typing import Any, Protocol


class SubgraphUnavailable(Exception):
    """A subgraph gave no usable answer: refused, unreachable, failed or not GraphQL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    async def send(
        self, subgraph: str, document: str, variables: dict[str, Any]
    ) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...
