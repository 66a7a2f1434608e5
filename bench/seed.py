"""How long `creditgraph seed` takes, on a throwaway embedded PostgreSQL.

    python bench/seed.py --subjects 100000 [--seed 1]

Prints the elapsed time, the CPU time it took (this process and the generator process it
starts, and PostgreSQL's server processes), and the rows loaded per table. On a shared
machine the elapsed time moves with whatever else runs; the CPU time much less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

import asyncpg

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        postmaster = server.postmaster_pid()
        assert postmaster is not None
        started = time.perf_counter()
        report, own, database = asyncio.run(
            seed_once(server.dsn, postmaster, args.subjects, args.seed)
        )
        elapsed = time.perf_counter() - started
    print(report.summary())
    print(
        f"elapsed {elapsed:.1f} s; CPU {own + database:.1f} s"
        f" (generator and loader {own:.1f} s, PostgreSQL {database:.1f} s);"
        f" load average {', '.join(f'{n:.2f}' for n in os.getloadavg())}"
    )
    for table, count in sorted(report.rows.items()):
        print(f"  {table:<42} {count:>12,}")


if __name__ == "__main__":
    main()
