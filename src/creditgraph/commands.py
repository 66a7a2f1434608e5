"""What each command does, apart from parsing its arguments (cli.py)."""

from __future__ import annotations

import asyncio
import errno
import gc
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from creditgraph import tracing
from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.access.rate_limits import RateLimits
from creditgraph.access.tokens import TokenVerifier
from creditgraph.config import options as o
from creditgraph.db.connect import connect, create_pool
from creditgraph.db.migrations import MigrationReport, migrate
from creditgraph.demo import (
    DemoRequesters,
    demo_tabs,
    ensure_social_consent,
    hands_out_tokens,
    portal_personas,
    print_demo_tokens,
    print_trusted_only,
)
from creditgraph.errors import ConfigurationError
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.errors import SupergraphError
from creditgraph.gateway.persisted_queries import PersistedQueries, load_persisted_queries
from creditgraph.gateway.stages.pipeline import Access
from creditgraph.gateway.transports import HTTPTransport, InProcessTransport, Transport
from creditgraph.graphiql import graphiql_routes
from creditgraph.live import LiveHub, live_routes, served_hub
from creditgraph.observability import (
    MeteredTransport,
    Metrics,
    RequestLog,
    Subgraphs,
    log_config,
)
from creditgraph.portal import portal_routes
from creditgraph.reloading import Generation, Reloader, Swappable
from creditgraph.resources import migrations_root, policy_path, supergraph_path
from creditgraph.scores.recompute import RecomputeReport, recompute_bureau_scores
from creditgraph.seed import INSTITUTIONS, PERSONAS, SeedReport, seed_database
from creditgraph.server import build_app
from creditgraph.settings import OperationLimits, Resilience, Settings, ensure_home, redact
from creditgraph.subgraphs import credential
from creditgraph.subgraphs.app import build_subgraph_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

T = TypeVar("T")


async def run_migrations(dsn: str) -> MigrationReport:
    conn = await connect(dsn)
    try:
        return await migrate(conn, migrations_root())
    finally:
        await conn.close()


async def on_migrated_database(dsn: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Migrate the database, then do `work` on one connection: every command that writes."""
    conn = await connect(dsn)
    try:
        await migrate(conn, migrations_root())
        return await work(conn)
    finally:
        await conn.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )


async def run_seed(
    dsn: str, *, subjects: int, seed: int, force: bool, show_progress: bool
) -> SeedReport:
    async def work(conn: asyncpg.Connection) -> SeedReport:
        if not show_progress:
            return await seed_database(conn, subjects=subjects, seed=seed, force=force)
        with _progress() as progress:
            return await seed_database(
                conn, subjects=subjects, seed=seed, force=force, progress=progress
            )

    return await on_migrated_database(dsn, work)


def personas_document() -> dict[str, Any]:
    return {
        "subjects": [
            {"identifier": p.identifier, "name": p.name, "kind": p.kind, "story": p.story}
            for p in PERSONAS
        ],
        "institutions": [{"code": i.code, "name": i.name, "role": i.role} for i in INSTITUTIONS],
    }


def print_personas(console: Console | None = None) -> None:
    console = console or Console()
    subjects = Table(title="Demo subjects", show_lines=False)
    for column in ("identifier", "name", "kind", "story"):
        subjects.add_column(column, overflow="fold")
    for p in PERSONAS:
        subjects.add_row(p.identifier, p.name, p.kind, p.story)
    institutions = Table(title="Demo institutions")
    for column in ("code", "name", "role"):
        institutions.add_column(column)
    for i in INSTITUTIONS:
        institutions.add_row(i.code, i.name, i.role)
    console.print(subjects)
    console.print(institutions)


def check_port_free(host: str, port: int) -> None:
    """Fail before anything starts if the port is taken, rather than after seeding."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigurationError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"port {port} on {host} is already in use; choose another with --port"
                ) from None
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


# Idle keep-alive connections are held longer than clients (our gateway's pool, Node's
# agent, load balancers) keep theirs, so a client never reuses one the server is closing
# at that very moment: with equal timeouts that race shows up as a "socket hang up".
_KEEP_ALIVE_SECONDS = 75


def _server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """The server's settings, made once the app is built.

    Everything made so far (schemas, policy, pools, the app) lives as long as the server, so
    it is frozen out of the garbage collector's way: a full collection walking all of it held
    the event loop, and every request waiting on it, for a hundred milliseconds or more.
    """
    gc.freeze()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        # JSON lines on stderr; RequestLog writes the one line per request, with its id
        log_config=log_config(),
        access_log=False,
        lifespan="off",
        timeout_keep_alive=_KEEP_ALIVE_SECONDS,
    )


async def _subject_count(conn: asyncpg.Connection) -> int:
    count = await conn.fetchval("select count(*) from bureau.subjects")
    return int(count)


async def run_up(
    dsn: str,
    *,
    host: str,
    port: int,
    subjects: int,
    settings: Settings,
    trusted_only: bool = False,
    demo_tokens: bool = False,
) -> None:
    console = Console(stderr=True)
    conn = await connect(dsn)
    try:
        report = await migrate(conn, migrations_root())
        if report.applied:
            console.print(f"applied {len(report.applied)} migration(s)")
        if await _subject_count(conn) == 0:
            console.print(f"seeding {subjects:,} demo subjects …")
            with _progress() as progress:
                seeded = await seed_database(conn, subjects=subjects, seed=1, progress=progress)
            console.print(seeded.summary())
    finally:
        await conn.close()

    home = ensure_home(settings.home)
    tokens_in_page = hands_out_tokens(host, demo_tokens=demo_tokens)
    pool = await create_pool(dsn, limits=settings.limits)
    supergraph, metrics = load_supergraph(supergraph_path()), Metrics()
    gateway = in_process_gateway(
        supergraph,
        pool,
        resilience=settings.resilience,
        metrics=metrics,
        limits=settings.operations,
    )
    access: Access | None = None
    try:
        queries = load_persisted_queries(
            trusted_only=trusted_only,
            manifests=settings.config[o.MANIFESTS],
            check=gateway.documents.get,
        )
        access = enforcing(gateway, Policy.load(policy_path()), pool, settings)
        await ensure_social_consent(access.policy)
        app = build_app(
            gateway,
            pool=pool,
            access=access,
            metrics=metrics,
            subgraphs=serving_subgraphs(supergraph, None),
            queries=queries,
            pages=[
                *graphiql_routes(lambda: demo_tabs(home, tokens=tokens_in_page)),
                *portal_routes((lambda: portal_personas(home)) if tokens_in_page else None),
                *live_routes(served_hub(pool), access.pipeline()),
            ],
            config=settings.config,
        )
        config = _server_config(app, host, port)
        server = uvicorn.Server(config)
        where = "embedded PostgreSQL" if settings.database_url is None else "DATABASE_URL"
        console.print(f"database ({where}): {redact(dsn)}")
        print_personas(console)
        print_demo_tokens(console, DemoRequesters.mint(home), f"http://{host}:{port}/graphql")
        if trusted_only:
            print_trusted_only(console, queries)
        console.print(
            f"creditgraph is up at http://{host}:{port}/graphql  "
            f"(GraphiQL: http://{host}:{port}/, the subject's portal: "
            f"http://{host}:{port}/portal, health: /healthz)"
        )
        console.print("Ctrl-C stops it.")
        await server.serve()
    finally:
        if access is not None:
            access.verifier.close()
        await gateway.aclose()
        await pool.close()


@contextmanager
def traced(settings: Settings, service: str) -> Iterator[None]:
    """Tracing as configured (`[tracing]`), while a server runs: set up before its pool (whose
    connections then trace their statements), and the spans still queued sent at its end."""
    provider = tracing.configure(settings.config[o.OTLP_ENDPOINT], service)
    try:
        yield
    finally:
        if provider is not None:
            provider.shutdown()
        tracing.use(None)


def load_supergraph(path: Path) -> Supergraph:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the supergraph {path}: {exc.strerror}") from None
    try:
        return Supergraph(text)
    except SupergraphError as exc:
        raise SupergraphError(f"{path}: {exc}") from None


def policy_for(
    supergraph: Supergraph, *, no_policy: bool, policy_file: Path | None = None
) -> Policy | None:
    """Fail closed: the policy to enforce, or None only when told to serve without one.

    creditgraph's own graph (its subgraphs, the consent one included) comes with
    graphql/policy.toml; any other supergraph needs `--policy FILE` or `--no-policy`.
    """
    if supergraph.policy_declared:
        raise ConfigurationError(
            "this supergraph declares its policy in schema directives, which this version "
            "cannot enforce; give the policy as a file with --policy"
        )
    if no_policy:
        if policy_file is not None:
            raise ConfigurationError("--policy and --no-policy do not go together")
        return None
    if policy_file is not None:
        return Policy.load(policy_file)
    if {graph.name for graph in supergraph.graphs.values()} == set(SUBGRAPH_NAMES):
        return Policy.load(policy_path())
    raise ConfigurationError(
        "this supergraph declares no creditgraph policy, so nothing would decide who may "
        "see what; give one with --policy FILE, or pass --no-policy to serve it as a plain "
        "federation gateway"
    )


def guarded(
    gateway: Gateway, policy: Policy | None, pool: asyncpg.Pool | None, settings: Settings
) -> Access | None:
    """The policy layer and token check in front of `gateway`, when there is a policy."""
    if policy is None:
        return None
    if pool is None:
        raise ConfigurationError("enforcing a policy needs the database (grants and records)")
    return enforcing(gateway, policy, pool, settings)


def enforcing(gateway: Gateway, policy: Policy, pool: asyncpg.Pool, settings: Settings) -> Access:
    """The policy layer and token check in front of `gateway`."""
    home = ensure_home(settings.home)
    verifier = TokenVerifier.from_settings(home, settings=settings.jwt)
    furnishing = verifier.for_furnishing()
    limits = RateLimits.from_config(settings.config, pool)
    return Access(verifier, PolicyGateway(gateway, policy, pool), furnishing, limits)


def _metered(transport: Transport, metrics: Metrics | None) -> Transport:
    return transport if metrics is None else MeteredTransport(transport, metrics)


def in_process_gateway(
    supergraph: Supergraph,
    pool: asyncpg.Pool,
    *,
    resilience: Resilience | None = None,
    metrics: Metrics | None = None,
    limits: OperationLimits | None = None,
) -> Gateway:
    """The gateway with creditgraph's own subgraphs mounted in this process.

    With `metrics`, each fetch from a subgraph (each attempt) is timed and its failures
    counted there; `limits` are the operation limits (the defaults when not given).
    """
    names = {graph.name for graph in supergraph.graphs.values()}
    foreign = sorted(names - set(SUBGRAPH_NAMES))
    if foreign:
        raise ConfigurationError(
            f"subgraph(s) {', '.join(foreign)} cannot run in-process: only "
            f"{', '.join(SUBGRAPH_NAMES)} can; serve this supergraph over HTTP instead"
        )
    transport = InProcessTransport({name: subgraph_schema(name) for name in names}, pool)
    return Gateway(
        supergraph,
        _metered(transport, metrics),
        resilience=resilience,
        limits=limits,
    )


def subgraph_urls(supergraph: Supergraph, overrides: dict[str, str]) -> dict[str, str]:
    """Each subgraph's URL: the supergraph's unless overridden; every one must have one."""
    urls = {graph.name: graph.url for graph in supergraph.graphs.values()}
    unknown = sorted(set(overrides) - set(urls))
    if unknown:
        raise ConfigurationError(f"the supergraph has no subgraph named {', '.join(unknown)}")
    urls.update(overrides)
    missing = sorted(name for name, url in urls.items() if not url)
    if missing:
        raise ConfigurationError(
            f"no URL for subgraph(s) {', '.join(missing)}: give one with --subgraph NAME=URL"
        )
    return urls


def http_gateway(
    supergraph: Supergraph,
    *,
    overrides: dict[str, str],
    secret: bytes | None,
    resilience: Resilience | None = None,
    metrics: Metrics | None = None,
    limits: OperationLimits | None = None,
) -> Gateway:
    """The gateway over HTTP subgraphs, at the supergraph's URLs unless overridden.

    With `metrics`, each fetch from a subgraph (each attempt) is timed and its failures
    counted there; `limits` are the operation limits (the defaults when not given).
    """
    transport = HTTPTransport(subgraph_urls(supergraph, overrides), secret=secret)
    return Gateway(
        supergraph,
        _metered(transport, metrics),
        resilience=resilience,
        limits=limits,
    )


def serving_subgraphs(supergraph: Supergraph, overrides: dict[str, str] | None) -> Subgraphs:
    """How `/readyz` reaches each subgraph: mounted here (no `overrides`), or over HTTP."""
    if overrides is None:
        return Subgraphs.in_process(graph.name for graph in supergraph.graphs.values())
    return Subgraphs.over_http(subgraph_urls(supergraph, overrides))


Graph = tuple[Supergraph, Policy | None]


def load_graph(settings: Settings, *, no_policy: bool) -> Graph:
    """The supergraph `serve` serves and the policy it enforces, as the settings name them."""
    supergraph = load_supergraph(settings.config[o.SUPERGRAPH] or supergraph_path())
    policy = policy_for(supergraph, no_policy=no_policy, policy_file=settings.config[o.POLICY])
    return supergraph, policy


def _watched(settings: Settings) -> tuple[Path, ...]:
    """The files a generation is built from that an operator edits, for `serve --watch`."""
    config = settings.config
    named = (
        config.path,
        config[o.SUPERGRAPH],
        config[o.POLICY],
        config[o.JWT_PUBLIC_KEY],
        config[o.JWT_JWKS],
        *config[o.MANIFESTS],
    )
    return tuple(path for path in named if path is not None)


def generations(
    *,
    pool: asyncpg.Pool | None,
    overrides: dict[str, str] | None,
    no_policy: bool,
    portal: bool,
    metrics: Metrics,
) -> Callable[[Settings, Graph | None], Awaitable[Generation]]:
    """How `serve` builds what it serves from the settings, at start and at each reload.

    Subgraphs in-process (no `overrides`, with the `pool`) or over HTTP; the policy unless
    `no_policy`; the portal and its live channel when asked. `graph` is the supergraph and
    policy when already loaded (at start), else they are loaded from the settings.
    """
    hub = served_hub(pool) if portal and pool is not None else None

    def prepare(settings: Settings, graph: Graph | None) -> tuple[Graph, Gateway, PersistedQueries]:
        """The part that only reads files and computes: tenths of a second of parsing and
        validating that a reload does in a worker thread, off the event loop."""
        supergraph, policy = graph or load_graph(settings, no_policy=no_policy)
        if overrides is None:
            if pool is None:
                raise ConfigurationError("in-process subgraphs need the database")
            gateway = in_process_gateway(
                supergraph,
                pool,
                resilience=settings.resilience,
                metrics=metrics,
                limits=settings.operations,
            )
        else:
            gateway = _over_http(supergraph, overrides, settings, metrics)
        # a gateway that has fetched nothing holds no connection: left behind, it costs nothing
        queries = load_persisted_queries(
            trusted_only=settings.config[o.TRUSTED_ONLY],
            manifests=settings.config[o.MANIFESTS],
            check=gateway.documents.get,
        )
        return (supergraph, policy), gateway, queries

    async def build(settings: Settings, graph: Graph | None = None) -> Generation:
        (supergraph, policy), gateway, queries = await asyncio.to_thread(prepare, settings, graph)
        access: Access | None = None

        async def close() -> None:
            if access is not None:
                access.verifier.close()
            await gateway.aclose()

        try:
            access = guarded(gateway, policy, pool, settings)
            pages = portal_pages(hub, access) if portal else ()
            app = build_app(
                gateway,
                pool=pool,
                access=access,
                metrics=metrics,
                subgraphs=serving_subgraphs(supergraph, overrides),
                queries=queries,
                pages=pages,
                config=settings.config,
            )
        except BaseException:
            await close()
            raise
        return Generation(settings, app, close, _watched(settings))

    return build


async def serve_gateway(
    build: Callable[[Settings, Graph | None], Awaitable[Generation]],
    settings: Settings,
    graph: Graph,
    *,
    reload_settings: Callable[[], Settings],
    watch: bool = False,
) -> None:
    """Serve what `build` makes, until stopped; `SIGHUP` (and, with `watch`, a change to a
    file it was built from) builds it again from `reload_settings()` (reloading.py)."""
    console = Console(stderr=True)
    front = Swappable(await build(settings, graph))
    reloader = Reloader(front, lambda fresh: build(fresh, None), reload_settings)
    host, port = settings.config[o.HOST], settings.config[o.PORT]
    config = _server_config(front, host, port)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, reloader.request)
    watching = asyncio.ensure_future(reloader.watch()) if watch else None
    console.print(
        f"creditgraph gateway at http://{host}:{port}/graphql "
        "(Ctrl-C stops it, SIGHUP reloads its configuration)"
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        if watching is not None:
            watching.cancel()
        await front.aclose()


async def run_serve(
    dsn: str,
    settings: Settings,
    graph: Graph,
    *,
    reload_settings: Callable[[], Settings],
    no_policy: bool,
    overrides: dict[str, str] | None = None,
    portal: bool = False,
    watch: bool = False,
) -> None:
    """Serve with the database open: subgraphs in-process (no `overrides`), or over HTTP.

    `portal`: serve the subject's portal too, as a deployment does: no demo personas, the
    visitor brings their identity provider's token."""
    await run_migrations(dsn)
    pool = await create_pool(dsn, limits=settings.limits)
    try:
        build = generations(
            pool=pool, overrides=overrides, no_policy=no_policy, portal=portal, metrics=Metrics()
        )
        await serve_gateway(build, settings, graph, reload_settings=reload_settings, watch=watch)
    finally:
        await pool.close()


def portal_pages(hub: LiveHub | None, access: Access | None) -> list[BaseRoute]:
    """The portal as a deployment serves it (no demo personas), with its live channel."""
    if access is None or hub is None:
        raise ConfigurationError("the portal needs the edition policy: it shows a subject's report")
    return [*portal_routes(None), *live_routes(hub, access.pipeline())]


async def run_plain_serve(
    settings: Settings,
    graph: Graph,
    *,
    reload_settings: Callable[[], Settings],
    overrides: dict[str, str],
    watch: bool = False,
) -> None:
    """Serve a supergraph over its HTTP subgraphs as a plain federation gateway: no policy,
    so no database."""
    build = generations(
        pool=None, overrides=overrides, no_policy=True, portal=False, metrics=Metrics()
    )
    await serve_gateway(build, settings, graph, reload_settings=reload_settings, watch=watch)


def _over_http(
    supergraph: Supergraph,
    overrides: dict[str, str],
    settings: Settings,
    metrics: Metrics,
) -> Gateway:
    secret = credential.load_secret(ensure_home(settings.home))
    return http_gateway(
        supergraph,
        overrides=overrides,
        secret=secret,
        resilience=settings.resilience,
        metrics=metrics,
        limits=settings.operations,
    )


async def run_subgraph(dsn: str, *, name: str, host: str, port: int, settings: Settings) -> None:
    """Serve one subgraph alone over HTTP, for the gateway only."""
    console = Console(stderr=True)
    secret = credential.load_secret(ensure_home(settings.home))
    schema = subgraph_schema(name)
    await run_migrations(dsn)
    pool = await create_pool(dsn, limits=settings.limits)
    try:
        app = RequestLog(build_subgraph_app(name, schema, pool, secret=secret))
        config = _server_config(app, host, port)
        console.print(f"database: {redact(dsn)}")
        console.print(
            f"{name} subgraph at http://{host}:{port}/graphql "
            "(answers the creditgraph gateway only; Ctrl-C stops it)"
        )
        await uvicorn.Server(config).serve()
    finally:
        await pool.close()


async def run_score(dsn: str) -> RecomputeReport:
    """Migrate, then score every subject with the bureau scorecard."""
    return await on_migrated_database(dsn, recompute_bureau_scores)
