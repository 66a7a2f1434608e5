"""How long `creditgraph seed` takes, on a fresh embedded PostgreSQL (thrown away, or kept).

    python bench/seed.py --subjects 100000[,1000000] [--seed 1] [--keep]
                         [--out docs/benchmarks.md]

For each size in turn, on a fresh server each time, prints the elapsed time, the CPU time it
took (this process and the generator process it starts, and PostgreSQL's server processes),
and the rows loaded per table. On a shared machine the elapsed time moves with whatever else
runs; the CPU time much less. With `--out` the figures go into that page's `seed` section,
a row per size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from peers_db import cache_dir, remember
from peers_report import section_markers, write_section

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.resources import migrations_root
from creditgraph.seed import SeedReport, seed_database


def own_cpu_seconds() -> float:
    """User and system time of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def server_cpu_seconds(postmaster: int) -> float:
    """User and system time of PostgreSQL's postmaster and its ended backends and workers."""
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime: fields 14-17 of stat, counted from the state (field 3)
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


async def seed_once(
    dsn: str, postmaster: int, subjects: int, seed: int
) -> tuple[SeedReport, float, float]:
    """Seed a migrated database; returns the report, our CPU seconds and the server's."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
    finally:
        await conn.close()
    own, server = own_cpu_seconds(), server_cpu_seconds(postmaster)
    conn = await asyncpg.connect(dsn)
    try:
        report = await seed_database(conn, subjects=subjects, seed=seed)
    finally:
        await conn.close()
    await asyncio.sleep(0.5)  # the backend ends, and its time is added to the postmaster's
    return report, own_cpu_seconds() - own, server_cpu_seconds(postmaster) - server


@dataclass(frozen=True, slots=True)
class Measured:
    report: SeedReport
    elapsed: float
    own: float  # the generator's and the loader's CPU seconds
    database: float  # PostgreSQL's
    load: tuple[float, float, float]  # the load average when it ended


def measure(subjects: int, seed: int, keep: bool) -> Measured:
    """Seed `subjects` on a fresh embedded PostgreSQL: a throwaway one, removed afterwards, or
    with `keep` the one bench/population_growth.py and bench/peers.py would seed for this size
    (their cache, bench/peers_db.py), left there for them."""
    with ExitStack() as stack:
        if keep:
            directory = cache_dir(subjects, seed)
            shutil.rmtree(directory, ignore_errors=True)  # fresh, as the figures must be
            directory.mkdir(parents=True)
        else:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cg-seed-")))
        server = stack.enter_context(EmbeddedPostgres(directory / "pgdata"))
        postmaster = server.postmaster_pid()
        assert postmaster is not None
        started = time.perf_counter()
        report, own, database = asyncio.run(seed_once(server.dsn, postmaster, subjects, seed))
        elapsed = time.perf_counter() - started
        if keep:
            remember(directory, report, elapsed)
    return Measured(report, elapsed, own, database, os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", default="100000", help="sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave each seeded database where population_growth.py and peers.py reuse it",
    )
    args = parser.parse_args()
    runs = []
    for subjects in (int(size) for size in args.subjects.split(",")):
        run = measure(subjects, args.seed, args.keep)
        print(run.report.summary())
        print(
            f"elapsed {run.elapsed:.1f} s; CPU {run.own + run.database:.1f} s"
            f" (generator and loader {run.own:.1f} s, PostgreSQL {run.database:.1f} s);"
            f" load average {', '.join(f'{n:.2f}' for n in run.load)}"
        )
        for table, count in sorted(run.report.rows.items()):
            print(f"  {table:<42} {count:>12,}")
        runs.append(run)
    if args.out is not None:
        write_section(args.out, "seed", _section(args, runs))


# the targets: seconds for a number of subjects
TARGETS = {100_000: 90.0, 1_000_000: 900.0}


def _verdict(runs: list[Measured]) -> str:
    """Each target's size measured: met or not, and the least elapsed time its CPU allows."""
    said = []
    for run in runs:
        target = TARGETS.get(run.report.subjects)
        if target is None:
            continue
        cpu = run.own + run.database
        said.append(
            f"{run.report.subjects:,} subjects: {run.elapsed:.0f} s against {target:.0f} s,"
            f" {'met' if run.elapsed <= target else 'not met'} (its {cpu:.0f} s of CPU on two"
            f" cores wholly overlapped would take {cpu / 2:.0f} s)"
        )
    return ("Targets: " + "; ".join(said) + ".") if said else ""


def _section(args: argparse.Namespace, runs: list[Measured]) -> str:
    start, end = section_markers("seed")
    lines = [
        start,
        "",
        "## Seeding",
        "",
        f"`creditgraph seed --subjects N --seed {args.seed}`'s work on a fresh embedded",
        "PostgreSQL for each N. Targets: 100,000 subjects in 90 s, 1,000,000 in 15 minutes.",
        "",
        "| subjects | rows | repayment records | elapsed s | CPU s | generator and loader CPU s"
        " | PostgreSQL CPU s | load average at the end |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        rows = sum(run.report.rows.values())
        lines.append(
            f"| {run.report.rows.get('bureau.subjects', 0):,} | {rows:,}"
            f" | {run.report.rows.get('bureau.repayments', 0):,} | {run.elapsed:.1f}"
            f" | {run.own + run.database:.1f} | {run.own:.1f} | {run.database:.1f}"
            f" | {', '.join(f'{n:.2f}' for n in run.load)} |"
        )
    lines += ["", _verdict(runs), ""]
    lines += [
        "The generator (a process of its own) and PostgreSQL each keep a core busy while the",
        "rows stream; the keys, indexes and foreign keys are built once the rows are in.",
        "Elapsed time is what a user waits and moves with whatever else the machine runs (2",
        "cores, shared: a load average over 2 means other work was waiting for them too); the",
        "CPU time much less.",
        "",
        "What the figures rest on, profiled on 2026-12-03 (py-spy on the generator, per-statement",
        "timings of the loader): the generator's CPU for 20,000 subjects went from 13.8 s to 7.4 s",
        "with the same bytes out (a normal month's repayment line spelled from per-account text;",
        "each distinct file scored once, its reason and dimension rows' text cached), and",
        "PostgreSQL's by about 15% with minimal WAL on the embedded server (the seed's tables are",
        "emptied in its transaction, so their COPY and index builds are synced at commit instead",
        "of logged). Where the time goes: PostgreSQL's own work, mostly parsing 103 rows of",
        "repayment records per subject and building their primary key, is now the larger share.",
        "After the rows are in, that primary key is sorted by parallel workers (4.6 s to 2.3 s at",
        "30,000 subjects), but the other keys and the foreign keys are built by one backend",
        "while the other core idles, and at 1,000,000 subjects the builds sort 103 million rows",
        "through disk.",
        "",
        "```sh",
        f".venv/bin/python bench/seed.py --subjects {args.subjects}"
        + (" --keep" if args.keep else "")
        + " --out docs/benchmarks.md",
        "```",
        "",
        end,
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
