"""Loading the generated rows: COPY, one transaction, a progress bar.

The whole seed is one transaction, so a failure half-way leaves the database as it was. The
rows are made by a process of their own (stream.py) while this one copies what it has made
so far, so generating and loading overlap and memory stays flat however many subjects are
asked for.

The seeded tables are emptied first, in the same transaction, and loaded without their keys,
indexes and foreign keys, which are built again once everything is in: PostgreSQL builds an
index from all the rows at once much faster than it maintains one row by row, and checks a
foreign key over a whole table with one join instead of a lookup per row. Because the tables
were emptied in this transaction, COPY may write the rows frozen (FREEZE), so nothing has to
visit them again to mark them visible. The counted inquiries and the inquiry tallies, which a
trigger keeps as inquiries are recorded one by one, are derived from the loaded inquiries in
one statement each instead.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from rich.progress import Progress

from creditgraph.db.queries import load_queries
from creditgraph.errors import SeedError
from creditgraph.seed.tables import COLUMNS

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


@dataclass(frozen=True, slots=True)
class _Frame:
    table: str
    rows: int
    data: bytes


async def _read_frames(
    frames: asyncio.StreamReader,
    tables: asyncio.Queue[_Frame | None],
    progress: Progress | None,
    subjects: int,
) -> None:
    """Read the generator's frames as they come, so it never waits for a COPY to end."""
    task = progress.add_task("generating subjects", total=subjects) if progress else None
    while True:
        header = (await frames.readline()).decode()
        kind, *fields = header.split() or ["?"]
        if kind == "E":
            await tables.put(None)
            return
        if kind == "P":
            if progress is not None and task is not None:
                progress.update(task, completed=int(fields[0]))
        elif kind == "T":
            data = await frames.readexactly(int(fields[2]))
            await tables.put(_Frame(fields[0], int(fields[1]), data))
        else:
            raise asyncio.IncompleteReadError(header.encode(), None)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    """`data` as the source COPY reads (bytes alone would be taken for a file name)."""
    yield data


async def _copy_frames(
    conn: asyncpg.Connection, tables: asyncio.Queue[_Frame | None], report: SeedReport
) -> None:
    """COPY each table's rows as they arrive, until the generator's end."""
    while (frame := await tables.get()) is not None:
        schema, name = frame.table.split(".")
        await conn.copy_to_table(
            name,
            schema_name=schema,
            columns=COLUMNS[frame.table],
            source=_once(frame.data),
            format="text",
            freeze=True,
        )
        report.rows[frame.table] = report.rows.get(frame.table, 0) + frame.rows


async def _load(conn: asyncpg.Connection, report: SeedReport, progress: Progress | None) -> None:
    """Run the generator process and copy what it writes; its failure is the seed's."""
    generator = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "creditgraph.seed.stream",
        str(report.subjects),
        str(report.seed),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 20,
    )
    assert generator.stdout is not None
    assert generator.stderr is not None
    errors = asyncio.ensure_future(generator.stderr.read())
    # a batch or two in hand: the generator keeps going while one is copied
    tables: asyncio.Queue[_Frame | None] = asyncio.Queue(maxsize=2 * len(COLUMNS))
    reading = asyncio.ensure_future(
        _read_frames(generator.stdout, tables, progress, report.subjects)
    )
    copying = asyncio.ensure_future(_copy_frames(conn, tables, report))
    try:
        done, _ = await asyncio.wait((reading, copying), return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # the first failure, if any
        await copying
    except asyncio.IncompleteReadError:
        await generator.wait()
        reason = (await errors).decode(errors="replace").strip().splitlines()
        raise SeedError(
            f"the seed generator stopped (exit status {generator.returncode}): "
            + (reason[-1] if reason else "no reason given")
        ) from None
    finally:
        for task in (reading, copying):
            task.cancel()
        if generator.returncode is None:
            generator.kill()
        await generator.wait()
        errors.cancel()


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
        await conn.execute(_SQL["prepare_bulk_load"])
        keys = await conn.fetch(_SQL["keys_of_seeded_tables"], list(COLUMNS))
        for key in keys:
            await conn.execute(key["drop_statement"])

        await _load(conn, report, progress)
        # the authorisations the loaded credits were made under, derived from them in one pass
        granted = await conn.execute(_SQL["origination_grants"])
        table = "gateway.consent_grants"
        report.rows[table] = report.rows.get(table, 0) + int(granted.rsplit(" ", 1)[1])

        building = progress.add_task("building indexes", total=len(keys)) if progress else None
        for done, key in enumerate(reversed(keys), start=1):
            await conn.execute(key["create_statement"])
            if progress is not None and building is not None:
                progress.update(building, completed=done)
        await conn.execute(_SQL["derive_inquiry_tables"])
        await conn.execute(_SQL["advance_identities"])
    # Fresh statistics, so the first queries on the new data get good plans.
    analysing = progress.add_task("analysing", total=1) if progress else None
    await conn.execute("analyze")
    if progress is not None and analysing is not None:
        progress.update(analysing, completed=1)
    report.seconds = time.perf_counter() - started
    return report
