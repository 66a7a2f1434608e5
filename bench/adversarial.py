"""Adversarial documents against the gateway, and how long each holds its event loop.

    python bench/adversarial.py [--runs 3] [--out docs/benchmarks.md]

A throwaway embedded PostgreSQL is seeded with the demo data and the gateway
served as `creditgraph up` serves it (every subgraph in-process, the edition
policy enforced, the default operation limits of settings.py) by uvicorn on
127.0.0.1, in a process of its own whose event loop also runs a lag monitor: a
task that sleeps 1 ms at a time and records by how much each sleep overran.
The longest overrun while a request is served is the longest stall that
request caused: every other client of the server waited at least that long.

Then the documents below are sent, each as an anonymous caller or with a demo
token, each run under a fresh leading comment so that no cache can answer
for it: fragment bombs of growing depth, alias floods, traversal bombs
(`me → accounts → parties → subject → …` with 60 months of repayments), deep
nesting, repeated fields, documents past the token limit, a flood of subject
roots, and next to them ordinary documents the limits accept. For each the
verdict (answered, or refused and by which limit or code), the time to the
answer and the longest stall, the worst of `--runs` runs, and apart from HTTP
and the server, the time the gateway takes to prepare the document or refuse
it (timed in this process). The targets: under 50 ms of stall for anything
accepted, and a refusal prepared in under 10 ms.

--out replaces the section between this script's markers in a Markdown file
(appending it the first time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import platform
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from graphql import get_introspection_query
from peers_report import section_markers, write_section
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from creditgraph.access.policy import Policy
from creditgraph.access.tokens import mint_demo_token
from creditgraph.commands import enforcing, in_process_gateway
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.errors import RequestError
from creditgraph.gateway.transports import SubgraphUnavailable
from creditgraph.requester import Requester
from creditgraph.resources import migrations_root, operations_root, policy_path, supergraph_path
from creditgraph.seed import seed_database
from creditgraph.seed.personas import PERSONA, TAX_BUREAU
from creditgraph.server import build_app
from creditgraph.settings import Settings

START, END = section_markers("adversarial")
HUSBAND = PERSONA["husband"].identifier
STALL_TARGET_MS = 50.0
REFUSAL_TARGET_MS = 10.0


class LagMonitor:
    """Sleeps `interval` over and over on the loop it runs on; keeps the longest overrun."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.worst = 0.0

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - started - self.interval)


def serve(dsn: str, home: Path, ports: Queue[int]) -> None:
    """The gateway as `up` serves it, plus `/bench/lag` (the longest stall since last asked),
    until the process is terminated. Runs in a process of its own, so the client's work
    never holds the interpreter the server's event loop needs."""
    asyncio.run(_serve(dsn, home, ports))


async def _serve(dsn: str, home: Path, ports: Queue[int]) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=8)
    assert pool is not None
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = in_process_gateway(supergraph, pool)
    access = enforcing(gateway, Policy.load(policy_path()), pool, Settings(dsn, home))
    gc.freeze()  # as the commands do once their app is built (commands._server_config)
    monitor = LagMonitor()

    async def lag(request: Request) -> JSONResponse:
        worst, monitor.worst = monitor.worst, 0.0
        return JSONResponse({"seconds": worst})

    app = build_app(gateway, pool=pool, access=access, pages=[Route("/bench/lag", lag)])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    watching = asyncio.create_task(monitor.run())
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    ports.put(listener.getsockname()[1])
    try:
        await serving
    finally:
        watching.cancel()


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    who: str  # "anonymous", "subject" or "government"


@dataclass
class Result:
    case: Case
    verdict: str
    accepted: bool
    seconds: float
    stall: float
    prepare: float


def fragment_bomb(levels: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return "query { ...F0 }\n" + "\n".join(fragments)


def traversal(hops: int, *, repayments: bool) -> str:
    inner = (
        "accounts { nodes { account { repayments(months: 60) { nodes { month status } } } } }"
        if repayments
        else "name"
    )
    for _ in range(hops):
        inner = f"accounts {{ nodes {{ account {{ parties {{ subject {{ {inner} }} }} }} }} }}"
    return f"{{ me {{ {inner} }} }}"


def nested(depth: int) -> str:
    return "{ me { " + "spouse { " * (depth - 2) + "name" + " }" * (depth - 1) + " }"


def cases() -> list[Case]:
    self_report = (operations_root() / "subject_self.graphql").read_text(encoding="utf-8")
    introspection = get_introspection_query(descriptions=True, input_value_deprecation=True)
    subjects = " ".join(
        f's{i}: subject(identifier: "{HUSBAND}", purpose: PUBLIC_CREDIT_CHECK) {{ name }}'
        for i in range(1013)
    )
    five = " ".join(
        f's{i}: subject(identifier: "{HUSBAND}", purpose: PUBLIC_CREDIT_CHECK) {{ name }}'
        for i in range(5)
    )
    return [
        Case("trusted SubjectSelf", self_report, "subject"),
        Case("GraphiQL's introspection", introspection, "anonymous"),
        Case(
            "30 aliases (at the limit)",
            "{ me { " + " ".join(f"a{i}: name" for i in range(30)) + " } }",
            "subject",
        ),
        Case("traversal, 1 hop, no repayments", traversal(1, repayments=False), "subject"),
        Case("nesting 15 deep (at the limit)", nested(15), "subject"),
        Case("5 subject roots (at the limit)", f"{{ {five} }}", "government"),
        Case("1,990 tokens, comments", "#\n" * 1_990 + "{ me { name } }", "subject"),
        Case("fragment bomb, 10 levels", fragment_bomb(10), "anonymous"),
        Case("fragment bomb, 18 levels", fragment_bomb(18), "anonymous"),
        Case("fragment bomb, 30 levels", fragment_bomb(30), "anonymous"),
        Case(
            "1,146 aliased introspection fields",
            _aliases(1146, "__schema { types { name } }"),
            "anonymous",
        ),
        Case("traversal, 1 hop, 60 months", traversal(1, repayments=True), "subject"),
        Case("traversal, 2 hops, 60 months", traversal(2, repayments=True), "subject"),
        Case("traversal, 30 hops", traversal(30, repayments=True), "subject"),
        Case("nesting 16 deep", nested(16), "subject"),
        Case("nesting 500 deep", nested(500), "subject"),
        Case(
            "1,000 copies of one field",
            "{ me { " + "accounts { totalCount } " * 1000 + "} }",
            "subject",
        ),
        Case("30,000 tokens", "{ me { " + "name " * 30_000 + "} }", "subject"),
        Case("30,000 tokens, comments", "#\n" * 30_000 + "{ me { name } }", "subject"),
        Case("1,013 subject roots", f"{{ {subjects} }}", "government"),
    ]


def _aliases(count: int, selection: str = "__typename") -> str:
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(count)) + " }"


def send(
    client: httpx.Client, url: str, gateway: Gateway, case: Case, tokens: dict[str, str], run: int
) -> Result:
    headers = {"authorization": f"Bearer {tokens[case.who]}"} if case.who in tokens else {}
    # a fresh comment each run: the document cache must not answer for it
    query = f"# run {run}\n{case.document}"
    body = {"query": query}
    prepare = preparation(gateway, query)
    client.get(f"{url}/bench/lag")  # forget the stalls before this request
    started = time.perf_counter()
    response = client.post(f"{url}/graphql", json=body, headers=headers)
    seconds = time.perf_counter() - started
    stall = float(client.get(f"{url}/bench/lag").json()["seconds"])
    answer: dict[str, Any] = response.json()
    accepted = answer.get("data") is not None
    errors = answer.get("errors") or []
    if accepted:
        verdict = "answered" if not errors else f"answered, {len(errors)} field error(s)"
    else:
        first: dict[str, Any] = errors[0] if errors else {"message": "no errors and no data"}
        extensions = first.get("extensions", {})
        detail = extensions.get("limit") or first["message"].split(".")[0]
        verdict = f"refused: {extensions.get('code')} ({detail})"
    return Result(case, verdict, accepted, seconds, stall, prepare)


class Offline:
    """A transport for a gateway that only prepares operations."""

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        raise SubgraphUnavailable("offline")

    def acting_for(self, requester: Requester | None) -> Offline:
        return self

    async def aclose(self) -> None:
        pass


def preparation(gateway: Gateway, query: str) -> float:
    """How long the gateway takes to prepare a new document, or to refuse it: parse, limits,
    validation and normalisation, timed in this process, apart from HTTP and the server."""
    started = time.perf_counter()
    with contextlib.suppress(RequestError):
        gateway.operation(query, {}, None)
    return time.perf_counter() - started


def worst(results: list[Result]) -> Result:
    last = results[-1]
    return Result(
        last.case,
        last.verdict,
        last.accepted,
        max(result.seconds for result in results),
        max(result.stall for result in results),
        max(result.prepare for result in results),
    )


def table(results: list[Result], runs: int) -> str:
    lines = [
        "| document | bytes | caller | verdict | prepare or refuse ms | answer ms "
        "| longest stall ms | target met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        target = (
            result.stall * 1000 < STALL_TARGET_MS
            if result.accepted
            else result.prepare * 1000 < REFUSAL_TARGET_MS
        )
        lines.append(
            f"| {result.case.name} | {len(result.case.document.encode()):,} | {result.case.who} "
            f"| {result.verdict} | {result.prepare * 1000:.1f} | {result.seconds * 1000:.1f} "
            f"| {result.stall * 1000:.1f} | {'yes' if target else 'no'} |"
        )
    return "\n".join(lines)


def section(results: list[Result], runs: int) -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return "\n".join(
        [
            START,
            "",
            "## Adversarial documents",
            "",
            "What the operation limits (`src/creditgraph/gateway/limits.py`, defaults in",
            "`settings.py`) do with documents sent to stall the server: the gateway as `up`",
            "serves it, on the demo data, one request at a time, each document new to it.",
            "*Prepare or refuse ms* is the gateway's own work on the document (parse, limits,",
            "validation, normalisation), timed apart from HTTP; *answer ms* is the client's",
            "wait; *longest stall* is the longest the server's event loop was held meanwhile",
            "(a task sleeping 1 ms at a time records its overruns), which every other client",
            "would have waited too. Each figure is the worst of the runs. Targets: a stall",
            "under 50 ms for anything accepted, a refusal in under 10 ms. `maxTokens` and",
            "`maxNesting` are counted before parsing, by a regular expression that stops at",
            "the first token over either limit; the other limits are measured on the parsed",
            "document, each fragment once. A document the gateway has not seen is prepared,",
            "and introspection executed, in a worker thread, so the stall is bounded by the",
            "interpreter's switch interval rather than by the document. The load average",
            "below says how much else was running: figures from a busy machine are inflated",
            "accordingly.",
            "",
            table(results, runs),
            "",
            f"{platform.python_version()} on {os.cpu_count()} cores, load average {load}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Reproduce:",
            "",
            "```sh",
            ".venv/bin/python bench/adversarial.py --out docs/benchmarks.md",
            "```",
            "",
            END,
        ]
    )


async def prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        await seed_database(conn, subjects=200, seed=1)
    finally:
        await conn.close()


def run(dsn: str, home: Path, runs: int, report: Callable[[str], None]) -> list[Result]:
    asyncio.run(prepare(dsn))
    tokens = {
        "subject": mint_demo_token(home, "SUBJECT", HUSBAND, None),
        "government": mint_demo_token(home, "GOVERNMENT", TAX_BUREAU.code, "inspector"),
    }
    context = multiprocessing.get_context("spawn")
    ports: Queue[int] = context.Queue()
    server = context.Process(target=serve, args=(dsn, home, ports), daemon=True)
    server.start()
    results = []
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = Gateway(supergraph, Offline())
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=120)}"
        with httpx.Client(timeout=120.0) as client:
            for case in cases():
                found = worst([send(client, url, gateway, case, tokens, i) for i in range(runs)])
                report(
                    f"{case.name}: {found.verdict}, {found.seconds * 1000:.1f} ms, "
                    f"stall {found.stall * 1000:.1f} ms"
                )
                results.append(found)
    finally:
        server.terminate()
        server.join(60)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        home = Path(scratch) / "home"
        home.mkdir()
        results = run(server.dsn, home, args.runs, print)
    text = section(results, args.runs)
    print(text)
    if args.out is not None:
        write_section(args.out, "adversarial", text)


if __name__ == "__main__":
    main()
