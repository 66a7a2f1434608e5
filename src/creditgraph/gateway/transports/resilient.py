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
  (`acting_for`), its history limit included, so both carry the same credential and the
  subgraph would answer both alike. Each sharer gets its own copy, since the executor
  merges answers in place. A fetch under a write unit is never shared: its credential
  carries the unit's hold.
  The first of them fetches in its own task (no task of its own per fetch: nearly every
  fetch is the only one of its kind, and a task, a shield and a done callback cost it
  more than the rest of this module); the others wait on its answer. Should its request
  be cancelled while others wait, the fetch is sent again in a task of its own for them,
  which the last of them to leave cancels.
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
from creditgraph.gateway.tree import copied
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
    """A fetch in flight that identical fetches wait on, and how many wait on its answer
    (the one fetching among them).

    `task` is None while the first fetch is under way in its own request's task; it is the
    fetch sent again for the others when that request was cancelled."""

    __slots__ = ("answer", "task", "waiting")

    def __init__(self, answer: asyncio.Future[dict[str, Any]]) -> None:
        self.answer = answer
        self.task: asyncio.Future[dict[str, Any]] | None = None
        self.waiting = 1


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
        in_flight = self._state.in_flight
        shared = in_flight.get(key)
        if shared is not None:
            return await self._follow(shared)
        shared = in_flight[key] = _Shared(asyncio.get_running_loop().create_future())
        try:
            answer = await self._attempts(subgraph, document, variables, policy, read=True)
        except asyncio.CancelledError:
            shared.waiting -= 1
            if shared.waiting:
                self._hand_over(key, shared, subgraph, document, variables, policy)
            else:
                del in_flight[key]
            raise
        except BaseException as exc:
            shared.waiting -= 1
            del in_flight[key]
            if shared.waiting:
                shared.answer.set_exception(exc)
            raise
        shared.waiting -= 1
        del in_flight[key]
        if not shared.waiting:
            return answer
        shared.answer.set_result(answer)
        return copied(answer)  # the others read the original once this task has moved on

    def _hand_over(
        self,
        key: tuple[Any, ...],
        shared: _Shared,
        subgraph: str,
        document: str,
        variables: dict[str, Any],
        policy: FetchPolicy,
    ) -> None:
        """The first fetch's request was cancelled while others wait on its answer: send it
        again in a task of its own, whose outcome becomes theirs."""
        task = asyncio.ensure_future(
            self._attempts(subgraph, document, variables, policy, read=True)
        )
        shared.task = task

        def settle(done: asyncio.Future[dict[str, Any]]) -> None:
            if self._state.in_flight.get(key) is shared:
                del self._state.in_flight[key]
            if shared.answer.done():
                return
            if done.cancelled():
                shared.answer.cancel()
            elif (failure := done.exception()) is not None:
                shared.answer.set_exception(failure)
            else:
                shared.answer.set_result(done.result())

        task.add_done_callback(settle)

    async def _follow(self, shared: _Shared) -> dict[str, Any]:
        """The shared fetch's answer, a copy of it when another waiter has it too.

        A waiter that is cancelled leaves the fetch to the others; the last one to leave a
        fetch sent again for the waiters cancels it, so a fetch nobody waits for any more
        does not run on.
        """
        shared.waiting += 1
        try:
            answer = await asyncio.shield(shared.answer)
        except asyncio.CancelledError:
            shared.waiting -= 1
            if shared.waiting == 0 and shared.task is not None and not shared.task.done():
                shared.task.cancel()
            raise
        except BaseException:
            shared.waiting -= 1
            raise
        shared.waiting -= 1
        if shared.waiting == 0:
            return answer  # the last to read it: the original is its alone from now on
        return copied(answer)

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
