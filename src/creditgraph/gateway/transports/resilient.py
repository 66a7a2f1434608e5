"""Fetches that survive a flaky subgraph: timeouts, retries, a circuit breaker, deduplication.

`ResilientTransport` wraps any transport (in-process or HTTP, metered or not) and
knows nothing above it: it sees a subgraph's name, a document and its variables. What
it does for each subgraph is that subgraph's `FetchPolicy` (settings.py: `[fetch]` and
`[subgraphs.<name>]` in the configuration file).

- **Timeout**, per subgraph: each attempt gets `timeout` seconds; past it, the attempt
  is cancelled and counts as a failure.
- **Retries**, only for reads: a fetch is retried (at most `retries` times, after a
  backoff doubling from `backoff` up to `max_backoff`, with full jitter so that many
  gateways do not come back in step) only when its document is a query and no write
  unit is lent (gateway/writes.py). A mutation, and every fetch of a request that
  writes, is sent once: a write whose answer was lost may have happened, and sending it
  again could make it happen twice.
- **Circuit breaker**, per subgraph, shared by every request: after `failures_to_open`
  failed attempts in a row, the subgraph is not called for `cool_off` seconds, its fields
  answered `SUBGRAPH_UNAVAILABLE` at once instead of each request waiting out a timeout.
  After the cool-off one request is let through as a probe (half-open); its success
  closes the circuit, its failure opens it for another cool-off. While the probe is out,
  the others are still answered at once.
- **Deduplication** of identical reads in flight: a query fetch sent while the same one
  (same subgraph, document and variables) is still waiting for its answer shares that
  answer instead of sending its own, but only when both act for the same requester
  (`acting_for`), so both carry the same credential and the subgraph would answer both
  alike. Each sharer gets its own copy, since the executor merges answers in place. A
  fetch under a write unit is never shared: its credential carries the unit's hold.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from creditgraph import tracing
from creditgraph.gateway import writes
from creditgraph.gateway.transports._base import SubgraphUnavailable, Transport
from creditgraph.requester import Requester
from creditgraph.settings import FetchPolicy, Resilience


class _Circuit:
    """One subgraph's breaker: closed, open until a moment, or half-open with a probe out."""

    __slots__ = ("failures", "open_until", "probing")

    def __init__(self) -> None:
        self.failures = 0
        self.open_until: float | None = None
        self.probing = False

    def admit(self, policy: FetchPolicy) -> bool:
        """Whether an attempt may go now; True makes it the probe when the circuit is open."""
        if self.open_until is None:
            return True
        if self.probing or time.monotonic() < self.open_until:
            return False
        self.probing = True
        return True

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = None
        self.probing = False

    def failed(self, policy: FetchPolicy) -> None:
        self.failures += 1
        if self.probing or self.failures >= policy.failures_to_open:
            self.open_until = time.monotonic() + policy.cool_off
        self.probing = False

    def abandoned(self) -> None:
        """An attempt cancelled from above (its client left): it proved nothing either way."""
        self.probing = False

    def refusal(self, policy: FetchPolicy) -> SubgraphUnavailable:
        assert self.open_until is not None
        wait = max(0.0, self.open_until - time.monotonic())
        if self.probing:
            return SubgraphUnavailable("its circuit is half-open and a probe is under way")
        return SubgraphUnavailable(
            f"its circuit is open after {self.failures} failed fetches (next try in {wait:.0f} s)"
        )


class _Shared:
    """A fetch in flight that identical fetches wait on, and how many are waiting."""

    __slots__ = ("task", "waiting")

    def __init__(self, task: asyncio.Future[dict[str, Any]]) -> None:
        self.task = task
        self.waiting = 0


@dataclass(slots=True)
class _State:
    """What the views of one resilient transport share: the circuits and the fetches in flight."""

    resilience: Resilience
    circuits: dict[str, _Circuit] = field(default_factory=dict)
    in_flight: dict[tuple[Any, ...], _Shared] = field(default_factory=dict)

    def circuit(self, subgraph: str) -> _Circuit:
        found = self.circuits.get(subgraph)
        if found is None:
            found = self.circuits[subgraph] = _Circuit()
        return found


class ResilientTransport:
    def __init__(
        self,
        inner: Transport,
        resilience: Resilience,
        *,
        _state: _State | None = None,
        _requester: Requester | None = None,
    ) -> None:
        self._inner = inner
        self._state = _state or _State(resilience)
        self._requester = _requester

    @property
    def resilience(self) -> Resilience:
        return self._state.resilience

    def acting_for(self, requester: Requester | None) -> ResilientTransport:
        """A view for `requester`: the same circuits and fetches in flight, its own key."""
        return ResilientTransport(
            self._inner.acting_for(requester),
            self._state.resilience,
            _state=self._state,
            _requester=requester,
        )

    def in_flight(self) -> list[tuple[str, int]]:
        """Each shared fetch in flight: its subgraph, and how many fetches wait on its answer."""
        return [(key[0], shared.waiting) for key, shared in self._state.in_flight.items()]

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        policy = self._state.resilience.policy(subgraph)
        read = _is_query(document) and writes.lent() is None
        if not (read and policy.deduplicate):
            return await self._attempts(subgraph, document, variables, policy, read=read)
        key = (
            subgraph,
            self._requester,
            document,
            orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
        )
        shared = self._state.in_flight.get(key)
        if shared is None:
            task = asyncio.ensure_future(self._leading(key, subgraph, document, variables, policy))
            shared = self._state.in_flight[key] = _Shared(task)
            # a task cancelled before it ever ran never reaches `_leading`'s own cleanup
            task.add_done_callback(lambda done: self._forget(key, done))
        return await self._wait(shared)

    def _forget(self, key: tuple[Any, ...], task: asyncio.Future[Any]) -> None:
        shared = self._state.in_flight.get(key)
        if shared is not None and shared.task is task:
            del self._state.in_flight[key]

    async def _leading(
        self,
        key: tuple[Any, ...],
        subgraph: str,
        document: str,
        variables: dict[str, Any],
        policy: FetchPolicy,
    ) -> dict[str, Any]:
        """The one fetch identical ones share; it stops taking sharers as soon as it ends."""
        try:
            return await self._attempts(subgraph, document, variables, policy, read=True)
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._forget(key, task)

    async def _wait(self, shared: _Shared) -> dict[str, Any]:
        """The shared fetch's answer, a copy of it when another waiter has it too.

        A waiter that is cancelled leaves the fetch to the others; the last one to leave
        cancels it, so a fetch nobody waits for any more does not run on.
        """
        shared.waiting += 1
        try:
            answer = await asyncio.shield(shared.task)
        except asyncio.CancelledError:
            shared.waiting -= 1
            if shared.waiting == 0 and not shared.task.done():
                shared.task.cancel()
            raise
        shared.waiting -= 1
        if shared.waiting == 0:
            return answer  # the last to read it: the original is its alone from now on
        result: dict[str, Any] = orjson.loads(orjson.dumps(answer))
        return result

    async def _attempts(
        self,
        subgraph: str,
        document: str,
        variables: dict[str, Any],
        policy: FetchPolicy,
        *,
        read: bool,
    ) -> dict[str, Any]:
        circuit = self._state.circuit(subgraph)
        attempt = 0
        while True:
            if not circuit.admit(policy):
                refusal = circuit.refusal(policy)
                tracing.event("circuit open", {"reason": refusal.reason})
                raise refusal
            try:
                async with asyncio.timeout(policy.timeout):
                    answer = await self._inner.send(subgraph, document, variables)
            except TimeoutError:
                failure = SubgraphUnavailable(f"no answer within {policy.timeout:g} s")
            except SubgraphUnavailable as exc:
                failure = exc
            except BaseException:
                circuit.abandoned()
                raise
            else:
                circuit.succeeded()
                return answer
            circuit.failed(policy)
            tracing.event(
                "fetch attempt failed", {"attempt": attempt + 1, "reason": failure.reason}
            )
            if not read or attempt >= policy.retries or circuit.open_until is not None:
                raise failure
            ceiling = min(policy.max_backoff, policy.backoff * 2**attempt)
            await asyncio.sleep(random.uniform(0, ceiling))
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_query(document: str) -> bool:
    """Whether a fetch's document is a query (the planner writes the operation's kind first).

    Anything else (a mutation, or a document that does not say) is taken for a write.
    """
    text = document.lstrip()
    return text.startswith(("query", "{"))
