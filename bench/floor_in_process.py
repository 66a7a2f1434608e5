"""The underwriting report in-process against the hand-written floor, in a minute.

    python bench/floor_in_process.py [--subjects 300] [--sample 60] [--concurrency 8]
                                     [--requests 240] [--rounds 3] [--profile N]
                                     [--loop uvloop|asyncio] [--out docs/benchmarks.md]

bench/peers.py compares (a) creditgraph with its subgraphs in-process and (e) the
hand-written floor (bench/floor.py) over HTTP on 100,000 subjects: a quarter of an hour.
This asks the same question of the parts that differ, in one process and on a small
seed, so a change to the gateway or the subgraphs can be measured in a minute:

- creditgraph: the bank underwriting operation
  (graphql/operations/bank_underwriting.graphql) through the gateway `serve
  --in-process --no-policy` builds (its subgraphs in this process, fetches metered),
  prepared, run and serialised with orjson;
- floor: bench/floor.py's `Report` reading the same subject with the subgraphs' own
  statements and serialising the same JSON.

Neither goes through HTTP (bench/http_layer.py times that layer) or a policy. A
throwaway embedded PostgreSQL is seeded with `--subjects` subjects; the requests are
spread over a fixed sample of them, whose answers must be equal both ways before
anything is timed. Both run on uvloop's event loop, the one creditgraph's servers run on
(cli.py), unless `--loop asyncio` says asyncio's own. Each round runs `--requests`
reports through `--concurrency` clients, first creditgraph's then the floor's, so both
see the machine alike; the table gives the best round's reports a second and this
process's CPU per report (not PostgreSQL's, which both share), and their ratios.
`--profile N` also shows where creditgraph's CPU goes: the share of each part of the
stack (cProfile, own time) and the N costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import orjson
import uvloop
from floor import Report
from peers_report import section_markers, write_section
from seeded_world import seed_and_find_busiest

from creditgraph.commands import in_process_gateway
from creditgraph.db.connect import create_pool
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.queries import load_queries
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.observability.metrics import Metrics
from creditgraph.resources import operations_root, supergraph_path

BENCH = Path(__file__).resolve().parent
SQL = load_queries(BENCH / "peers.sql")
OPERATION = "BankUnderwriting"
START, END = section_markers("floor_in_process")
# where a function's own time is counted, by the first of these its file's path holds
PARTS = (
    ("creditgraph gateway", "/creditgraph/gateway/"),
    ("creditgraph subgraphs", "/creditgraph/subgraphs/"),
    ("creditgraph resolvers and loaders", "/creditgraph/"),
    ("strawberry", "/strawberry/"),
    ("graphql-core", "/graphql/"),
    ("aiodataloader", "aiodataloader"),
    ("asyncpg", "asyncpg"),
    ("asyncio", "asyncio"),
)


def _ours(gateway: Gateway, query: str) -> Callable[[str], Awaitable[bytes]]:
    async def report(identifier: str) -> bytes:
        variables = {"identifier": identifier}
        prepared = gateway.prepare(query, variables, OPERATION)
        return orjson.dumps(await gateway.run(prepared, dict(variables)))

    return report


def _floor(pool: asyncpg.Pool) -> Callable[[str], Awaitable[bytes]]:
    async def report(identifier: str) -> bytes:
        found = Report()
        async with pool.acquire() as conn:
            loaded = await found.load(conn, identifier)
        return orjson.dumps({"data": {"subject": found.answer() if loaded else None}})

    return report


async def _round(
    work: Callable[[str], Awaitable[bytes]], identifiers: list[str], requests: int, clients: int
) -> tuple[float, float]:
    """`requests` reports through `clients` closed-loop clients: (seconds, CPU seconds)."""
    queue = iter(range(requests))

    async def client() -> None:
        for number in queue:
            await work(identifiers[number % len(identifiers)])

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, time.process_time() - cpu


def _part(path: str) -> str:
    return next((name for name, marker in PARTS if marker in path), "other")


def _parts(profiler: cProfile.Profile, top: int) -> list[str]:
    """The share of each part of the stack in the profiled CPU time, and the costliest
    functions. A built-in's time (isinstance, hash, a C method) goes to the parts that
    called it, in proportion to what each call site spent in it."""
    rows = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    own: dict[str, float] = {}
    total = 0.0
    for (path, _, _), (_, _, tottime, _, callers) in rows.items():
        total += tottime
        if path != "~" or not callers:
            own[_part(path)] = own.get(_part(path), 0.0) + tottime
            continue
        for (caller_path, _, _), (_, _, spent, _) in callers.items():
            own[_part(caller_path)] = own.get(_part(caller_path), 0.0) + spent
    lines = ["| part of the stack | share of creditgraph's CPU |", "|---|---|"]
    for name, seconds in sorted(own.items(), key=lambda item: -item[1]):
        lines.append(f"| {name} | {seconds / total:.0%} |")
    costliest = sorted(rows.items(), key=lambda item: -item[1][2])[:top]
    lines += ["", "| function | share |", "|---|---|"]
    for (path, line, name), (_, _, tottime, _, _) in costliest:
        where = re.sub(r".*/(site-packages|lib/python3\.\d+|src)/", "", path)
        named = re.sub(r" at 0x[0-9a-f]+", "", name)  # a built-in's address, not its name
        lines.append(f"| `{named}` ({where}:{line}) | {tottime / total:.1%} |")
    return lines


async def _run(args: argparse.Namespace, dsn: str) -> str:
    await seed_and_find_busiest(dsn, args.subjects)
    query = (operations_root() / "bank_underwriting.graphql").read_text(encoding="utf-8")
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(SQL["sample_subjects"], "creditgraph-bench", args.sample)
    finally:
        await conn.close()
    identifiers = [row["identifier"] for row in rows]
    pool = await create_pool(dsn)
    gateway = in_process_gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")), pool, metrics=Metrics()
    )
    try:
        ours, floor = _ours(gateway, query), _floor(pool)
        for identifier in identifiers:  # the same answers, and every cache warm
            answer, expected = orjson.loads(await ours(identifier)), await floor(identifier)
            if answer != orjson.loads(expected):
                raise SystemExit(f"creditgraph and the floor answer {identifier} differently")
        times: dict[str, list[tuple[float, float]]] = {"ours": [], "floor": []}
        for _ in range(args.rounds):
            for name, work in (("ours", ours), ("floor", floor)):
                times[name].append(await _round(work, identifiers, args.requests, args.concurrency))
        profile: list[str] = []
        if args.profile:
            # CPU time, not elapsed: on a loaded machine a send to PostgreSQL that waits
            # for a core would otherwise read as the costliest function
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await _round(ours, identifiers, args.requests, args.concurrency)
            profiler.disable()
            profile = _parts(profiler, args.profile)
    finally:
        await gateway.aclose()
        await pool.close()
    best = {name: min(rounds, key=lambda taken: taken[0]) for name, rounds in times.items()}
    rate = {name: args.requests / seconds for name, (seconds, _) in best.items()}
    cpu = {name: taken / args.requests for name, (_, taken) in best.items()}
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return "\n".join(
        [
            START,
            "## The underwriting report in-process, against the floor",
            "",
            f"The bank underwriting operation for {len(identifiers)} subjects of a "
            f"{args.subjects}-subject seed, {args.requests} reports a round through "
            f"{args.concurrency} clients in one process, creditgraph (subgraphs in-process, "
            "no policy) and the hand-written floor taking turns for "
            f"{args.rounds} rounds, best round each, on {args.loop}'s event loop; no HTTP "
            "either side. CPU is this process's (PostgreSQL's is left out). Load average "
            f"{load} on {os.cpu_count()} cores. The target is within 1.5× of the floor.",
            "",
            "| | reports/s | × floor | CPU per report | × floor |",
            "|---|---|---|---|---|",
            f"| creditgraph in-process | {rate['ours']:.1f} | {rate['floor'] / rate['ours']:.2f} "
            f"| {cpu['ours'] * 1e3:.2f} ms | {cpu['ours'] / cpu['floor']:.2f} |",
            f"| floor (bench/floor.py's Report) | {rate['floor']:.1f} | 1.00 "
            f"| {cpu['floor'] * 1e3:.2f} ms | 1.00 |",
            *(
                [
                    "",
                    "Where creditgraph's CPU goes (cProfile, own CPU time, one round):",
                    "",
                    *profile,
                ]
                if profile
                else []
            ),
            "",
            "```sh",
            f".venv/bin/python bench/floor_in_process.py --subjects {args.subjects} "
            f"--sample {args.sample} --concurrency {args.concurrency} "
            f"--requests {args.requests} --rounds {args.rounds}"
            + (f" --profile {args.profile}" if args.profile else "")
            + (f" --loop {args.loop}" if args.loop != "uvloop" else "")
            + " --out docs/benchmarks.md",
            "```",
            "",
            END,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=300)
    parser.add_argument("--sample", type=int, default=60, help="subjects the reports are for")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=240, help="reports a round, each side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="the event loop both run on: the servers' (uvloop) or asyncio's own",
    )
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        loop = uvloop.new_event_loop if args.loop == "uvloop" else asyncio.new_event_loop
        with asyncio.Runner(loop_factory=loop) as runner:
            text = runner.run(_run(args, server.dsn))
    print(text)
    if args.out is not None:
        write_section(args.out, "floor_in_process", text)


if __name__ == "__main__":
    main()
