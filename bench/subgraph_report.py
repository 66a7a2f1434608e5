"""What the subgraphs cost per underwriting report, in-process, without HTTP or a policy.

    python bench/subgraph_report.py [--subjects 300] [--rounds 100] [--profile N]
                                    [--out docs/benchmarks.md]

The gateways compared in docs/benchmarks.md all wait on the same Python
subgraphs, so this times those. A throwaway embedded PostgreSQL is seeded
and the bank underwriting operation
(graphql/operations/bank_underwriting.graphql) is run for the subject party
to the most accounts:

- report: the whole operation through the in-process gateway (`Gateway.run`
  with no policy, as `creditgraph serve --in-process --no-policy` runs it):
  every subgraph's execution, the SQL and the gateway's merge;
- bureau entity fetch: the bureau subgraph alone executing the `_entities`
  fetch the gateway sends it for the report (accounts, repayment months,
  parties, summary, guarantees), with a fresh context each time as one
  request gets.

Each is the median of `--rounds` runs, per report and per field of the
answer, elapsed and as this process's CPU time (which leaves out
PostgreSQL's work and is steadier on a busy machine). Both are then run
again with every subgraph executing through graphql-core (strawberry's own
execution context, depth-first, instead of creditgraph's execution a level at
a time, subgraphs/execution.py): the baseline, in the same process, and the
CPU ratio against it. The pool is the one the servers use
(`creditgraph.db.connect.create_pool`), so each statement costs what it costs
when served. `--profile N` also
prints the N most expensive functions (cProfile, by own time) over the
report's rounds. With `--out` the table goes into that page's
`subgraph_report` section, with the target of 4 µs of CPU per field.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import strawberry
from gateway_fast_path import count_fields
from peers_report import section_markers, write_section
from seeded_world import seed_and_find_busiest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from creditgraph.db.connect import create_pool
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

OPERATION = Path(__file__).parents[1] / "graphql" / "operations" / "bank_underwriting.graphql"


class Recorder:
    """Passes each fetch on, keeping the largest one per subgraph."""

    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner
        self.largest: dict[str, tuple[int, str, bytes]] = {}

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        sent = orjson.dumps(variables)  # the subgraph pops `__typename` from representations
        answer = await self.inner.send(subgraph, document, variables)
        size = count_fields(answer.get("data"))
        if size > self.largest.get(subgraph, (-1, "", b""))[0]:
            self.largest[subgraph] = (size, document, sent)
        return answer

    def acting_for(self, requester: Requester | None) -> Recorder:
        return self

    async def aclose(self) -> None:
        return None


async def timed(rounds: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Median elapsed and median CPU seconds of this process per run.

    The CPU time leaves out PostgreSQL's own work and most of what other
    processes on a busy machine do to the elapsed time.
    """
    elapsed, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        await work()
        elapsed.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return statistics.median(elapsed), statistics.median(cpu)


#: Subgraph CPU per field of the answer the bureau's entity fetch may cost, at most.
TARGET_MICROSECONDS = 4.0

Row = tuple[str, int, tuple[float, float]]


def _table(rows: list[Row]) -> list[str]:
    lines = [
        "| path | fields | per report ms | per field µs | CPU per report ms | CPU per field µs |",
        "|---|---|---|---|---|---|",
    ]
    for label, count, (seconds, cpu) in rows:
        lines.append(
            f"| {label} | {count:,} | {seconds * 1e3:.2f} | {seconds / count * 1e6:.2f}"
            f" | {cpu * 1e3:.2f} | {cpu / count * 1e6:.2f} |"
        )
    return lines


def _section(subjects: int, rounds: int, rows: list[Row]) -> str:
    start, end = section_markers("subgraph_report")
    _, fields, (_, cpu) = rows[1]
    per_field = cpu / fields * 1e6
    verdict = "met" if per_field <= TARGET_MICROSECONDS else "not met"
    lines = [
        start,
        "",
        "## The subgraphs' cost per field",
        "",
        "The underwriting report for the subject party to the most accounts, in-process, without",
        "HTTP or a policy: the whole report (`Gateway.run`), and the bureau subgraph alone",
        "executing the `_entities` fetch the gateway sends it (accounts, repayment months,",
        "parties, summary, guarantees).",
        f"Medians of {rounds} rounds over {subjects:,} seeded subjects; CPU is this process's",
        "(PostgreSQL's work left out). The baseline rows run the same subgraphs through",
        "graphql-core's own execution instead of creditgraph's execution a level at a time",
        "(subgraphs/execution.py), in the same process.",
        "",
        *_table(rows),
        "",
        f"Target: the bureau fetch at most {TARGET_MICROSECONDS:.0f} µs of CPU per field:"
        f" {per_field:.1f} µs, {verdict}.",
        "",
        "What stands in the way, by profile (`--profile 40`): each request runs its statements",
        "on one connection (no pool acquire a statement); a subject's accounts come with their",
        "lenders, parties and repayment months, and its credit summary's facts in one statement;",
        "fields reached through lists resolve once per level (level resolvers,",
        "subgraphs/per_level.py); a page's cursors are made only when asked for. The fetch",
        "still sends 19 statements, each a dataloader batch with its own task, futures and",
        "event-loop turns (asyncio is about a fifth of the CPU; a level's resolvers are",
        "stepped in the request's own task). The 1,010 repayment-month fields are about a",
        "fifth of the fetch's CPU (dropped from the document, it costs that much less): the",
        "rest is the statements and the subject's own fields. One statement for a subject's",
        "own lists (phones, addresses, employments, educations, marriages, each with its own",
        "columns and order today) is what would close more of the distance.",
        "",
        "```sh",
        f".venv/bin/python bench/subgraph_report.py --subjects {subjects} --rounds {rounds}"
        " --out docs/benchmarks.md",
        "```",
        "",
        end,
        "",
    ]
    return "\n".join(lines)


async def _run(dsn: str, subjects: int, rounds: int, profile: int) -> list[Row]:
    identifier = await seed_and_find_busiest(dsn, subjects)
    query = OPERATION.read_text(encoding="utf-8")
    variables: dict[str, Any] = {"identifier": identifier}
    pool = await create_pool(dsn, min_size=1, max_size=4)
    try:
        schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
        transport = InProcessTransport(schemas, pool)
        recorder = Recorder(transport)
        gateway = Gateway(Supergraph(supergraph_path().read_text(encoding="utf-8")), transport)
        prepared = gateway.prepare(query, variables, None)
        answer = await gateway.run(prepared, dict(variables), recorder)
        assert "errors" not in answer, answer["errors"]
        fields = count_fields(answer["data"])

        async def report() -> None:
            await gateway.run(prepared, dict(variables))

        bureau_fields, document, fetch_variables = recorder.largest["bureau"]
        bureau: strawberry.Schema = schemas["bureau"]

        async def bureau_fetch() -> None:
            result = await bureau.execute(
                document,
                variable_values=orjson.loads(fetch_variables),
                context_value=SubgraphContext(pool),
            )
            assert not result.errors, result.errors

        for _ in range(3):  # warm statement caches and the schema's document caches
            await report()
            await bureau_fetch()
        whole = await timed(rounds, report)
        part = await timed(rounds, bureau_fetch)
        if profile:  # the report as served, before the subgraphs are switched to the baseline
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(rounds):
                await report()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
        # the baseline: every subgraph completing every list item through graphql-core
        for schema in schemas.values():
            schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
        await report()
        whole_plain = await timed(rounds, report)
        part_plain = await timed(rounds, bureau_fetch)
        print(f"subject {identifier}: median of {rounds} rounds")
        print(
            f"{'path':<24}{'fields':>8}{'per report':>14}{'per field':>12}"
            f"{'CPU/report':>14}{'CPU/field':>12}"
        )
        rows: list[Row] = [
            ("report (gateway.run)", fields, whole),
            ("bureau entity fetch", bureau_fields, part),
            ("report, baseline", fields, whole_plain),
            ("bureau fetch, baseline", bureau_fields, part_plain),
        ]
        for label, count, (seconds, cpu) in rows:
            print(
                f"{label:<24}{count:>8,}{seconds * 1e3:>11.2f} ms{seconds / count * 1e6:>9.2f} µs"
                f"{cpu * 1e3:>11.2f} ms{cpu / count * 1e6:>9.2f} µs"
            )
        print(
            f"CPU against the baseline: report {whole[1] / whole_plain[1]:.2f}×, "
            f"bureau fetch {part[1] / part_plain[1]:.2f}×"
        )
        return rows
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        rows = asyncio.run(_run(server.dsn, args.subjects, args.rounds, args.profile))
    if args.out is not None:
        write_section(args.out, "subgraph_report", _section(args.subjects, args.rounds, rows))


if __name__ == "__main__":
    main()
