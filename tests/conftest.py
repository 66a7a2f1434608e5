"""Fixtures: one embedded PostgreSQL per test run, a fresh database per test.

The server lives in the run's own temporary directory, so the suite needs no
PostgreSQL on the machine and never touches a developer's data. Migrations run
once into a template database; each test gets a copy made with CREATE DATABASE
… TEMPLATE, which takes milliseconds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.gateway.composition import ensure_installed
from creditgraph.resources import migrations_root
from tests.policy_harness import Harness, harness

TEMPLATE = "creditgraph_template"


def dsn_for(server_dsn: str, database: str) -> str:
    parts = urlsplit(server_dsn)
    return parts._replace(path=f"/{database}").geturl()


async def _admin(server_dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn_for(server_dsn, "postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate_template(server_dsn: str) -> None:
    await _admin(server_dsn, f"create database {TEMPLATE}")
    conn = await asyncpg.connect(dsn_for(server_dsn, TEMPLATE))
    try:
        await migrate(conn, migrations_root())
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data") as server:
        asyncio.run(_migrate_template(server.dsn))
        yield server


def _fresh_database(server: EmbeddedPostgres, template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_admin(server.dsn, f"create database {name} template {template}"))
    try:
        yield dsn_for(server.dsn, name)
    finally:
        asyncio.run(_admin(server.dsn, f"drop database if exists {name} with (force)"))


@asynccontextmanager
async def _pool(dsn: str, *, max_size: int = 4) -> AsyncIterator[asyncpg.Pool]:
    """A pool for one test, closed after it."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size)
    assert pool is not None
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def database_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A freshly migrated, empty database of the test's own."""
    yield from _fresh_database(pg_server, TEMPLATE)


@pytest.fixture
async def migrated_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a freshly migrated, empty database of the test's own."""
    async with _pool(database_url, max_size=2) as pool:
        yield pool


@pytest.fixture
def empty_database_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A database with nothing in it, not even migrations."""
    yield from _fresh_database(pg_server, "template0")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


SEEDED_SUBJECTS = 200


async def _seed_template(server_dsn: str, name: str) -> None:
    from creditgraph.seed import seed_database

    await _admin(server_dsn, f"create database {name} template {TEMPLATE}")
    conn = await asyncpg.connect(dsn_for(server_dsn, name))
    try:
        await seed_database(conn, subjects=SEEDED_SUBJECTS, seed=1)
    finally:
        await conn.close()
    # shared by the whole run, so read-only: a test that writes to it (a policy run records
    # inquiries and audit entries) fails at once instead of changing what later tests see.
    # The setting belongs to this database alone; copies made from it are writable.
    await _admin(server_dsn, f"alter database {name} set default_transaction_read_only = on")


@pytest.fixture(scope="session")
def seeded_template(pg_server: EmbeddedPostgres) -> str:
    """The name of a database holding the personas and SEEDED_SUBJECTS more, seeded once."""
    name = "creditgraph_seeded"
    asyncio.run(_seed_template(pg_server.dsn, name))
    return name


@pytest.fixture(scope="session")
def seeded_database_url(pg_server: EmbeddedPostgres, seeded_template: str) -> str:
    """The seeded database itself, shared by the whole run: tests must only read it."""
    return dsn_for(pg_server.dsn, seeded_template)


@pytest.fixture
def writable_seeded_database_url(
    pg_server: EmbeddedPostgres, seeded_template: str
) -> Iterator[str]:
    """A copy of the seeded database that the test may change."""
    yield from _fresh_database(pg_server, seeded_template)


@pytest.fixture(scope="module")
def module_seeded_database_url(pg_server: EmbeddedPostgres, seeded_template: str) -> Iterator[str]:
    """A copy of the seeded database shared by one module's tests: for a gateway served under
    the policy, which writes inquiries and the audit log."""
    yield from _fresh_database(pg_server, seeded_template)


@pytest.fixture
async def seeded_pool(seeded_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with _pool(seeded_database_url) as pool:
        yield pool


@pytest.fixture
async def writable_pool(writable_seeded_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a copy of the seeded database that the test may change."""
    async with _pool(writable_seeded_database_url) as pool:
        yield pool


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    """interop/ with its npm packages installed (npm ci, once per checkout)."""
    return ensure_installed(Path(__file__).resolve().parent.parent / "interop")


@pytest.fixture
async def checked(writable_pool: asyncpg.Pool) -> AsyncIterator[Harness]:
    """The policy harness (tests/policy_harness.py) over a writable seeded database."""
    async with harness(writable_pool) as found:
        yield found
