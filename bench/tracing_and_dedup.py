"""What tracing costs a report, and what sharing identical fetches saves, as ratios.

    python bench/tracing_and_dedup.py [--rounds 50] [--clients 10]

A throwaway embedded PostgreSQL is seeded (200 subjects) and the gateway runs with every
subgraph in-process, over a pool from `create_pool` (so statements are traced when
tracing is on). Measured:

- tracing: the median time of one report (the subject with the most accounts, with their
  parties and repayment months) untraced, and traced through the SDK (a batch processor
  whose exporter drops the spans: what a server exporting over OTLP does on the request's
  path), as a ratio;
- sharing: `--clients` identical reports at once, with identical fetches in flight shared
  and with each sent on its own: the subgraph fetches each made, and the median time of
  the whole batch, as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway_fast_path import timed_async
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from seeded_world import seed_and_find_busiest

from creditgraph import tracing
from creditgraph.db.connect import create_pool
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport, Transport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.settings import FetchPolicy, Resilience
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

REPORT = """
query Report($id: String!) {
  subject(identifier: $id, purpose: SELF) {
    name identifier blacklisted publicRecordCount
    scores { value band model { name } }
    accounts(first: 100) {
      totalCount
      nodes { role joint account { id kind balance status lender { code name }
        parties { role subject { name identifier } }
        repayments(months: 24, first: 100) { nodes { month status } } } }
    }
  }
}
"""


class _Dropped(SpanExporter):
    """Spans exported nowhere: the processing is measured, not a collector."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _Counting:
    """The in-process transport, counting the fetches that reach the subgraphs."""

    def __init__(self, inner: Transport, counter: list[int]) -> None:
        self.inner = inner
        self.counter = counter

    def acting_for(self, requester: Requester | None) -> _Counting:
        return _Counting(self.inner.acting_for(requester), self.counter)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.counter[0] += 1
        return await self.inner.send(subgraph, document, variables)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _run(dsn: str, rounds: int, clients: int) -> None:
    busiest = await seed_and_find_busiest(dsn)
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    variables = {"id": busiest}

    async def one_report(traced: bool) -> float:
        provider = None
        if traced:
            provider = TracerProvider()
            provider.add_span_processor(BatchSpanProcessor(_Dropped()))
            tracing.use(provider)
        pool = await create_pool(dsn, max_size=clients)
        try:
            gateway = Gateway(supergraph, InProcessTransport(schemas, pool))
            assert "errors" not in await gateway.execute(REPORT, variables)
            return await timed_async(rounds, lambda: gateway.execute(REPORT, variables))
        finally:
            await pool.close()
            tracing.use(None)
            if provider is not None:
                provider.shutdown()

    untraced = await one_report(traced=False)
    traced = await one_report(traced=True)
    print(f"one report, untraced: {untraced * 1000:.1f} ms; traced: {traced * 1000:.1f} ms")
    print(f"tracing ratio (traced / untraced): {traced / untraced:.2f}")

    async def batch(share: bool) -> tuple[float, float]:
        pool = await create_pool(dsn, max_size=clients)
        counter = [0]
        try:
            gateway = Gateway(
                supergraph,
                _Counting(InProcessTransport(schemas, pool), counter),
                resilience=Resilience(FetchPolicy(deduplicate=share)),
            )

            async def together() -> None:
                await asyncio.gather(*(gateway.execute(REPORT, variables) for _ in range(clients)))

            await together()
            counter[0] = 0
            seconds = await timed_async(rounds, together)
            return seconds, counter[0] / rounds
        finally:
            await pool.close()

    shared, shared_fetches = await batch(share=True)
    alone, alone_fetches = await batch(share=False)
    print(
        f"{clients} identical reports at once: shared {shared * 1000:.1f} ms, "
        f"{shared_fetches:.1f} fetches; each alone {alone * 1000:.1f} ms, "
        f"{alone_fetches:.1f} fetches"
    )
    print(f"sharing ratio (time shared / alone): {shared / alone:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, EmbeddedPostgres(Path(home) / "pgdata") as pg:
        asyncio.run(_run(pg.dsn, arguments.rounds, arguments.clients))


if __name__ == "__main__":
    main()
