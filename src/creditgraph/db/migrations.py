"""Plain-SQL migrations, applied in order and never silently rewritten.

Files live at `migrations/<component>/NNNN_description.sql`. Components are
applied in the fixed order of `COMPONENTS` (`common` first: it holds the
functions other schemas' CHECK constraints call), files within a component in
version order. Each file runs in its own transaction together with the ledger
row that records its name and SHA-256, so a failed file leaves nothing behind.

Before applying anything the runner compares every applied file with the
ledger: an applied file that was edited or removed stops the run, because the
database no longer matches what the repository says it is. Concurrent runners
serialise on an advisory lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from creditgraph.db.queries import load_queries
from creditgraph.errors import MigrationError

COMPONENTS = ("common", "bureau", "public", "scores", "gateway", "furnishing")
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x6372656469746772  # "creditgr"
_SQL = load_queries(Path(__file__).parent / "sql" / "migrations.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    component: str
    version: int
    name: str
    path: Path
    checksum: str
    # the exact bytes the checksum covers, so what runs is what is recorded
    sql: str

    @property
    def label(self) -> str:
        return f"{self.component}/{self.path.name}"


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    component: str
    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class MigrationReport:
    applied: tuple[Migration, ...]
    already_applied: int


def discover(root: Path) -> list[Migration]:
    """Every migration file under root, in application order; misnamed files are refused."""
    if not root.is_dir():
        raise MigrationError(f"migrations directory {root} does not exist")
    found: list[Migration] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and entry.name not in COMPONENTS:
            raise MigrationError(
                f"migrations/{entry.name} is not a known component ({', '.join(COMPONENTS)})"
            )
    for component in COMPONENTS:
        folder = root / component
        if not folder.is_dir():
            continue
        seen: dict[int, Path] = {}
        for path in sorted(folder.iterdir()):
            match = _FILENAME.match(path.name)
            if match is None:
                raise MigrationError(
                    f"migrations/{component}/{path.name} is not named NNNN_description.sql"
                )
            version = int(match.group(1))
            if version in seen:
                raise MigrationError(
                    f"migrations/{component} has two files numbered {version:04d}: "
                    f"{seen[version].name} and {path.name}"
                )
            seen[version] = path
            content = path.read_bytes()
            found.append(
                Migration(
                    component=component,
                    version=version,
                    name=match.group(2),
                    path=path,
                    checksum=hashlib.sha256(content).hexdigest(),
                    sql=content.decode("utf-8"),
                )
            )
    return found


async def applied_migrations(conn: asyncpg.Connection) -> list[AppliedMigration]:
    exists = await conn.fetchval("select to_regclass('creditgraph_meta.schema_migrations')")
    if exists is None:
        return []
    return [AppliedMigration(**dict(row)) for row in await conn.fetch(_SQL["applied"])]


def _check_history(on_disk: list[Migration], applied: list[AppliedMigration]) -> None:
    by_key = {(m.component, m.version): m for m in on_disk}
    for row in applied:
        label = f"{row.component}/{row.version:04d}_{row.name}.sql"
        current = by_key.get((row.component, row.version))
        if current is None:
            raise MigrationError(
                f"migration {label} was applied to this database but is missing from the repository"
            )
        if current.checksum != row.checksum:
            raise MigrationError(
                f"migration {current.label} was edited after it was applied "
                f"(applied checksum {row.checksum[:12]}, file now {current.checksum[:12]}); "
                "add a new migration instead of changing an applied one"
            )


def _check_order(todo: list[Migration], applied: list[AppliedMigration]) -> None:
    """A pending file numbered below an applied one (say, from a merged branch) is refused."""
    newest: dict[str, int] = {}
    for row in applied:
        newest[row.component] = max(row.version, newest.get(row.component, 0))
    for migration in todo:
        if migration.version < newest.get(migration.component, 0):
            raise MigrationError(
                f"migration {migration.label} is not applied but a later "
                f"{migration.component} migration is; renumber it after "
                f"{newest[migration.component]:04d}"
            )


async def pending(conn: asyncpg.Connection, root: Path) -> list[Migration]:
    """Migrations not yet applied, after checking the applied ones are untouched."""
    on_disk = discover(root)
    applied = await applied_migrations(conn)
    _check_history(on_disk, applied)
    done = {(row.component, row.version) for row in applied}
    todo = [m for m in on_disk if (m.component, m.version) not in done]
    _check_order(todo, applied)
    return todo


async def migrate(conn: asyncpg.Connection, root: Path) -> MigrationReport:
    """Apply every pending migration under root, holding the migration lock throughout."""
    try:
        return await _migrate_locked(conn, root)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise MigrationError(f"cannot migrate the database: {exc}") from None


async def _migrate_locked(conn: asyncpg.Connection, root: Path) -> MigrationReport:
    await conn.execute(_SQL["lock"], _LOCK_KEY)
    try:
        if await conn.fetchval("select to_regclass('creditgraph_meta.schema_migrations')") is None:
            # only created when missing: CREATE … IF NOT EXISTS still needs the
            # CREATE privilege, which a migrated database's app role may lack
            await conn.execute(_SQL["create_ledger"])
        todo = await pending(conn, root)
        total = len(discover(root))
        for migration in todo:
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        _SQL["record"],
                        migration.component,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"migration {migration.label} failed: {exc}") from None
        return MigrationReport(applied=tuple(todo), already_applied=total - len(todo))
    finally:
        # best effort: on a broken connection the lock dies with the session,
        # and the original error is the one worth reporting
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await conn.execute(_SQL["unlock"], _LOCK_KEY)
