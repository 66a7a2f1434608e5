"""The gateway's own cost per report, next to graphql-core's and the dict-and-serialise floor.

    python bench/gateway_fast_path.py [--months 60] [--rounds 300]

A throwaway embedded PostgreSQL is seeded and the subgraphs run in-process
once, to record what they answer for a large report (the accounts of the
subject with the most of them, with their parties and repayment months:
about 1,500 fields at 60 months). The same answers are then replayed,
so only the gateway's work is timed:

- gateway: prepare (document and plan caches), merge the subgraph answers,
  shape the response, serialise with orjson: what a request costs on top of
  its subgraphs;
- graphql-core: completing the same merged answer with graphql-core's
  executor (every field through a resolver) and serialising it: what the
  gateway would cost if it re-executed the merged result;
- floor: rebuilding the response's dicts and lists and serialising it: the
  least any gateway could do.

Each is reported per response and per field, and as a ratio to the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from graphql import ExecutionResult, experimental_execute_incrementally, parse
from seeded_world import seed_and_find_busiest

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.settings import OperationLimits
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

REPORT = """
query Report($id: String!, $months: Int!) {
  subject(identifier: $id, purpose: SELF) {
    name identifier kind blacklisted publicRecordCount
    scores { value band model { name } }
    accounts(first: 100) {
      totalCount
      nodes {
        role joint
        account {
          id accountNumber kind currency balance openedOn status
          lender { code name }
          parties { role subject { name identifier blacklisted } }
          repayments(months: $months, first: 100) {
            nodes { month status amountDue amountPaid overdueAmount }
          }
        }
      }
    }
  }
}
"""


class Replay:
    """Answers each subgraph call with a fresh copy of what the real subgraph answered."""

    def __init__(self, recorded: dict[tuple[str, str], list[bytes]]) -> None:
        self.recorded = recorded

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = orjson.loads(self.recorded[(subgraph, document)][0])
        return answer

    def acting_for(self, requester: Requester | None) -> Replay:
        return self

    async def aclose(self) -> None:
        return None


class Recorder:
    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner
        self.recorded: dict[tuple[str, str], list[bytes]] = {}

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = await self.inner.send(subgraph, document, variables)
        self.recorded.setdefault((subgraph, document), []).append(orjson.dumps(answer))
        return answer

    def acting_for(self, requester: Requester | None) -> Recorder:
        return self

    async def aclose(self) -> None:
        return None


def count_fields(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + count_fields(item) for item in value.values())
    if isinstance(value, list):
        return sum(count_fields(item) for item in value)
    return 0


def rebuild(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: rebuild(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rebuild(item) for item in value]
    return value


def timed(rounds: int, work: Callable[[], object]) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def timed_async(rounds: int, work: Callable[[], Any]) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def _run(dsn: str, months: int, rounds: int) -> None:
    busiest = await seed_and_find_busiest(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    assert pool is not None
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    variables = {"id": busiest, "months": months}
    # the report is over the default estimated cost at 60 months: this times the merge, not limits
    unlimited = OperationLimits(max_cost=10**9)
    try:
        recorder = Recorder(
            InProcessTransport({name: subgraph_schema(name) for name in SUBGRAPH_NAMES}, pool)
        )
        recorded_gateway = Gateway(supergraph, recorder, limits=unlimited)
        live = await recorded_gateway.execute(REPORT, variables)
        assert "errors" not in live, live["errors"]
    finally:
        await pool.close()

    gateway = Gateway(supergraph, Replay(recorder.recorded), limits=unlimited)
    fields = count_fields(live["data"])

    async def through_gateway() -> None:
        prepared = gateway.prepare(REPORT, variables, None)
        orjson.dumps(await gateway.run(prepared, variables))

    # graphql-core completes the merged answer: aliases-free query, so keys are field names
    document = parse(REPORT)
    merged = orjson.loads(orjson.dumps(live["data"]))

    def through_graphql_core() -> None:
        # the API schema declares @defer, which graphql-core executes only this way
        result = experimental_execute_incrementally(
            gateway.schema, document, root_value=merged, variable_values=variables
        )
        assert isinstance(result, ExecutionResult)
        orjson.dumps(result.data)

    def floor() -> None:
        orjson.dumps(rebuild(live["data"]))

    await through_gateway()  # warm the caches, as any repeated request finds them
    ours = await timed_async(rounds, through_gateway)
    core = timed(rounds, through_graphql_core)
    least = timed(rounds, floor)
    print(
        f"report: {fields:,} fields, {len(orjson.dumps(live['data'])):,} bytes; "
        f"median of {rounds} rounds"
    )
    print(f"{'path':<34}{'per response':>14}{'per field':>12}{'× floor':>10}")
    for label, seconds in (
        ("floor (rebuild dicts + orjson)", least),
        ("creditgraph gateway", ours),
        ("graphql-core completion + orjson", core),
    ):
        print(
            f"{label:<34}{seconds * 1e3:>11.2f} ms{seconds / fields * 1e6:>9.2f} µs"
            f"{seconds / least:>10.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        asyncio.run(_run(server.dsn, args.months, args.rounds))


if __name__ == "__main__":
    main()
