"""`GET /readyz`: 200 while the database and every subgraph answer; else 503 naming what is down."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from creditgraph.commands import in_process_gateway, serving_subgraphs
from creditgraph.gateway import Supergraph
from creditgraph.observability import Subgraphs
from creditgraph.resources import supergraph_path
from creditgraph.server import build_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from tests.cli_helpers import (
    cli_env,
    free_port,
    serve_over_unreachable_subgraphs,
    start_cli,
    stop_cli,
    wait_for_http,
)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return Supergraph(supergraph_path().read_text(encoding="utf-8"))


async def readyz(app: Starlette) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        return await http.get("/readyz")


async def test_in_process_subgraphs_are_ready_by_construction_and_say_so(
    supergraph: Supergraph, migrated_pool: asyncpg.Pool
) -> None:
    gateway = in_process_gateway(supergraph, migrated_pool)
    app = build_app(gateway, pool=migrated_pool, subgraphs=serving_subgraphs(supergraph, None))
    response = await readyz(app)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "subgraphs": dict.fromkeys(sorted(SUBGRAPH_NAMES), "ok (in process)"),
    }


async def test_without_the_database_it_is_not_ready(
    supergraph: Supergraph, database_url: str
) -> None:
    lost = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert lost is not None
    await lost.close()
    app = build_app(None, pool=lost, subgraphs=serving_subgraphs(supergraph, None))
    response = await readyz(app)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["database"]
    # in words, never an exception's class
    assert body["database"] == "its connection pool is shutting down"


@pytest.fixture
def bureau(
    tmp_path_factory: pytest.TempPathFactory, seeded_database_url: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A bureau subgraph in its own process, and its GraphQL URL; the test may stop it."""
    port = free_port()
    env = cli_env(home=tmp_path_factory.mktemp("home"), database_url=seeded_database_url)
    proc = start_cli("subgraph", "bureau", "--port", str(port), env=env)
    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}/healthz")
        yield proc, f"http://127.0.0.1:{port}/graphql"
    finally:
        if proc.poll() is None:
            stop_cli(proc)


async def test_an_http_subgraph_is_ready_while_it_runs_and_named_once_it_stops(
    bureau: tuple[subprocess.Popen[str], str], migrated_pool: asyncpg.Pool
) -> None:
    proc, url = bureau
    app = build_app(None, pool=migrated_pool, subgraphs=Subgraphs.over_http({"bureau": url}))
    up = await readyz(app)
    assert up.status_code == 200
    assert up.json() == {"status": "ready", "database": "ok", "subgraphs": {"bureau": "ok"}}

    # the subgraph's own log (JSON lines on stderr) shows the probe it answered
    logged = [json.loads(line) for line in stop_cli(proc).splitlines() if line.startswith("{")]
    probes = [line for line in logged if line.get("path") == "/healthz"]
    assert probes, logged
    assert probes[-1]["status"] == 200
    assert probes[-1]["method"] == "GET"

    down = await readyz(app)
    assert down.status_code == 503
    assert down.json() == {
        "status": "unavailable",
        "down": ["bureau"],
        "database": "ok",
        "subgraphs": {"bureau": "unreachable"},
    }


def test_serve_over_http_names_every_subgraph_it_cannot_reach(tmp_path: Path) -> None:
    """The real command, no database: each subgraph's health is asked where its URL points."""
    proc, base = serve_over_unreachable_subgraphs(tmp_path)
    try:
        response = httpx.get(f"{base}/readyz", timeout=10)
    finally:
        stop_cli(proc)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "down": sorted(SUBGRAPH_NAMES),
        "subgraphs": dict.fromkeys(sorted(SUBGRAPH_NAMES), "unreachable"),
    }
