"""What bench/peers.py compares: one gateway or endpoint per target, and how to start it.

All of them answer the same underwriting operation from the same database:
creditgraph with its subgraphs in-process, creditgraph over the HTTP
subgraphs, Hive Gateway and Apollo Gateway over those same HTTP subgraphs,
the hand-written floor (bench/floor.py), and creditgraph in-process under
its edition policy (the product as shipped: a bank token, grants, inquiries
and the audit log written on every request).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from peers_services import Service, free_port

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent
HIVE_BIN = BENCH / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    label: str
    url: str
    service: Service
    #: answers with the same JSON as the others (no policy): checked, and timed against (a)
    like_for_like: bool = True
    headers: dict[str, str] = field(default_factory=dict)


def _local(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def _creditgraph(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "creditgraph", *arguments]


def subgraph_service(name: str, env: dict[str, str], logs: Path) -> tuple[Service, str]:
    port = free_port()
    service = Service(
        f"subgraph-{name}",
        _creditgraph("subgraph", name, "--port", str(port)),
        health_url=_local(port, "/healthz"),
        env=env,
        logs=logs,
    )
    return service, _local(port, "/graphql")


def creditgraph_gateway(
    name: str, port: int, options: list[str], env: dict[str, str], logs: Path
) -> Service:
    """`creditgraph serve` with `options` on `port`."""
    return Service(
        name,
        _creditgraph("serve", *options, "--port", str(port)),
        health_url=_local(port, "/healthz"),
        env=env,
        logs=logs,
    )


def hive_gateway(
    name: str, port: int, supergraph: Path, env: dict[str, str], logs: Path
) -> Service:
    """Hive Gateway (bench/package.json) over `supergraph`, signing the internal credential."""
    return Service(
        name,
        [
            "node",
            str(HIVE_BIN),
            "supergraph",
            str(supergraph),
            "--config-path",
            str(BENCH / "hive_gateway.config.mjs"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        health_url=_local(port, "/readiness"),
        env=env,
        logs=logs,
        cwd=BENCH,
    )


def apollo_gateway(
    name: str, port: int, supergraph: Path, env: dict[str, str], logs: Path, interop: Path
) -> Service:
    """Apollo Gateway (interop/apollo_gateway.mjs) over `supergraph`."""
    return Service(
        name,
        [
            "node",
            str(interop / "apollo_gateway.mjs"),
            "--supergraph",
            str(supergraph),
            "--port",
            str(port),
        ],
        health_url=_local(port, "/healthz"),
        env=env,
        logs=logs,
        cwd=interop,
    )


def targets(
    env: dict[str, str],
    logs: Path,
    *,
    subgraph_urls: dict[str, str],
    supergraph: Path,
    interop: Path,
) -> list[Target]:
    """The six targets, not started yet, each on a port of its own."""
    overrides = [f"--subgraph={name}={url}" for name, url in subgraph_urls.items()]
    a, b, c, d, e, p = (free_port() for _ in range(6))
    return [
        Target(
            "a",
            "creditgraph, subgraphs in-process",
            _local(a, "/graphql"),
            creditgraph_gateway(
                "a-creditgraph-in-process", a, ["--in-process", "--no-policy"], env, logs
            ),
        ),
        Target(
            "b",
            "creditgraph, HTTP subgraphs",
            _local(b, "/graphql"),
            creditgraph_gateway("b-creditgraph-http", b, ["--no-policy", *overrides], env, logs),
        ),
        Target(
            "c",
            "Hive Gateway, HTTP subgraphs",
            _local(c, "/graphql"),
            hive_gateway("c-hive-gateway", c, supergraph, env, logs),
        ),
        Target(
            "d",
            "Apollo Gateway, HTTP subgraphs",
            _local(d, "/graphql"),
            apollo_gateway("d-apollo-gateway", d, supergraph, env, logs, interop),
        ),
        Target(
            "e",
            "floor: hand-written asyncpg endpoint",
            _local(e, "/graphql"),
            Service(
                "e-floor",
                [sys.executable, str(BENCH / "floor.py"), "--port", str(e)],
                health_url=_local(e, "/healthz"),
                env=env,
                logs=logs,
            ),
        ),
        Target(
            "p",
            "creditgraph in-process, edition policy",
            _local(p, "/graphql"),
            creditgraph_gateway("p-creditgraph-policy", p, ["--in-process"], env, logs),
            like_for_like=False,
        ),
    ]
