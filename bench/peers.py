"""creditgraph next to its peers, on the bank underwriting operation, in one command.

    python bench/peers.py [--subjects 100000] [--concurrency 8] [--duration 60]
                          [--warmup 15] [--out docs/benchmarks.md]

Against one embedded PostgreSQL seeded with N subjects (cached under the
system temp directory between runs, keyed by N, the seed and the seed code),
with creditgraph's four subgraphs served over HTTP, it starts:

  (a) creditgraph with the subgraphs in-process, no policy (the baseline);
  (b) creditgraph over the HTTP subgraphs, no policy;
  (c) Hive Gateway and (d) Apollo Gateway (npm) over the same HTTP subgraphs;
  (e) the floor: a hand-written asyncpg endpoint answering that one
      operation with the same JSON (bench/floor.py);
  (p) creditgraph in-process under its edition policy, as shipped: a bank
      token, LOAN_APPROVAL grants for the sampled subjects, an inquiry and an
      audit entry written per request.

The gateways under test do no authorisation, so (a) and (b) run without the
policy for the like-for-like comparison; (p) shows what authorisation costs.
Before anything is timed, (a)-(e) must return the same `data` for a sample of
subjects and (p) must answer them without errors, or the bench stops. Then
each target in turn gets a warm-up and a timed closed-loop run at fixed
concurrency (bench/load.mjs), with requests spread over many subjects. The
table gives throughput, p50 and p99 latency, errors, and each as a ratio to
(a); --out writes it with the command and the machine to a Markdown file,
and its bar charts beside it (SVG).
The npm packages (bench/package.json, interop/package.json) are installed
with `npm ci` when missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
import httpx
import orjson
from peers_db import cache_dir, ensure_seeded
from peers_report import Machine, Result, print_table, write_charts, write_markdown
from peers_services import Services
from peers_targets import BENCH, Target, subgraph_service, targets

from creditgraph.access.tokens import mint_demo_token
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError
from creditgraph.gateway.composition import compose, ensure_installed
from creditgraph.resources import interop_root, operations_root
from creditgraph.seed import INSTITUTIONS
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from creditgraph.subgraphs.sdl import subgraph_sdl

SQL = load_queries(BENCH / "peers.sql")
OPERATION_FILE = "bank_underwriting.graphql"
OPERATION_NAME = "BankUnderwriting"
BANK = next(institution for institution in INSTITUTIONS if institution.role == "bank")


class NotEquivalent(RuntimeError):
    """The targets do not answer alike: timing them would compare different work."""


def _request_body(query: str, identifier: str) -> str:
    return orjson.dumps(
        {"query": query, "operationName": OPERATION_NAME, "variables": {"identifier": identifier}}
    ).decode()


async def _sample(dsn: str, count: int) -> dict[str, str | None]:
    """The sampled subjects, each with who confirms its authorisation: an organisation's legal
    representative (None for a person, who answers for themself)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(SQL["sample_subjects"], "creditgraph-bench", count)
    finally:
        await conn.close()
    return {row["identifier"]: row["representative"] for row in rows}


def _post(client: httpx.Client, target: Target, body: str) -> dict[str, Any]:
    response = client.post(
        target.url,
        content=body,
        headers={"content-type": "application/json", **target.headers},
    )
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        raise NotEquivalent(
            f"({target.key}) {target.label} answered {response.status_code}, not JSON: "
            f"{response.text[:300]}"
        ) from None
    if response.status_code != 200 or "errors" in answer:
        raise NotEquivalent(
            f"({target.key}) {target.label} answered {response.status_code} with errors: "
            f"{orjson.dumps(answer.get('errors')).decode()[:600]}"
        )
    return answer


def authorise(target: Target, subjects: Mapping[str, str | None], home: Path) -> None:
    """The bank records each subject's written LOAN_APPROVAL authorisation, and the subject (an
    organisation's legal representative) confirms it, through (p): only then does it open."""
    record = (
        "mutation Authorise($subject: String!) { recordAuthorisation(subject: $subject, "
        'purpose: LOAN_APPROVAL, evidence: "bench: signed form on file") { id } }'
    )
    confirm = "mutation Confirm($id: ID!) { confirmAuthorisation(id: $id) { id } }"
    with httpx.Client(timeout=60.0) as client:
        for identifier, representative in subjects.items():
            body = orjson.dumps({"query": record, "variables": {"subject": identifier}})
            recorded = _post(client, target, body.decode())["data"]["recordAuthorisation"]
            token = mint_demo_token(
                home, "SUBJECT", identifier, None, representative=representative
            )
            subject = replace(target, headers={"authorization": f"Bearer {token}"})
            body = orjson.dumps({"query": confirm, "variables": {"id": recorded["id"]}})
            _post(client, subject, body.decode())


def check_equivalent(checked: Sequence[Target], query: str, identifiers: Sequence[str]) -> None:
    """Every like-for-like target returns the same `data` for each subject; the others answer."""
    with httpx.Client(timeout=60.0) as client:
        for identifier in identifiers:
            body = _request_body(query, identifier)
            expected: Any = None
            for target in checked:
                data = _post(client, target, body).get("data")
                if not data or data.get("subject") is None:
                    raise NotEquivalent(f"({target.key}) gave no subject for {identifier}")
                if not target.like_for_like:
                    continue
                if expected is None:
                    expected = data
                elif data != expected:
                    raise NotEquivalent(
                        f"({target.key}) {target.label} differs from (a) for {identifier}:\n"
                        f"{_first_difference(expected, data)}"
                    )


def _first_difference(expected: Any, actual: Any, path: str = "data") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            left, right = expected.get(key, "<absent>"), actual.get(key, "<absent>")
            if left != right:
                return _first_difference(left, right, f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            if left != right:
                return _first_difference(left, right, f"{path}[{index}]")
    return f"  at {path}: (a) has {expected!r:.300}, this one {actual!r:.300}"


def drive(target: Target, bodies: Path, args: argparse.Namespace) -> Result:
    argv = [
        "node",
        str(BENCH / "load.mjs"),
        f"--url={target.url}",
        f"--bodies={bodies}",
        f"--concurrency={args.concurrency}",
        f"--warmup={args.warmup}",
        f"--duration={args.duration}",
        *(f"--header={name}: {value}" for name, value in target.headers.items()),
    ]
    completed = _run(argv, timeout=args.warmup + args.duration + 120)
    measured = orjson.loads(completed)
    return Result(target.key, target.label, target.like_for_like, measured)


def _run(argv: Sequence[str], timeout: float) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv[:2])} failed: {done.stderr.strip()[-800:]}")
    return done.stdout


def _parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="timed seconds per target")
    parser.add_argument("--warmup", type=float, default=15.0, help="untimed seconds per target")
    parser.add_argument(
        "--sample", type=int, default=1000, help="subjects the requests are spread over"
    )
    parser.add_argument(
        "--check", type=int, default=25, help="subjects whose answers must agree first"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results here (.md)")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="where seeded databases are kept"
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Run the bench; a failure is one line, and every process started is stopped."""
    signal.signal(signal.SIGTERM, _interrupt)  # unwind like Ctrl-C, stopping what we started
    try:
        run()
    except (RuntimeError, CreditgraphError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        sys.exit(130)


def run() -> None:
    args = _parse()
    command = shlex.join([".venv/bin/python", "bench/peers.py", *sys.argv[1:]])
    machine = Machine.here()
    started = time.monotonic()
    interop = interop_root()
    if interop is None:
        raise SystemExit("error: run bench/peers.py from a source checkout (interop/ is needed)")
    ensure_installed(BENCH)
    ensure_installed(interop)
    query = (operations_root() / OPERATION_FILE).read_text(encoding="utf-8")

    directory = cache_dir(args.subjects, args.seed, args.cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    print(f"database: {directory}")
    with (
        EmbeddedPostgres(directory / "pgdata") as database,
        tempfile.TemporaryDirectory(prefix="creditgraph-peers-") as scratch_name,
        Services() as services,
    ):
        seeding = asyncio.run(
            ensure_seeded(database.dsn, directory, subjects=args.subjects, seed=args.seed)
        )
        how = "reused, seeded" if seeding.reused else "seeded"
        print(
            f"{seeding.subject_rows:,} subjects, {seeding.total_rows:,} rows "
            f"({how} in {seeding.seconds:.0f} s)"
        )
        sampled = asyncio.run(_sample(database.dsn, args.sample))
        scratch = Path(scratch_name)
        logs = scratch / "logs"
        logs.mkdir()
        env = {
            **os.environ,
            "DATABASE_URL": database.dsn,
            "CREDITGRAPH_HOME": str(scratch / "home"),
            "CREDITGRAPH_INTERNAL_SECRET": secrets.token_urlsafe(48),
        }
        results = _run_targets(args, services, env, scratch, query, sampled)
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
    print_table(results)
    print(f"\nend to end: {elapsed:.0f} s")
    if args.out is not None:
        charts = write_charts(results, args.out.parent, "benchmarks", "Bank underwriting")
        write_markdown(
            args.out,
            results=results,
            command=command,
            machine=machine,
            seeding=seeding,
            args=vars(args),
            charts=charts,
            elapsed=elapsed,
            load_after=load_after,
        )
        print(f"wrote {args.out} and its charts")


def _run_targets(
    args: argparse.Namespace,
    services: Services,
    env: dict[str, str],
    scratch: Path,
    query: str,
    sampled: dict[str, str | None],
) -> list[Result]:
    identifiers = list(sampled)
    logs = scratch / "logs"
    urls = {}
    for name in SUBGRAPH_NAMES:
        service, urls[name] = subgraph_service(name, env, logs)
        services.run(service)
    for service in services.started:
        service.wait_ready()
    supergraph = scratch / "supergraph.graphql"
    supergraph.write_text(
        compose({name: subgraph_sdl(name) for name in SUBGRAPH_NAMES}, urls), encoding="utf-8"
    )
    interop = interop_root()
    assert interop is not None
    lineup = targets(env, logs, subgraph_urls=urls, supergraph=supergraph, interop=interop)
    for target in lineup:
        services.run(target.service)
    for target in lineup:
        target.service.wait_ready()
    print("started: " + ", ".join(f"({t.key}) {t.label}" for t in lineup))

    policy = next(target for target in lineup if not target.like_for_like)
    home = Path(env["CREDITGRAPH_HOME"])
    token = mint_demo_token(home, "BANK", BANK.code, "bench", lifetime_seconds=4 * 3600)
    policy.headers["authorization"] = f"Bearer {token}"
    print(
        f"recording and confirming LOAN_APPROVAL authorisations for {len(identifiers):,} subjects …"
    )
    authorising = time.monotonic()
    authorise(policy, sampled, home)
    print(f"  done in {time.monotonic() - authorising:.0f} s")

    check_equivalent(lineup, query, identifiers[: args.check])
    print(f"(a)-(e) return the same data for {args.check} subjects; (p) answers them")

    bodies = scratch / "bodies.json"
    bodies.write_bytes(orjson.dumps([_request_body(query, i) for i in identifiers]))
    results = []
    for target in lineup:
        print(f"driving ({target.key}) {target.label} …", flush=True)
        results.append(drive(target, bodies, args))
    return results


if __name__ == "__main__":
    main()
