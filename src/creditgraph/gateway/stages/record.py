"""The record stage's seam for requests refused before they ran, and for requests served
without running an operation.

Every request is recorded under the policy, those refused before execution included (a
bad token, a malformed body, an unknown persisted query, an invalid document, a rate
refusal): who asked, as far as is known, and the codes it was refused with
(access/enforcement.py's `PolicyGateway.refuse`). A request admitted to something other
than an operation (a live stream, live/stream.py) is recorded as admitted, with what it
follows (`admit`). A request that runs is recorded by the authorise stage, with what it
returned. With no policy there is no audit log: `NOT_RECORDED`.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

from creditgraph.requester import Requester


class RecordStage(Protocol):
    async def refuse(
        self,
        request_id: str,
        requester: Requester | None,
        operation: str | None,
        errors: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Record the refusal; the errors to answer it with: `errors` once recorded, else
        the one error saying it could not be (nothing is answered unrecorded)."""
        ...

    async def admit(
        self, request_id: str, requester: Requester, operation: str, follows: str
    ) -> list[dict[str, Any]] | None:
        """Record that `requester` was let follow `follows`; None once recorded, else the
        errors to refuse with instead (nothing is served unrecorded)."""
        ...


class NotRecorded:
    """The open record stage: nothing is kept, the refusal is answered as it is."""

    async def refuse(
        self,
        request_id: str,
        requester: Requester | None,
        operation: str | None,
        errors: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        return errors

    async def admit(
        self, request_id: str, requester: Requester, operation: str, follows: str
    ) -> list[dict[str, Any]] | None:
        return None


NOT_RECORDED: Final = NotRecorded()
