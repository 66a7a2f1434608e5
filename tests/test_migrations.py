"""The migration runner: order, ledger, refusal of edited history, atomicity, concurrency."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from creditgraph.db.migrations import COMPONENTS, applied_migrations, discover, migrate
from creditgraph.errors import MigrationError
from creditgraph.resources import migrations_root


@pytest.fixture
def scratch_migrations(tmp_path: Path) -> Path:
    """A private, editable set of migrations."""
    root = tmp_path / "migrations"
    (root / "bureau").mkdir(parents=True)
    (root / "bureau" / "0001_things.sql").write_text(
        "create schema bureau; create table bureau.things (id int);"
    )
    (root / "bureau" / "0002_more.sql").write_text("create table bureau.more (id int);")
    return root


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


async def test_applies_every_file_in_order_then_nothing(empty_database_url: str) -> None:
    conn = await _connect(empty_database_url)
    try:
        first = await migrate(conn, migrations_root())
        second = await migrate(conn, migrations_root())
        ledger = await applied_migrations(conn)
    finally:
        await conn.close()
    on_disk = discover(migrations_root())
    assert [m.label for m in first.applied] == [m.label for m in on_disk]
    assert second.applied == ()
    assert second.already_applied == len(on_disk)
    assert [(r.component, r.version, r.checksum) for r in ledger] == sorted(
        (m.component, m.version, m.checksum) for m in on_disk
    )
    # components are applied common-first, then in the fixed component order
    order = [m.component for m in first.applied]
    assert order == sorted(order, key=COMPONENTS.index)


async def test_each_component_lives_in_its_own_schema(db: asyncpg.Connection) -> None:
    rows = await db.fetch(
        "select table_schema, count(*) as n from information_schema.tables "
        "where table_schema in ('bureau', 'public_records', 'scores', 'gateway') "
        "group by table_schema"
    )
    counts = {r["table_schema"]: r["n"] for r in rows}
    assert set(counts) == {"bureau", "public_records", "scores", "gateway"}
    stray = await db.fetchval(
        "select count(*) from information_schema.tables where table_schema = 'public'"
    )
    assert stray == 0


async def test_edited_applied_migration_is_refused(
    empty_database_url: str, scratch_migrations: Path
) -> None:
    conn = await _connect(empty_database_url)
    try:
        await migrate(conn, scratch_migrations)
        (scratch_migrations / "bureau" / "0001_things.sql").write_text(
            "create schema bureau; create table bureau.things (id bigint);"
        )
        (scratch_migrations / "bureau" / "0003_new.sql").write_text(
            "create table bureau.new (id int);"
        )
        with pytest.raises(MigrationError, match=r"bureau/0001_things\.sql was edited"):
            await migrate(conn, scratch_migrations)
        # nothing pending was applied either
        assert await conn.fetchval("select to_regclass('bureau.new')") is None
    finally:
        await conn.close()


async def test_removed_applied_migration_is_refused(
    empty_database_url: str, scratch_migrations: Path
) -> None:
    conn = await _connect(empty_database_url)
    try:
        await migrate(conn, scratch_migrations)
        (scratch_migrations / "bureau" / "0002_more.sql").unlink()
        with pytest.raises(MigrationError, match=r"0002_more\.sql was applied .* missing"):
            await migrate(conn, scratch_migrations)
    finally:
        await conn.close()


async def test_failing_migration_leaves_nothing_behind(
    empty_database_url: str, scratch_migrations: Path
) -> None:
    (scratch_migrations / "bureau" / "0002_more.sql").write_text(
        "create table bureau.more (id int); select 1/0;"
    )
    conn = await _connect(empty_database_url)
    try:
        with pytest.raises(MigrationError, match=r"bureau/0002_more\.sql failed: division by zero"):
            await migrate(conn, scratch_migrations)
        assert await conn.fetchval("select to_regclass('bureau.things')") is not None
        assert await conn.fetchval("select to_regclass('bureau.more')") is None
        assert [(r.component, r.version) for r in await applied_migrations(conn)] == [("bureau", 1)]
        # the lock was released: a fixed file applies on the next run
        (scratch_migrations / "bureau" / "0002_more.sql").write_text(
            "create table bureau.more (id int);"
        )
        report = await migrate(conn, scratch_migrations)
        assert [m.label for m in report.applied] == ["bureau/0002_more.sql"]
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_file_once(empty_database_url: str) -> None:
    conns = [await _connect(empty_database_url) for _ in range(3)]
    try:
        reports = await asyncio.gather(*(migrate(c, migrations_root()) for c in conns))
        ledger = await applied_migrations(conns[0])
    finally:
        for c in conns:
            await c.close()
    applied = [m.label for r in reports for m in r.applied]
    assert sorted(applied) == sorted(m.label for m in discover(migrations_root()))
    assert len(ledger) == len(applied)


def test_misnamed_files_and_unknown_components_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "bureau").mkdir(parents=True)
    (root / "bureau" / "1_bad.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match=r"1_bad\.sql is not named NNNN_description\.sql"):
        discover(root)
    shutil.rmtree(root / "bureau")
    (root / "billing").mkdir()
    with pytest.raises(MigrationError, match="billing is not a known component"):
        discover(root)


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m" / "scores"
    folder.mkdir(parents=True)
    (folder / "0001_a.sql").write_text("select 1;")
    (folder / "0001_b.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match="two files numbered 0001"):
        discover(tmp_path / "m")


async def test_a_pending_file_numbered_before_an_applied_one_is_refused(
    empty_database_url: str, scratch_migrations: Path
) -> None:
    conn = await _connect(empty_database_url)
    try:
        (scratch_migrations / "bureau" / "0002_more.sql").rename(
            scratch_migrations / "bureau" / "0003_more.sql"
        )
        await migrate(conn, scratch_migrations)
        (scratch_migrations / "bureau" / "0002_late.sql").write_text(
            "create table bureau.late (id int);"
        )
        with pytest.raises(MigrationError, match=r"0002_late\.sql is not applied but a later"):
            await migrate(conn, scratch_migrations)
        assert await conn.fetchval("select to_regclass('bureau.late')") is None
    finally:
        await conn.close()
