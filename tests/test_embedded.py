"""The embedded PostgreSQL: starts, keeps its data, stops without leftovers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import psutil
import pytest

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.errors import DatabaseUnavailable


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """Every postgres process serving data_dir (the postmaster names it on its command line)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data_dir) in " ".join(cmdline):
            found.append(proc)
    return found


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _query(dsn: str, sql: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def test_second_start_reuses_the_data_and_stop_leaves_no_process(tmp_path: Path) -> None:
    data = tmp_path / "pgdata"
    with EmbeddedPostgres(data) as server:
        assert server.owned
        asyncio.run(
            _execute(server.dsn, "create table kept (v text); insert into kept values ('here')")
        )
        assert postgres_processes(data)
    assert postgres_processes(data) == []
    with EmbeddedPostgres(data) as server:
        assert asyncio.run(_query(server.dsn, "select v from kept")) == "here"
    assert postgres_processes(data) == []


def test_attaches_to_a_running_server_without_owning_it(tmp_path: Path) -> None:
    data = tmp_path / "pgdata"
    with EmbeddedPostgres(data) as owner:
        with EmbeddedPostgres(data) as guest:
            assert not guest.owned
            assert guest.dsn == owner.dsn
        # the guest left; the owner's server still answers
        assert asyncio.run(_query(owner.dsn, "select 1")) == 1
    assert postgres_processes(data) == []


def test_too_long_a_path_is_a_clear_error(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    with pytest.raises(DatabaseUnavailable, match="too long for a PostgreSQL socket"):
        EmbeddedPostgres(deep).start()


def test_a_stale_pid_file_naming_another_server_is_ignored(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    with EmbeddedPostgres(first) as running:
        with EmbeddedPostgres(second):
            pass
        # second crashed, and its old pid now belongs to first's postmaster
        pid = running.postmaster_pid()
        assert pid is not None
        (second / "postmaster.pid").write_text(f"{pid}\n{second.parent / 'elsewhere'}\n")
        with EmbeddedPostgres(second) as restarted:
            assert restarted.owned
            assert asyncio.run(_query(restarted.dsn, "select 1")) == 1
    assert postgres_processes(second) == []
