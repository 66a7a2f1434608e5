"""What the HTTP layer adds per answer: compression (gzip, brotli) and the limit stage.

    python bench/http_layer.py [--months 60] [--rounds 200] [--out docs/benchmarks.md]

A throwaway embedded PostgreSQL is seeded and the largest report is asked for once
through the in-process subgraphs (gateway_fast_path.py's report), to get a real answer's
bytes. Then, each timed as the median of `--rounds`:

- compression: the answer through middleware/compression.py as uvicorn would drive it,
  as it is, with gzip and with brotli at the configured defaults: the time per answer and
  the bytes sent, each as a ratio to serialising the answer (orjson), the least any
  gateway does per answer;
- limit stage: one token taken from a bucket in the process, and from one in PostgreSQL
  (an upsert over a Unix socket to the embedded server).

The machine may be shared: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from gateway_fast_path import REPORT, Recorder, timed, timed_async
from peers_report import section_markers, write_section
from seeded_world import seed_and_find_busiest
from starlette.types import Message, Receive, Scope, Send

from creditgraph.access.rate_limits import PostgresBuckets, ProcessBuckets, Rule
from creditgraph.config import SCHEMA
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.middleware.compression import Compression, CompressionPolicy
from creditgraph.resources import supergraph_path
from creditgraph.settings import OperationLimits
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema


async def _answer(dsn: str, months: int) -> dict[str, Any]:
    busiest = await seed_and_find_busiest(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    try:
        schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
        supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
        # the report is over the default estimated cost at 60 months: this is not about limits
        unlimited = OperationLimits(max_cost=10**9)
        transport = Recorder(InProcessTransport(schemas, pool))
        gateway = Gateway(supergraph, transport, limits=unlimited)
        live = await gateway.execute(REPORT, {"id": busiest, "months": months})
        assert "errors" not in live, live["errors"]
        return live
    finally:
        await pool.close()


START, END = section_markers("http_layer")


def _compressing(body: bytes, encoding: str) -> tuple[Any, list[bytes]]:
    """The middleware over an app answering `body`, and what it sends, for one encoding."""
    policy = CompressionPolicy.from_config(SCHEMA.defaults())
    assert policy is not None

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    sent: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            sent.append(message["body"])

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "path": "/graphql",
        "headers": [(b"accept-encoding", encoding.encode())],
    }
    middleware = Compression(app, policy)

    async def once() -> None:
        sent.clear()
        await middleware(scope, receive, send)

    return once, sent


async def _run(dsn: str, months: int, rounds: int) -> str:
    live = await _answer(dsn, months)
    body = orjson.dumps(live)
    serialise = timed(rounds, lambda: orjson.dumps(live))
    rows = []
    for encoding in ("identity", "gzip", "br"):
        once, sent = _compressing(body, encoding)
        seconds = await timed_async(rounds, once)
        out = sum(len(part) for part in sent)
        rows.append(
            f"| {encoding} | {seconds * 1e3:.3f} ms | {seconds / serialise:.1f} "
            f"| {out:,} | {out / len(body):.2f} |"
        )
    rule = Rule(per_second=1e6, burst=1_000_000)
    process = ProcessBuckets()
    in_process = await timed_async(rounds, lambda: process.take("bank:bench", rule))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    try:
        shared = PostgresBuckets(pool)
        in_database = await timed_async(rounds, lambda: shared.take("bank:bench", rule))
    finally:
        await pool.close()
    return "\n".join(
        [
            START,
            "## The HTTP layer: compression and the limit stage",
            "",
            f"The largest report of a 200-subject seed at {months} months: {len(body):,} bytes "
            f"of JSON. Median of {rounds} rounds, on a machine shared with other work: read "
            "the ratios.",
            "",
            "| encoding | per answer | × serialising it | bytes sent | × size |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Limit stage, one token taken: in the process {in_process * 1e6:.1f} µs; in "
            f'PostgreSQL (`store = "postgresql"`, an upsert over a Unix socket) '
            f"{in_database * 1e3:.2f} ms, {in_database / in_process:,.0f} times as long.",
            "",
            "```sh",
            f".venv/bin/python bench/http_layer.py --months {months} --rounds {rounds} "
            "--out docs/benchmarks.md",
            "```",
            "",
            END,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        text = asyncio.run(_run(server.dsn, args.months, args.rounds))
    print(text)
    if args.out is not None:
        write_section(args.out, "http_layer", text)


if __name__ == "__main__":
    main()
