"""Whether the underwriting report costs more in a larger population.

    python bench/population_growth.py [--sizes 10000,30000,100000,1000000] [--rounds 5]
                                      [--sample 200] [--out docs/benchmarks.md]

A bank's report on one subject should cost the same whether the bureau holds ten thousand
subjects or a million: every statement it runs reaches the subject's rows through an
index, never by reading a table whose size grows with the population. For each size this
seeds an embedded PostgreSQL with `creditgraph seed`'s code (seed 1; the database is kept
between runs, as bench/peers.py keeps its own, keyed by the size and by what decides the
rows) and times the bank underwriting operation
(graphql/operations/bank_underwriting.graphql) through the in-process gateway without a
policy, as `creditgraph serve --in-process --no-policy` runs it: one request at a time,
for `--sample` subjects spread over the population (the same rule picks them at every
size), once to warm the caches and then `--rounds` times each, every size's database up at
once and its pass taken in turn within each round, so whatever else the machine is doing
weighs on every size alike. It reports the median
(p50) and the 90th percentile of those requests, and this process's CPU time per report
(PostgreSQL's work is in the elapsed figures only), each as a ratio to the smallest size.

Then it records every SQL statement the report sends (asyncpg's query logger, for a few
subjects of the largest size) and writes each one's plan (`EXPLAIN (COSTS OFF)`, with the
parameters it was sent with) into the page: the plans show how each row is reached. A
sequential scan of a table the seed fills per subject is flagged.

With `--out` the figures, the plans and a chart (SVG, drawn here) go into that page's
`population_growth` section (bench/peers_report.py's section writer).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from peers_db import Seeding, cache_dir, ensure_seeded
from peers_report import section_markers, write_section
from svg_chart import Guide, Series, line_chart

from creditgraph.commands import in_process_gateway
from creditgraph.db.connect import StatelessConnection, create_pool
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.gateway import Supergraph
from creditgraph.resources import operations_root, supergraph_path
from creditgraph.seed.tables import COLUMNS

START, END = section_markers("population_growth")
OPERATION = "BankUnderwriting"
# the same subjects' share of the population at every size: an md5 order, not the ids
_SAMPLE = """
select identifier from bureau.subjects
order by md5('population-growth' || identifier)
limit $1
"""
_SIZE = """
select sum(c.reltuples)::bigint
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname in ('bureau', 'public_records', 'scores', 'gateway')
"""
# tables whose rows grow with the population (as EXPLAIN names them, without the schema):
# a sequential scan of one is a defect
_REFERENCE = {
    "bureau.institutions",
    "gateway.requesters",
    "gateway.mandates",
    "scores.models",
    "scores.bands",
    "public_records.notice_subscriptions",
}
_PER_SUBJECT = frozenset(table.split(".")[1] for table in set(COLUMNS) - _REFERENCE)
_SCHEMAS = ("bureau.", "public_records.", "scores.", "gateway.")


@dataclass(frozen=True, slots=True)
class Point:
    subjects: int
    rows: int
    seeding: Seeding
    p50_ms: float
    p90_ms: float
    cpu_ms: float
    requests: int


@dataclass(frozen=True, slots=True)
class Plan:
    statement: str
    plan: str
    sequential: tuple[str, ...]  # per-subject tables the chosen plan reads whole
    unindexed: tuple[str, ...]  # ... and those it reads whole even with no other way allowed


def _query() -> str:
    return (operations_root() / "bank_underwriting.graphql").read_text(encoding="utf-8")


class _Target:
    """One population's database, gateway and sample, timed a pass at a time."""

    def __init__(self, size: int, seeding: Seeding, pool: asyncpg.Pool) -> None:
        self.size, self.seeding, self.pool = size, seeding, pool
        self.elapsed: list[float] = []
        self.cpu: list[float] = []

    async def open(self, sample: int) -> None:
        self.sample = [row["identifier"] for row in await self.pool.fetch(_SAMPLE, sample)]
        self.rows = int(await self.pool.fetchval(_SIZE))
        supergraph = Supergraph(supergraph_path().read_text("utf-8"))
        self.gateway = in_process_gateway(supergraph, self.pool)
        self.prepared = self.gateway.prepare(_query(), {"identifier": self.sample[0]}, OPERATION)

    async def one_pass(self, *, timed: bool) -> None:
        """Every sampled subject's report once; the warm-up pass is not kept."""
        for identifier in self.sample:
            started, used = time.perf_counter(), time.process_time()
            answer = await self.gateway.run(self.prepared, {"identifier": identifier})
            if timed:
                self.elapsed.append(time.perf_counter() - started)
                self.cpu.append(time.process_time() - used)
            if "errors" in answer:
                raise RuntimeError(f"the report failed for {identifier}: {answer['errors']}")

    def point(self) -> Point:
        deciles = statistics.quantiles(self.elapsed, n=10)
        return Point(
            subjects=self.size,
            rows=self.rows,
            seeding=self.seeding,
            p50_ms=statistics.median(self.elapsed) * 1000,
            p90_ms=deciles[-1] * 1000,
            cpu_ms=statistics.median(self.cpu) * 1000,
            requests=len(self.elapsed),
        )


async def _measure(
    databases: list[tuple[int, Seeding, str]], args: argparse.Namespace
) -> list[Point]:
    """Every size's passes in turn, round after round, so what else the machine is doing at
    any moment weighs on every size alike."""
    pools = [await create_pool(dsn, max_size=4) for _, _, dsn in databases]
    targets = [
        _Target(size, seeding, pool)
        for (size, seeding, _), pool in zip(databases, pools, strict=True)
    ]
    try:
        for target in targets:
            await target.open(args.sample)
            await target.one_pass(timed=False)  # every subject's pages read once, every path run
        for _ in range(args.rounds):
            for target in targets:
                await target.one_pass(timed=True)
        for target in targets:
            await target.gateway.aclose()
    finally:
        for pool in pools:
            await pool.close()
    return [target.point() for target in targets]


def _sequential(plan: str) -> tuple[str, ...]:
    """The per-subject tables the plan reads whole."""
    scanned = []
    for line in plan.splitlines():
        text = line.strip().removeprefix("->").strip()
        if text.startswith(("Seq Scan on ", "Parallel Seq Scan on ")):
            table = text.split(" on ", 1)[1].split()[0]
            if table in _PER_SUBJECT:
                scanned.append(table)
    return tuple(scanned)


async def _plans(dsn: str, sample: int) -> list[Plan]:
    """Every distinct statement the report sends, with its plan for the first parameters sent."""
    sent: dict[str, tuple[Any, ...]] = {}

    def log(record: asyncpg.connection.LoggedQuery) -> None:
        # the report's statements, not asyncpg's own look-ups of types in the catalog
        if record.exception is None and any(schema in record.query for schema in _SCHEMAS):
            sent.setdefault(record.query, tuple(record.args))

    async def watch(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(log)

    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=2, init=watch, connection_class=StatelessConnection
    )
    assert pool is not None
    try:
        identifiers = [row["identifier"] for row in await pool.fetch(_SAMPLE, sample)]
        sent.clear()  # the sample's own query is not the report's
        gateway = in_process_gateway(Supergraph(supergraph_path().read_text("utf-8")), pool)
        prepared = gateway.prepare(_query(), {"identifier": identifiers[0]}, OPERATION)
        for identifier in identifiers:
            await gateway.run(prepared, {"identifier": identifier})
        await gateway.aclose()
        statements = dict(sent)
        plans = []
        async with pool.acquire() as conn:
            for statement, parameters in statements.items():
                explain = f"explain (costs off) {statement}"
                plan = "\n".join(row[0] for row in await conn.fetch(explain, *parameters))
                # a sequential scan the planner still takes when told to avoid them is one no
                # index can replace: the access path is not indexed, whatever the table's size
                async with conn.transaction():
                    await conn.execute("set local enable_seqscan = off")
                    forced = "\n".join(row[0] for row in await conn.fetch(explain, *parameters))
                plans.append(Plan(statement.strip(), plan, _sequential(plan), _sequential(forced)))
    finally:
        await pool.close()
    return plans


def _chart(points: list[Point], path: Path) -> None:
    """p50 and CPU per report against the population, each as a ratio to the smallest size:
    a flat line at 1 is cost independent of population."""
    base = points[0]
    line_chart(
        path,
        title="Underwriting report cost against population",
        x_label="subjects (log scale)",
        y_label="ratio to the smallest population",
        xs=tuple(point.subjects for point in points),
        series=(
            Series("p50 latency", tuple(point.p50_ms / base.p50_ms for point in points)),
            Series("CPU per report", tuple(point.cpu_ms / base.cpu_ms for point in points)),
        ),
        guide=Guide(1.2, "target: 1.2×"),
        log_x=True,
    )


def _section(
    points: list[Point], plans: list[Plan], args: argparse.Namespace, chart: Path | None
) -> str:
    base = points[0]
    last = points[-1]
    met = last.p50_ms / base.p50_ms <= 1.2
    scanned = sorted({table for plan in plans for table in plan.sequential})
    unindexed = sorted({table for plan in plans for table in plan.unindexed})
    lines = [
        START,
        "",
        "## Cost independent of population",
        "",
        "The bank underwriting operation through the in-process gateway without a policy, one",
        f"request at a time, for the same {args.sample} subjects' share of each population",
        f"(an md5 order of their identifiers), warmed once and then asked {args.rounds} times",
        "each, every size's pass in turn in each round (so whatever else the machine was doing",
        "weighed on every size alike). CPU is this process's time per report (the gateway and",
        "the subgraphs); PostgreSQL's work shows in the elapsed figures only.",
        "",
        "| subjects | rows | seeded in s | p50 ms | × | p90 ms | × | CPU ms per report | × |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for point in points:
        lines.append(
            f"| {point.subjects:,} | {point.rows:,} | {point.seeding.seconds:.0f} | "
            f"{point.p50_ms:.1f} | {point.p50_ms / base.p50_ms:.2f}× | "
            f"{point.p90_ms:.1f} | {point.p90_ms / base.p90_ms:.2f}× | "
            f"{point.cpu_ms:.1f} | {point.cpu_ms / base.cpu_ms:.2f}× |"
        )
    lines += [""]
    if chart is not None:
        lines += [f"![report cost against population]({chart.name})", ""]
    lines += [
        f"Target: p50 at the largest size within 1.2× of the smallest: "
        f"{last.p50_ms / base.p50_ms:.2f}× at {last.subjects:,} subjects, "
        + ("met." if met else "not met."),
        "",
        f"The report sends {len(plans)} distinct statements; their plans at "
        f"{last.subjects:,} subjects follow, each for the parameters it was first sent with. "
        "Tables that grow with the population read whole by a chosen plan: "
        + (", ".join(f"`{table}`" for table in scanned) or "none")
        + " (a table of a few pages is cheaper to read whole than through its index, and the "
        "planner says so). Read whole even with sequential scans disabled, that is with no "
        "index to reach the rows by: "
        + (", ".join(f"`{table}`" for table in unindexed) or "none")
        + " (a correlated `exists` counts here too when the planner makes it one hashed scan:"
        " it weighs that against a probe of the index per row on cost alone, so a hashed scan"
        " of a small table shows here, and gives way to the index as the table grows).",
        "",
    ]
    for number, plan in enumerate(plans, start=1):
        lines += [
            "<details>",
            f"<summary>statement {number}</summary>",
            "",
            "```sql",
            plan.statement,
            "```",
            "",
            "```",
            plan.plan,
            "```",
            "",
            "</details>",
            "",
        ]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    sizes = ",".join(str(point.subjects) for point in points)
    lines += [
        f"Load average at the end: {load} (2 cores, shared with other work: elapsed figures move",
        "with it, the ratios side by side less). The seeded databases are kept between runs.",
        "",
        "```sh",
        f".venv/bin/python bench/population_growth.py --sizes {sizes} --rounds {args.rounds} "
        f"--sample {args.sample} --out docs/benchmarks.md",
        "```",
        "",
        END,
        "",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> str:
    sizes = sorted(int(size) for size in args.sizes.split(","))
    with ExitStack() as servers:
        databases = []
        for size in sizes:
            directory = cache_dir(size, 1, args.cache_dir)
            directory.mkdir(parents=True, exist_ok=True)
            database = servers.enter_context(EmbeddedPostgres(directory / "pgdata"))
            seeding = asyncio.run(ensure_seeded(database.dsn, directory, subjects=size, seed=1))
            print(f"{size:,} subjects: seeded in {seeding.seconds:.0f} s", flush=True)
            databases.append((size, seeding, database.dsn))
        points = asyncio.run(_measure(databases, args))
        for point in points:
            print(point, flush=True)
        plans = asyncio.run(_plans(databases[-1][2], 5))
    chart = None
    if args.out is not None:
        chart = args.out.parent / "population-growth.svg"
        _chart(points, chart)
    return _section(points, plans, args, chart)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    text = run(args)
    print(text)
    if args.out is not None:
        write_section(args.out, "population_growth", text)


if __name__ == "__main__":
    main()
