"""The limit stage's seam: whether a requester may be served now, before anything is done
for them.

Under the policy it is access/rate_limits.py's `RateLimits`; with none, `UNLIMITED`.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

from creditgraph.requester import Requester


class OverLimit(Protocol):
    """A request refused for its rate: when to come back, and the errors that say so."""

    @property
    def retry_after(self) -> int: ...

    def errors(self) -> list[dict[str, Any]]: ...


class LimitStage(Protocol):
    """Takes one request from the requester's allowance (from its client address's when
    anonymous); the refusal when there is none left, else None."""

    async def check(self, requester: Requester | None, client: str | None) -> OverLimit | None: ...


class Unlimited:
    """The open limit stage: every request is served."""

    async def check(self, requester: Requester | None, client: str | None) -> OverLimit | None:
        return None


UNLIMITED: Final = Unlimited()
