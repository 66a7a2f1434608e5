"""A transport in front of another, timing every fetch per subgraph and counting failures.

It only delegates: what a fetch sends, how it reaches the subgraph and on
whose behalf (`acting_for`) stay the wrapped transport's business, so it
fits in front of the in-process and the HTTP transport alike.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from creditgraph.observability.metrics import Metrics

if TYPE_CHECKING:  # the HTTP transport reads the request id from this package
    from creditgraph.gateway.transports import Transport
    from creditgraph.requester import Requester


class MeteredTransport:
    def __init__(self, inner: Transport, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            return await self._inner.send(subgraph, document, variables)
        except BaseException as exc:  # cancellation (the gateway's timeout) included
            failure = exc
            raise
        finally:
            self._metrics.record_fetch(subgraph, time.perf_counter() - started, failure)

    def acting_for(self, requester: Requester | None) -> MeteredTransport:
        return MeteredTransport(self._inner.acting_for(requester), self._metrics)

    async def aclose(self) -> None:
        await self._inner.aclose()
