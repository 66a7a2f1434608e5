"""The gateway's own cost per report, next to graphql-core's and the dict-and-serialise floor.

    python bench/gateway_fast_path.py [--months 60] [--rounds 300] [--out docs/benchmarks.md]

A throwaway embedded PostgreSQL is seeded and the subgraphs run in-process
once, to record what they answer for a large report (the accounts of the
subject with the most of them, with their parties and repayment months:
about 2,000 fields at 60 months). The same answers are then replayed,
so only the gateway's work is timed:

- gateway: prepare (document and plan caches), run the plan's fetches through the
  resilient transport (timeouts, circuit breaker, sharing of identical fetches in
  flight), merge the subgraph answers, shape the response, serialise with orjson: what
  a request costs on top of its subgraphs. The replayed answers are decoded before each
  round starts: decoding is the transport's work (an HTTP transport's; the in-process
  one hands over the subgraph's own dicts), not the gateway's, and the floor decodes
  nothing either;
- graphql-core: completing the same merged answer with graphql-core's
  executor (every field through a resolver) and serialising it: what the
  gateway would cost if it re-executed the merged result;
- floor: rebuilding the response's dicts and lists and serialising it: the
  least any gateway could do.

The gateway and the floor take turns round by round, so a machine busy with other work
slows them alike (graphql-core, ten times slower, runs a tenth as many rounds after
them). Each is reported per response and per field, best and median, and as a ratio to
the floor's best. With `--out`, the table is written as its section of that Markdown
file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from graphql import ExecutionResult, experimental_execute_incrementally, parse
from peers_report import section_markers, write_section
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
    """Answers each subgraph call with a copy of what the real subgraph answered, in the
    order it answered, decoded by `load` before the round is timed."""

    def __init__(self, recorded: dict[tuple[str, str], list[bytes]]) -> None:
        self.recorded = recorded
        self.fresh: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def load(self) -> None:
        """Fresh copies for the next round (the executor merges answers in place)."""
        self.fresh = {
            key: [orjson.loads(answer) for answer in answers]
            for key, answers in self.recorded.items()
        }

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return self.fresh[(subgraph, document)].pop(0)

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


START, END = section_markers("gateway_fast_path")


async def _run(dsn: str, months: int, rounds: int) -> str:
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

    replay = Replay(recorder.recorded)
    gateway = Gateway(supergraph, replay, limits=unlimited)
    fields = count_fields(live["data"])
    body = orjson.dumps(live)

    async def through_gateway() -> bytes:
        prepared = gateway.prepare(REPORT, variables, None)
        return orjson.dumps(await gateway.run(prepared, variables))

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

    replay.load()
    # warm the caches, as any repeated request finds them; and the replay answers alike
    assert await through_gateway() == body
    gateway_times, floor_times = [], []
    for _ in range(rounds):
        replay.load()
        started = time.perf_counter()
        await through_gateway()
        gateway_times.append(time.perf_counter() - started)
        floor_times.append(_once(floor))
    core_times = [_once(through_graphql_core) for _ in range(max(1, rounds // 10))]
    least = min(floor_times)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    rows = [
        f"| {label} | {min(times) * 1e3:.2f} ms | {statistics.median(times) * 1e3:.2f} ms "
        f"| {min(times) / fields * 1e6:.2f} µs | {min(times) / least:.2f} "
        f"| {statistics.median(times) / statistics.median(floor_times):.2f} |"
        for label, times in (
            ("floor: rebuild the dicts, serialise with orjson", floor_times),
            ("creditgraph gateway: prepare, fetch, merge, shape, serialise", gateway_times),
            ("graphql-core completing the merged answer, serialised", core_times),
        )
    ]
    return "\n".join(
        [
            START,
            "## The gateway's own cost per report",
            "",
            f"The report of the subject with the most accounts in a 200-subject seed, at "
            f"{months} months of repayments: {fields:,} fields, {len(body):,} bytes of JSON. "
            "The subgraphs' answers are recorded once and replayed (decoded before each round, "
            "as a transport hands them over), so only the gateway's work is timed. The gateway "
            f"and the floor take turns for {rounds} rounds, graphql-core runs "
            f"{len(core_times)} after them; load average {load} on {os.cpu_count()} cores. On a "
            "shared machine the best round is the least disturbed measure of a path's own "
            "work, so the ratio to the floor is of the best rounds; the medians' ratio beside "
            "it moves with whatever else runs. The target is at most 2× the floor.",
            "",
            "| path | best | median | per field (best) | × floor | × floor (medians) |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "```sh",
            f".venv/bin/python bench/gateway_fast_path.py --months {months} --rounds {rounds} "
            "--out docs/benchmarks.md",
            "```",
            "",
            END,
            "",
        ]
    )


def _once(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        text = asyncio.run(_run(server.dsn, args.months, args.rounds))
    print(text)
    if args.out is not None:
        write_section(args.out, "gateway_fast_path", text)


if __name__ == "__main__":
    main()
