"""The record stage's seam: every request's audit entry, written before its answer leaves.

Every request is recorded under the policy. One that ran is recorded here from the account
the authorise stage gives with its answer (`Ran`): who asked, the subjects and fields
reached, the inquiries it made, the decision (access/enforcement.py's
`PolicyGateway.record`); the answer leaves only once that entry is durable, and when it
cannot be written the client gets the one error saying so and no data (`record`). Those
refused before execution are recorded too (a bad token, a malformed body, an unknown
persisted query, an invalid document, a rate refusal): who asked, as far as is known, and
the codes it was refused with (`refuse`). A request admitted to something other than an
operation (a live stream, live/stream.py) is recorded as admitted, with what it follows
(`admit`). A mutation is the one exception: its entry commits in the transaction its writes
commit in, so the authorise stage writes it there and gives no account. With no policy
there is no audit log: `NOT_RECORDED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar

from creditgraph.requester import Requester

A = TypeVar("A")


@dataclass(frozen=True, slots=True)
class Ran(Generic[A]):
    """An operation the authorise stage ran: the answer, held back until the record stage
    has written `account` (what the stage keeps of the run: `A`)."""

    answer: dict[str, Any]
    account: A | None = None
    """None: nothing is left to write (no audit log; a mutation, recorded with its write)."""


class RecordStage(Protocol):
    async def record(self, ran: Ran[Any]) -> dict[str, Any]:
        """Write `ran`'s account; the answer to give: `ran.answer` once the account is
        durable, else the one error saying the request could not be recorded, and no data."""
        ...

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
    """The open record stage: nothing is kept, every answer leaves as it is."""

    async def record(self, ran: Ran[Any]) -> dict[str, Any]:
        return ran.answer

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
