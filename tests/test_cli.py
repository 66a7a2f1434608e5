"""The command line as a user meets it: bad input gets one clear line and changes nothing."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import orjson
import pytest
import uvloop

from creditgraph import cli
from creditgraph.seed import INSTITUTIONS, PERSONAS
from creditgraph.settings import ensure_home
from tests.cli_helpers import assert_one_line_error, cli_env, run_cli


def test_migrate_reports_what_it_applied(empty_database_url: str) -> None:
    env = cli_env(database_url=empty_database_url)
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "bureau/0001_subjects.sql" in first.stdout
    second = run_cli("migrate", env=env)
    assert second.returncode == 0
    assert second.stdout.startswith("applied 0 migration(s)")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://localhost/x", "must start with postgresql://"),
        ("postgresql://localhost:notaport/x", "DATABASE_URL is malformed"),
        ("localhost:5432", "must start with postgresql://"),
    ],
)
def test_malformed_database_url(url: str, fragment: str, tmp_path: Path) -> None:
    result = run_cli("migrate", env=cli_env(database_url=url, home=tmp_path))
    assert_one_line_error(result, fragment)


def test_unreachable_database_url_names_the_host_not_the_password() -> None:
    with socket.socket() as sock:  # bound but never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        url = f"postgresql://app:s3cret@127.0.0.1:{port}/creditgraph"
        result = run_cli("migrate", env=cli_env(database_url=url))
    assert_one_line_error(result, "cannot reach the database", f"127.0.0.1:{port}", "refused")
    assert "s3cret" not in result.stderr


def test_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_cli("migrate", env=cli_env(home=blocker / "home"))
    assert_one_line_error(result, "CREDITGRAPH_HOME", "is not a writable directory")


def test_processes_starting_together_share_one_home(tmp_path: Path) -> None:
    """`creditgraph subgraph` four times over one home: each checks it is writable at once."""

    def check_often() -> None:
        for _ in range(300):
            ensure_home(tmp_path / "home")

    with ThreadPoolExecutor(max_workers=8) as pool:
        for started in [pool.submit(check_often) for _ in range(8)]:
            started.result()  # raises what the check raised
    assert list((tmp_path / "home").iterdir()) == []


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("up", "--port", str(port), env=cli_env(home=tmp_path / "home"))
    assert_one_line_error(result, f"port {port}", "already in use")
    # it failed before starting anything: no database was created
    assert not (tmp_path / "home" / "pgdata").exists()


async def test_edited_applied_migration_stops_the_command(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "update creditgraph_meta.schema_migrations set checksum = repeat('0', 64) "
            "where component = 'bureau' and version = 2"
        )
    finally:
        await conn.close()
    result = run_cli("migrate", env=cli_env(database_url=database_url))
    assert_one_line_error(result, "bureau/0002_credit_accounts.sql was edited after it was applied")


def test_personas_json_lists_every_persona_and_institution() -> None:
    result = run_cli("personas", "--json", env=cli_env())
    assert result.returncode == 0, result.stderr
    document = orjson.loads(result.stdout)
    assert [s["identifier"] for s in document["subjects"]] == [p.identifier for p in PERSONAS]
    assert {i["role"] for i in document["institutions"]} >= {"bank", "court", "agency", "scorer"}
    assert len([i for i in INSTITUTIONS if i.role == "bank"]) >= 2
    assert all(s["story"] for s in document["subjects"])


def test_personas_table_names_each_persona() -> None:
    result = run_cli("personas", env=cli_env())
    assert result.returncode == 0, result.stderr
    for persona in PERSONAS:
        assert persona.identifier in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = run_cli("seed", "--subjects", "-5", env=cli_env())
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--subjects" in result.stderr


def test_seed_refuses_a_non_empty_database_without_force(database_url: str) -> None:
    env = cli_env(database_url=database_url)
    first = run_cli("seed", "--subjects", "30", "--seed", "4", env=env)
    assert first.returncode == 0, first.stderr
    assert "seeded 43 subjects (30 generated with seed 4" in first.stdout
    again = run_cli("seed", "--subjects", "30", env=env)
    assert_one_line_error(again, "already holds 43 subjects", "--force")
    forced = run_cli("seed", "--subjects", "10", "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert "seeded 23 subjects" in forced.stdout


def test_score_adds_one_bureau_observation_per_subject(
    tmp_path: Path, writable_seeded_database_url: str
) -> None:
    async def counts() -> tuple[int, int]:
        conn = await asyncpg.connect(writable_seeded_database_url)
        try:
            subjects = await conn.fetchval("select count(*) from bureau.subjects")
            observations = await conn.fetchval(
                """select count(*) from scores.observations o
                   join scores.models m on m.id = o.model_id where m.scale = 'BUREAU'"""
            )
            return int(subjects), int(observations)
        finally:
            await conn.close()

    subjects, before = asyncio.run(counts())
    result = run_cli("score", env=cli_env(home=tmp_path, database_url=writable_seeded_database_url))
    assert result.returncode == 0, result.stderr
    assert f"scored {subjects:,} subjects" in result.stdout
    assert asyncio.run(counts()) == (subjects, before + subjects)


def test_commands_run_on_uvloop() -> None:
    """The servers run in the loop the command makes; uvicorn would not switch it to uvloop."""

    async def running_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    assert isinstance(cli._run(running_loop()), uvloop.Loop)
