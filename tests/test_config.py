"""The configuration file: checked in full at start, overridden by variables and flags, and
documented by the README block generated from the same declarations."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from creditgraph.config import SCHEMA, Option
from creditgraph.config import options as o
from creditgraph.config.docs import generated_block, render
from creditgraph.config.schema import Flag, Integer, Schema, Section, TextList, Values
from creditgraph.errors import ConfigurationError
from creditgraph.settings import OperationLimits, Settings
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from tests.cli_helpers import cli_env, free_port, run_cli, start_cli, stop_cli, wait_for_http

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_reference_is_the_one_generated_from_the_schema() -> None:
    block = generated_block(README.read_text(encoding="utf-8"))
    assert block == render(SCHEMA), "run: creditgraph config doc --readme README.md"
    for section in SCHEMA.sections:
        for option in section.options:
            assert f"| `{option.name}` |" in block
            if option.env:
                assert f"`{option.env}`" in block


def _problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(path, env or {})
    return str(caught.value).splitlines()


def test_every_mistake_of_a_file_is_named_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text(
        "[server]\nport = 70000\nhots = '0.0.0.0'\n"
        "[database]\nstatement_timeout = '5'\nlock_timeout = 0\n"
        "[jwt]\nissuer = ' creditgraph'\npublic_key = 'a.pem'\njwks = 'b.json'\n"
        "[operation_limit]\nmax_depth = 3\n",
        encoding="utf-8",
    )
    problems = _problems(path, {"CREDITGRAPH_MAX_COST": "lots"})
    expected = [
        "unknown key 'server.hots' (did you mean 'host'?)",
        "server.port must be from 1 to 65535, got 70000",
        "database.statement_timeout must be a number of seconds, got a string",
        "database.lock_timeout must be more than 0 and at most 3600, got 0",
        "jwt.issuer has leading or trailing whitespace",
        "are set together",
        "unknown key 'operation_limit' (did you mean 'operation_limits'?)",
        "CREDITGRAPH_MAX_COST must be a whole number, got 'lots'",
    ]
    assert len(problems) == len(expected), problems
    for fragment in expected:
        assert sum(fragment in line for line in problems) == 1, (fragment, problems)


def test_a_file_that_is_not_toml_or_not_there_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\nport = 1\n", encoding="utf-8")
    (problem,) = _problems(broken)
    assert problem.startswith(f"{broken}: not valid TOML")
    (missing,) = _problems(tmp_path / "missing.toml")
    assert "cannot read the configuration file" in missing


def test_the_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text("[operation_limits]\nmax_depth = 9\nmax_cost = 500\n", encoding="utf-8")
    env = {"CREDITGRAPH_MAX_DEPTH": "7", "CREDITGRAPH_CONFIG": str(path)}
    limits = Settings.load(None, env).operations
    assert (limits.max_depth, limits.max_cost) == (7, 500)
    assert limits.max_aliases == OperationLimits().max_aliases
    flagged = Settings.load(None, env, {o.MAX_DEPTH: 4}).config
    assert flagged[o.MAX_DEPTH] == 4
    assert flagged.sources["operation_limits.max_depth"] == "command line"
    assert flagged.sources["operation_limits.max_cost"] == "file"


_RATE = Option("rate", Integer(minimum=1), 10, "per second")
_BURST = Option("burst", Integer(minimum=1), 20, "at once")
_ORIGINS = Option("origins", TextList(), (), "origins", env="TEST_ORIGINS")
_ON = Option("on", Flag(), False, "switched on", env="TEST_ON")


def _burst_covers_rate(values: Values) -> list[str]:
    if values[_BURST] < values[_RATE]:
        return [f"{values.key(_BURST)} must be at least {values.key(_RATE)}"]
    return []


_TOY = Schema(
    [
        Section("web", "toy", (_ORIGINS, _ON)),
        Section(
            "limits.role",
            "per role",
            (_RATE, _BURST),
            checks=(_burst_covers_rate,),
            per_name=True,
            names=("bank", "subject"),
        ),
    ]
)


def test_a_section_keyed_by_name_reads_each_name_and_refuses_unknown_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[limits.role.bank]\nrate = 5\n[web]\norigins = ['https://a.example']\n")
    config = _TOY.load(good, {"TEST_ON": "yes"})
    assert set(config.names("limits.role")) == {"bank"}
    assert config.names("limits.role")["bank"][_RATE] == 5
    assert config.names("limits.role")["bank"][_BURST] == 20
    assert config[_ORIGINS] == ("https://a.example",)
    assert config[_ON] is True
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[limits.role.bnak]\nrate = 5\n[limits.role.subject]\nrate = 50\nbrust = 1\n"
        "[limits.other]\nx = 1\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        _TOY.load(bad, {"TEST_ORIGINS": "https://a.example, https://b.example", "TEST_ON": "2"})
    problems = str(caught.value).splitlines()
    assert problems == [
        f"{bad}: unknown name 'limits.role.bnak' (did you mean 'bank'?)",
        f"{bad}: unknown key 'limits.role.subject.brust' (did you mean 'burst'?)",
        f"{bad}: unknown key 'limits.other'",
        "TEST_ON must be true or false, got '2'",
        "limits.role.subject.burst must be at least limits.role.subject.rate",
    ]


def test_a_start_with_a_bad_file_lists_every_mistake_and_starts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text(
        "[server]\nport = 0\n[gateway]\nsubgraph_timeout = -1\n"
        "[cors]\nallow_origins = ['*']\nallow_credentials = true\n",
        encoding="utf-8",
    )
    result = run_cli("--config", str(path), "up", env=cli_env(home=tmp_path / "home"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {path}: server.port must be from 1 to 65535, got 0",
        f"error: {path}: gateway.subgraph_timeout must be more than 0 and at most 600, got -1",
        "error: cors.allow_credentials (CREDITGRAPH_CORS_ALLOW_CREDENTIALS) cannot be true with "
        '"*" in cors.allow_origins (CREDITGRAPH_CORS_ALLOW_ORIGINS): any site could act with '
        "the user's credentials; list the origins",
    ]
    assert not (tmp_path / "home" / "pgdata").exists()


def test_serve_takes_its_port_limits_and_http_layer_from_the_file_under_the_variables(
    tmp_path: Path,
) -> None:
    """Over real HTTP: the file's port is where it listens, a variable overrides the file's
    limit, and the refusal names the limit in force."""
    port = free_port()
    path = tmp_path / "creditgraph.toml"
    path.write_text(
        f"[server]\nport = {port}\n[operation_limits]\nmax_depth = 2\nmax_root_fields = 1\n"
        "[cors]\nallow_origins = ['https://app.example']\n[compression]\nmin_size = 0\n",
        encoding="utf-8",
    )
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    overrides = [f"--subgraph={name}={dead}" for name in SUBGRAPH_NAMES]
    env = {**cli_env(home=tmp_path), "CREDITGRAPH_CONFIG": str(path)}
    env["CREDITGRAPH_MAX_DEPTH"] = "3"
    proc = start_cli("serve", "--no-policy", *overrides, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(proc, f"{base}/healthz")
        deep = "{ me { accounts { nodes { account { id } } } } }"
        answer = httpx.post(f"{base}/graphql", json={"query": deep}, timeout=30).json()
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert (error["extensions"]["limit"], error["extensions"]["maximum"]) == ("maxDepth", 3)
        two = "{ a: __typename b: __typename }"
        gzip = {"accept-encoding": "gzip"}
        answer = httpx.post(f"{base}/graphql", json={"query": two}, headers=gzip, timeout=30)
        assert answer.json()["errors"][0]["extensions"]["limit"] == "maxRootFields"
        assert answer.headers["content-encoding"] == "gzip"  # [compression] min_size = 0
        preflight = httpx.options(
            f"{base}/graphql",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
            timeout=30,
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    finally:
        stop_cli(proc)


def test_config_check_shows_each_setting_and_where_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text("[server]\nport = 4100\n", encoding="utf-8")
    env = {**cli_env(home=tmp_path), "CREDITGRAPH_HOST": "0.0.0.0"}
    result = run_cli("--config", str(path), "config", "check", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "server.port = 4100  (file)" in lines
    assert 'server.host = "0.0.0.0"  (env CREDITGRAPH_HOST)' in lines
    assert "database.lock_timeout = 2  (default)" in lines
