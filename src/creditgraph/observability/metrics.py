"""The gateway's metrics, served at `GET /metrics` in the Prometheus text format.

Each app has a registry of its own, never prometheus_client's global one, so
two apps in one process (tests build many) never add to each other's counts.

- `creditgraph_graphql_requests_total{status, operation}`: GraphQL requests
  answered, by HTTP status class (`2xx`, `4xx`, `5xx`) and operation kind
  (`query`, `mutation`, `subscription`, or `none` when the request never got
  as far as an operation: unreadable, unauthenticated, invalid);
- `creditgraph_graphql_request_duration_seconds{operation}`: their latency;
- `creditgraph_subgraph_fetch_duration_seconds{subgraph}` and
  `creditgraph_subgraph_fetch_errors_total{subgraph, reason}`: each fetch
  from a subgraph, timed by `MeteredTransport`; an error is a fetch without
  an answer, `unavailable` (refused, unreachable, not GraphQL), `cancelled`
  (past the gateway's timeout) or `error` (anything else);
- `creditgraph_cache_hits_total`, `creditgraph_cache_misses_total` and
  `creditgraph_cache_entries` by `cache`: the gateway's document, operation
  and plan caches, and the automatic persisted queries' store (`apq`: a miss
  is a client told PERSISTED_QUERY_NOT_FOUND; the trusted operations are
  known without it), read from the caches themselves when scraped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.transports import SubgraphUnavailable

if TYPE_CHECKING:
    from creditgraph.gateway import Gateway
    from creditgraph.gateway.persisted_queries import PersistedQueries

Endpoint = Callable[[Request], Awaitable[Response]]

# the kinds an operation can be; anything else a request carries is reported as "none"
OPERATION_KINDS = frozenset({"query", "mutation", "subscription"})
# where GraphQL-over-HTTP handling leaves the kind of the request's operation
OPERATION_KIND_STATE = "operation_kind"


class Metrics:
    """One app's instruments, in one registry; `MeteredTransport` records its fetches here."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._caches: _CacheCollector | None = None
        self.requests = Counter(
            "creditgraph_graphql_requests",
            "GraphQL requests answered, by HTTP status class and operation kind.",
            ["status", "operation"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "creditgraph_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation kind.",
            ["operation"],
            registry=self.registry,
        )
        self.fetch_seconds = Histogram(
            "creditgraph_subgraph_fetch_duration_seconds",
            "Time a subgraph took to answer one fetch, answered or not.",
            ["subgraph"],
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "creditgraph_subgraph_fetch_errors",
            "Fetches a subgraph gave no answer to, by why.",
            ["subgraph", "reason"],
            registry=self.registry,
        )

    def watch_caches(self, gateway: Gateway, persisted: PersistedQueries) -> None:
        """Report the caches of the app being served: a reload's new app (reloading.py)
        replaces the one before, whose caches go with it."""
        if self._caches is not None:
            self.registry.unregister(self._caches)
        self._caches = _CacheCollector(gateway, persisted)
        self.registry.register(self._caches)

    def record_fetch(self, subgraph: str, seconds: float, failure: BaseException | None) -> None:
        self.fetch_seconds.labels(subgraph).observe(seconds)
        if failure is not None:
            self.fetch_errors.labels(subgraph, _reason(failure)).inc()

    def measured(self, endpoint: Endpoint) -> Endpoint:
        """`endpoint`, counted and timed; a request that raises counts as a 5xx."""

        async def measure(request: Request) -> Response:
            started = time.perf_counter()
            status = 500
            try:
                response = await endpoint(request)
                status = response.status_code
                return response
            finally:
                kind = operation_kind(request)
                self.requests.labels(f"{status // 100}xx", kind).inc()
                self.request_seconds.labels(kind).observe(time.perf_counter() - started)

        return measure

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The registry's samples and their content type, in the format `accept` prefers."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


def operation_kind(request: Request) -> str:
    kind = getattr(request.state, OPERATION_KIND_STATE, None)
    return kind if kind in OPERATION_KINDS else "none"


def _reason(failure: BaseException) -> str:
    if isinstance(failure, SubgraphUnavailable):
        return "unavailable"
    if isinstance(failure, asyncio.CancelledError):
        return "cancelled"
    return "error"


class _CacheCollector(Collector):
    """The gateway's caches as counters, read when scraped: the caches already count."""

    def __init__(self, gateway: Gateway, persisted: PersistedQueries) -> None:
        self._caches: dict[str, LRUCache[Any, Any]] = {
            "document": gateway.documents.cache,
            "operation": gateway.operations,
            "plan": gateway.plans,
            "apq": persisted.store,
        }

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(
            "creditgraph_cache_hits", "Lookups found in a gateway cache.", labels=["cache"]
        )
        misses = CounterMetricFamily(
            "creditgraph_cache_misses", "Lookups not found in a gateway cache.", labels=["cache"]
        )
        entries = GaugeMetricFamily(
            "creditgraph_cache_entries", "Entries held in a gateway cache.", labels=["cache"]
        )
        for name, cache in self._caches.items():
            hits.add_metric([name], cache.hits)
            misses.add_metric([name], cache.misses)
            entries.add_metric([name], len(cache))
        yield from (hits, misses, entries)
