"""How long `creditgraph seed` takes, on a throwaway embedded PostgreSQL.

    python bench/seed.py --subjects 100000 [--seed 1]

Prints the elapsed time and the rows loaded per table.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import asyncpg

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.resources import migrations_root
from creditgraph.seed import seed_database


async def _run(dsn: str, subjects: int, seed: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        report = await seed_database(conn, subjects=subjects, seed=seed)
    finally:
        await conn.close()
    print(report.summary())
    for table, count in sorted(report.rows.items()):
        print(f"  {table:<42} {count:>12,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        asyncio.run(_run(server.dsn, args.subjects, args.seed))


if __name__ == "__main__":
    main()
