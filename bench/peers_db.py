"""The seeded database bench/peers.py runs against, cached between runs.

Seeding 100,000 subjects takes minutes, so the embedded PostgreSQL's data
directory is kept under the system temp directory, keyed by the subject count,
the seed and a fingerprint of what decides the rows (the migrations and the
seed package): a second run with the same key reuses it, and a change to the
seed code or a migration gets a fresh one rather than stale data. A seed that
did not finish leaves no marker, so the next run seeds again.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg

from creditgraph.db.migrations import migrate
from creditgraph.resources import migrations_root
from creditgraph.seed import SeedReport, seed_database

_SEED_PACKAGE = Path(__file__).resolve().parents[1] / "src" / "creditgraph" / "seed"
_MARKER = "seeded.json"


@dataclass(frozen=True, slots=True)
class Seeding:
    """How the cached database came to be: when, how long it took, how many subjects."""

    subjects: int
    seed: int
    seconds: float
    seeded_at: str
    subject_rows: int
    total_rows: int
    reused: bool


def fingerprint() -> str:
    """A short digest of every file that decides the seeded rows."""
    digest = hashlib.sha256()
    files = sorted(migrations_root().rglob("*.sql")) + sorted(
        path for path in _SEED_PACKAGE.rglob("*") if path.suffix in {".py", ".sql"}
    )
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_dir(subjects: int, seed: int, root: Path | None = None) -> Path:
    base = root if root is not None else Path(tempfile.gettempdir()) / "creditgraph-bench-peers"
    return base / f"subjects-{subjects}-seed-{seed}-{fingerprint()}"


async def ensure_seeded(dsn: str, directory: Path, *, subjects: int, seed: int) -> Seeding:
    """Seed the database unless this cache directory says it already was."""
    marker = directory / _MARKER
    if marker.exists():
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        return Seeding(**{**recorded, "reused": True})
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        report = await seed_database(conn, subjects=subjects, seed=seed, force=True)
    finally:
        await conn.close()
    return remember(directory, report, time.perf_counter() - started)


def remember(directory: Path, report: SeedReport, seconds: float) -> Seeding:
    """Mark the cache directory's database as seeded (bench/seed.py --keep seeds one too)."""
    seeding = Seeding(
        subjects=report.subjects,
        seed=report.seed,
        seconds=seconds,
        seeded_at=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        subject_rows=report.rows.get("bureau.subjects", 0),
        total_rows=sum(report.rows.values()),
        reused=False,
    )
    recorded = {key: value for key, value in asdict(seeding).items() if key != "reused"}
    (directory / _MARKER).write_text(json.dumps(recorded, indent=2), encoding="utf-8")
    return seeding
