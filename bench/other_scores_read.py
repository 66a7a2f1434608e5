"""What hiding aged-out scores costs the scores subgraph's read of a subject's observations.

A city or commercial observation is hidden once a negative record on its subject's file when it
was made has left the reports, worked out as it is read (README, "Negative records age out").
This times the scores subgraph's `observations_by_subject` statement as served against the
floor: the same statement hiding only by the bureau's stored `shown_until`, as if the other
scorers aged nothing. Both read the observations of the same subjects: one subject (a
report; each of 200 in turn) and 200 at once (a page of subjects, the dataloader's batch),
today and ten years on (when every seeded negative record has left, so the work of hiding is
all there is).
Seeds an embedded PostgreSQL (seed 1) in a temporary directory; medians of `--rounds`.

    .venv/bin/python bench/other_scores_read.py --subjects 1000 --rounds 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from seeded_world import seed_and_find_busiest

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.scores.dataloaders import SQL

SERVED = SQL["observations_by_subject"]
FLOOR = """
select o.subject_identifier, o.id, o.model_id, m.scale, o.value, o.band, o.observed_at
from scores.observations o
join scores.models m on m.id = o.model_id
where o.subject_identifier = any($1::text[])
  and (o.shown_until is null or o.shown_until > common.today())
order by o.subject_identifier, o.observed_at desc, o.id desc
"""


async def _median_ms(
    conn: asyncpg.Connection, sql: str, reads: list[list[str]], rounds: int
) -> float:
    """The median time of one read, the reads taken in turn `rounds` times over."""
    statement = await conn.prepare(sql)
    for keys in reads[:10]:  # its plans (and the functions' own) settled before timing
        await statement.fetch(keys)
    times = []
    for turn in range(rounds):
        keys = reads[turn % len(reads)]
        started = time.perf_counter()
        await statement.fetch(keys)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def _run(dsn: str, subjects: int, rounds: int) -> str:
    await seed_and_find_busiest(dsn, subjects)
    conn = await asyncpg.connect(dsn)
    try:
        everyone = [
            r["identifier"]
            for r in await conn.fetch("select identifier from bureau.subjects order by identifier")
        ]
        rows = [
            "| day | subjects read | served (ms) | floor (ms) | served / floor |",
            "|---|---:|---:|---:|---:|",
        ]
        for day in ("today", "ten years on"):
            if day != "today":
                await conn.execute(
                    "select set_config('creditgraph.today', "
                    "(current_date + interval '10 years')::date::text, false)"
                )
            # each of 200 subjects alone (a report), and the 200 at once (a batch)
            for reads in ([[one] for one in everyone[:200]], [everyone[:200]]):
                served = await _median_ms(conn, SERVED, reads, rounds)
                floor = await _median_ms(conn, FLOOR, reads, rounds)
                rows.append(
                    f"| {day} | {len(reads[0])} | {served:.2f} | {floor:.2f} "
                    f"| {served / floor:.1f}x |"
                )
        load = f"{os.getloadavg()[0]:.1f}"
    finally:
        await conn.close()
    return "\n".join(rows) + f"\n\nload average while measuring: {load} ({rounds} rounds each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        print(asyncio.run(_run(server.dsn, args.subjects, args.rounds)))


if __name__ == "__main__":
    main()
