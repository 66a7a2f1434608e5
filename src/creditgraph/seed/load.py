"""Loading the generated rows: COPY, one transaction, a progress bar.

The whole seed is one transaction, so a failure half-way leaves the database
as it was. Rows stream out of the generator a chunk at a time and are copied
in binary, so memory stays flat however many subjects are asked for.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from rich.progress import Progress

from creditgraph.db.queries import load_queries
from creditgraph.errors import SeedError
from creditgraph.seed import scoring
from creditgraph.seed.builder import Builder
from creditgraph.seed.cast import cast, reference_data
from creditgraph.seed.population import Population
from creditgraph.seed.tables import COLUMNS, Rows

MAX_SUBJECTS = 10_000_000
_SQL = load_queries(Path(__file__).parent / "sql" / "seed.sql")


@dataclass(slots=True)
class SeedReport:
    subjects: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        total = sum(self.rows.values())
        return (
            f"seeded {self.rows.get('bureau.subjects', 0):,} subjects "
            f"({self.subjects:,} generated with seed {self.seed}, plus the demo personas): "
            f"{total:,} rows in {self.seconds:.1f} s"
        )


async def _copy(conn: asyncpg.Connection, rows: Rows, report: SeedReport) -> None:
    """COPY what the generator made so far, parents first, and count it."""
    for table, batch in rows.drain():
        schema, name = table.split(".")
        await conn.copy_records_to_table(
            name, schema_name=schema, columns=COLUMNS[table], records=batch
        )
        report.rows[table] = report.rows.get(table, 0) + len(batch)


async def seed_database(
    conn: asyncpg.Connection,
    *,
    subjects: int,
    seed: int,
    force: bool = False,
    progress: Progress | None = None,
) -> SeedReport:
    """Load the personas and `subjects` generated subjects: same arguments, same data."""
    if not 0 <= subjects <= MAX_SUBJECTS:
        raise SeedError(f"--subjects must be between 0 and {MAX_SUBJECTS:,}, got {subjects:,}")
    if seed < 0:
        raise SeedError(f"--seed must be zero or more, got {seed}")
    started = time.perf_counter()
    report = SeedReport(subjects=subjects, seed=seed)
    async with conn.transaction():
        held = int(await conn.fetchval(_SQL["subject_count"]))
        if held and not force:
            raise SeedError(
                f"the database already holds {held:,} subjects; pass --force to replace them"
            )
        if held or force:
            await conn.execute(_SQL["empty_seeded_tables"])

        rows = Rows()
        builder = Builder(random.Random(seed), rows)
        model_ids = reference_data(builder)
        for subject in cast(builder):
            scoring.observe(builder, model_ids, subject)
        await _copy(conn, rows, report)

        task = progress.add_task("generating subjects", total=subjects) if progress else None
        population = Population(builder)
        scored = len(builder.subjects)
        for done in population.generate(subjects):
            for subject in builder.subjects[scored:]:
                scoring.observe(builder, model_ids, subject)
            scored = len(builder.subjects)
            await _copy(conn, rows, report)
            if progress is not None and task is not None:
                progress.update(task, completed=done)

        await conn.execute(_SQL["advance_identities"])
    # Fresh statistics, so the first queries on the new data get good plans.
    analysing = progress.add_task("analysing", total=1) if progress else None
    await conn.execute("analyze")
    if progress is not None and analysing is not None:
        progress.update(analysing, completed=1)
    report.seconds = time.perf_counter() - started
    return report
