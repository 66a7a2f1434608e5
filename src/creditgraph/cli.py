"""The `creditgraph` command line.

Each command is thin: it parses arguments, opens the database (configured or
embedded) and calls one function in commands.py that does the work. Errors the user can act
on (`CreditgraphError`) are printed as one line with no traceback; Ctrl-C and
SIGTERM unwind through the same context managers, so an embedded PostgreSQL is
always stopped on the way out; Ctrl-C then exits 130, SIGTERM (a service manager's
ordinary stop) 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click
import orjson
import uvloop
from asyncpg import Connection
from click.core import ParameterSource

from creditgraph import __version__
from creditgraph.access import mandates
from creditgraph.access.audit import verify_database
from creditgraph.access.policy import Policy
from creditgraph.access.tokens import (
    DEFAULT_LIFETIME_SECONDS,
    MAX_LIFETIME_SECONDS,
    mint_demo_token,
    mint_furnisher_token,
)
from creditgraph.bureau import answers
from creditgraph.commands import (
    check_port_free,
    load_graph,
    load_supergraph,
    on_migrated_database,
    personas_document,
    print_personas,
    run_migrations,
    run_plain_serve,
    run_score,
    run_seed,
    run_serve,
    run_subgraph,
    run_up,
    traced,
)
from creditgraph.config import SCHEMA, Option
from creditgraph.config import options as o
from creditgraph.config.docs import render as render_config
from creditgraph.config.docs import splice as splice_config
from creditgraph.db.connect import database
from creditgraph.eligibility import catalogue as eligibility_catalogue
from creditgraph.errors import ConfigurationError, CreditgraphError
from creditgraph.furnishing.batch import furnish_file, furnisher_from_token
from creditgraph.furnishing.docs import render as render_formats
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.composition import compose_ours
from creditgraph.identifiers import normalise_identifier
from creditgraph.measures import catalogue
from creditgraph.public import decisions
from creditgraph.requester import Role
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.load import MAX_SUBJECTS
from creditgraph.settings import Settings, ensure_home, redact
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES
from creditgraph.subgraphs.sdl import write_sdl

T = TypeVar("T")


class Terminated(KeyboardInterrupt):
    """SIGTERM: unwinds exactly as Ctrl-C does, but is the ordinary way a service is stopped
    (by systemd, Kubernetes, a supervisor), so the command then exits 0, not 130."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def _stoppable() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so both unwind the same way and clean up."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to the end on uvloop's event loop.

    uvicorn chooses uvloop only for a loop it creates itself, and our servers run
    inside the loop this makes, so the choice is made here: uvloop's loop costs the
    gateway less CPU per request than asyncio's own.
    """
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


def _settings(flags: Mapping[Option[Any], object] | None = None) -> Settings:
    """The settings: the configuration file (`--config`, else `$CREDITGRAPH_CONFIG`), the
    environment over it, and the command line's `flags` over both."""
    return _reloading(flags or {})()


def _reloading(flags: Mapping[Option[Any], object]) -> Callable[[], Settings]:
    """How a reload reads the settings again: the same file (`--config`, else
    `$CREDITGRAPH_CONFIG`) and environment, under the same command-line flags."""
    context = click.get_current_context(silent=True)
    path = None if context is None else context.find_root().obj
    return lambda: Settings.load(path, None, flags)


def _given(**options: Option[Any]) -> dict[Option[Any], object]:
    """The values of this command's parameters that were given on its command line, each for
    the option it overrides (a parameter left at its default leaves the option alone)."""
    context = click.get_current_context()
    return {
        option: context.params[name]
        for name, option in options.items()
        if context.get_parameter_source(name) == ParameterSource.COMMANDLINE
    }


def _with_database(
    work: Callable[[str, Settings], Coroutine[Any, Any, T]], settings: Settings | None = None
) -> T:
    """Run `work` against the configured or embedded database, stopping it on the way out."""
    settings = settings or _settings()
    with _stoppable(), database(settings) as dsn:
        return _run(work(dsn, settings))


def _serving(
    work: Callable[[str, Settings], Coroutine[Any, Any, None]],
    settings: Settings,
    subgraph: str | None = None,
) -> None:
    """Run a server (`work`) as `_with_database` does, traced as configured (`[tracing]`):
    as the gateway, or as `subgraph` served apart (`creditgraph-bureau`)."""
    service = settings.config[o.SERVICE_NAME]
    with traced(settings, service if subgraph is None else f"{service}-{subgraph}"):
        _with_database(work, settings)


def _on_migrated(work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run `work` on one connection to the migrated database: the operator commands that write."""
    return _with_database(lambda dsn, _settings: on_migrated_database(dsn, work))


def _subjects_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--subjects",
        type=click.IntRange(0, MAX_SUBJECTS),
        default=1000,
        show_default=True,
        help=help_text,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="creditgraph")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The configuration file (TOML); default: $CREDITGRAPH_CONFIG, else none. "
    "Environment variables and flags override it.",
)
@click.pass_context
def cli(context: click.Context, config_path: Path | None) -> None:
    """creditgraph: one graph over a subject's credit life."""
    context.obj = config_path


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    report = _with_database(lambda dsn, _settings: run_migrations(dsn))
    click.echo(
        f"applied {len(report.applied)} migration(s); {report.already_applied} were already applied"
    )
    for migration in report.applied:
        click.echo(f"  {migration.label}")


@cli.command()
@_subjects_option("How many subjects to generate, besides the demo personas.")
@click.option(
    "--seed",
    "seed_value",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Random seed: the same --subjects and --seed give the same data.",
)
@click.option("--force", is_flag=True, help="Replace the data in a database that is not empty.")
def seed(subjects: int, seed_value: int, force: bool) -> None:
    """Load deterministic demo data (migrating first)."""
    report = _with_database(
        lambda dsn, _settings: run_seed(
            dsn, subjects=subjects, seed=seed_value, force=force, show_progress=True
        )
    )
    click.echo(report.summary())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def personas(as_json: bool) -> None:
    """List the demo subjects and institutions."""
    if as_json:
        click.echo(orjson.dumps(personas_document(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_personas()


_TOKEN_ROLES: dict[str, Role] = {"subject": "SUBJECT", "bank": "BANK", "government": "GOVERNMENT"}


def _token_identifier(role: Role, identifier: str | None, institution: str | None) -> str:
    """The one identifier the role takes, naming the option that is missing or out of place."""
    if role == "SUBJECT":
        if institution is not None:
            raise ConfigurationError("--role subject takes --identifier, not --institution")
        if identifier is None:
            raise ConfigurationError("--role subject needs --identifier ID")
        return normalise_identifier(identifier)
    name = role.lower()
    if identifier is not None:
        raise ConfigurationError(f"--role {name} takes --institution CODE, not --identifier")
    if institution is None:
        raise ConfigurationError(f"--role {name} needs --institution CODE")
    return normalise_identifier(institution)


@cli.command()
@click.option(
    "--role",
    type=click.Choice([*_TOKEN_ROLES, "furnisher"]),
    required=True,
    help="Who the token is for; a furnisher's token reports records and reads nothing.",
)
@click.option(
    "--identifier",
    help="The subject's resident identity number, or an organisation's unified social credit "
    "code with --representative (--role subject).",
)
@click.option(
    "--institution",
    help="The institution's unified social credit code (--role bank, government or furnisher).",
)
@click.option(
    "--operator", help="The person operating for the institution (required for --role bank)."
)
@click.option(
    "--representative",
    help="For an organisation (--role subject --identifier USCC): the resident identity number "
    "of its legal representative, who acts for it. The gateway checks it on every request.",
)
@click.option(
    "--ttl",
    type=int,
    default=DEFAULT_LIFETIME_SECONDS,
    show_default=True,
    help=f"Seconds the token stays valid, at most {MAX_LIFETIME_SECONDS} (30 days).",
)
def token(
    role: str,
    identifier: str | None,
    institution: str | None,
    operator: str | None,
    representative: str | None,
    ttl: int,
) -> None:
    """Print a signed demo JWT for a requester or a furnisher, alone on stdout (demo mode only)."""
    if not 1 <= ttl <= MAX_LIFETIME_SECONDS:
        raise ConfigurationError(f"--ttl must be 1 to {MAX_LIFETIME_SECONDS} seconds (30 days)")
    if role == "furnisher":
        if identifier is not None or representative is not None or institution is None:
            raise ConfigurationError("--role furnisher takes --institution CODE (and --operator)")
        settings = _settings()
        code = normalise_identifier(institution)
        home = ensure_home(settings.home)
        click.echo(
            mint_furnisher_token(home, code, operator, lifetime_seconds=ttl, settings=settings.jwt)
        )
        return
    requester_role = _TOKEN_ROLES[role]
    if requester_role == "SUBJECT" and operator is not None:
        raise ConfigurationError("--role subject takes no --operator")
    if requester_role != "SUBJECT" and representative is not None:
        raise ConfigurationError(f"--role {role} takes no --representative")
    if requester_role == "BANK" and operator is None:
        raise ConfigurationError("--role bank needs --operator NAME")
    subject = _token_identifier(requester_role, identifier, institution)
    settings = _settings()
    home = ensure_home(settings.home)
    person = None if representative is None else normalise_identifier(representative)
    click.echo(
        mint_demo_token(
            home,
            requester_role,
            subject,
            operator,
            lifetime_seconds=ttl,
            settings=settings.jwt,
            representative=person,
        )
    )


_trusted_only_option = click.option(
    "--trusted-only",
    is_flag=True,
    help="Run only the trusted operations in graphql/operations (by hash or exact text); "
    "gateway.trusted_only.",
)
_manifest_option = click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A client operation manifest (Apollo's or Relay's) whose documents are served by id, "
    "in trusted-only mode too (repeatable); gateway.manifests.",
)
_host_option = click.option(
    "--host", default=o.HOST.default, show_default=True, help="Address to listen on; server.host."
)
_port_option = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=o.PORT.default,
    show_default=True,
    help="Port to listen on; server.port.",
)


@cli.command()
@_host_option
@_port_option
@_subjects_option("Subjects to generate when the database is empty.")
@_trusted_only_option
@_manifest_option
@click.option(
    "--demo-tokens",
    is_flag=True,
    help="Put working demo tokens in GraphiQL's tabs even when --host is not a loopback "
    "address: anyone who reaches the page can then act as the demo requesters.",
)
def up(
    host: str,
    port: int,
    subjects: int,
    trusted_only: bool,
    manifests: tuple[Path, ...],
    demo_tokens: bool,
) -> None:
    """Start everything: database, migrations, demo data, server."""
    settings = _settings(
        _given(host=o.HOST, port=o.PORT, trusted_only=o.TRUSTED_ONLY, manifests=o.MANIFESTS)
    )
    config = settings.config
    check_port_free(config[o.HOST], config[o.PORT])
    _serving(
        lambda dsn, settings: run_up(
            dsn,
            host=config[o.HOST],
            port=config[o.PORT],
            subjects=subjects,
            settings=settings,
            trusted_only=config[o.TRUSTED_ONLY],
            demo_tokens=demo_tokens,
        ),
        settings,
    )


@cli.command()
@click.argument("name", type=click.Choice(SUBGRAPH_NAMES))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), required=True)
def subgraph(name: str, host: str, port: int) -> None:
    """Serve one subgraph alone over HTTP (for the gateway: it demands its credential)."""
    check_port_free(host, port)
    _serving(
        lambda dsn, settings: run_subgraph(dsn, name=name, host=host, port=port, settings=settings),
        _settings(),
        subgraph=name,
    )


@cli.command()
def score() -> None:
    """Recompute every subject's bureau score with the scorecard (docs/scorecard.md)."""
    report = _with_database(lambda dsn, _settings: run_score(dsn))
    click.echo(report.summary())


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("graphql/subgraphs"),
    show_default=True,
    help="Directory to write <name>.graphql into.",
)
def sdl(out: Path) -> None:
    """Write each subgraph's SDL (what `_service { sdl }` serves) to files."""
    for path in write_sdl(out):
        click.echo(f"wrote {path}")


def _subgraph_urls(pairs: tuple[str, ...]) -> dict[str, str]:
    urls = {}
    for pair in pairs:
        name, _, url = pair.partition("=")
        if not name or not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"--subgraph takes NAME=URL with an http(s) URL, not {pair!r}")
        urls[name] = url
    return urls


@cli.command()
@click.option(
    "--supergraph",
    "supergraph_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A Federation v2 supergraph SDL file; gateway.supergraph. Default: creditgraph's own.",
)
@_host_option
@_port_option
@click.option(
    "--no-policy",
    is_flag=True,
    help="Serve a supergraph that declares no creditgraph policy, as a plain federation gateway.",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The edition policy (TOML) to enforce; gateway.policy. Default: creditgraph's own, "
    "for its own graph.",
)
@click.option(
    "--subgraph",
    "subgraph_urls",
    multiple=True,
    metavar="NAME=URL",
    help="Reach a subgraph at this URL instead of the supergraph's (repeatable).",
)
@click.option(
    "--in-process",
    is_flag=True,
    help="Run creditgraph's own subgraphs inside the gateway (needs the database).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.01, 600),
    default=o.SUBGRAPH_TIMEOUT.default,
    show_default=True,
    help="Seconds one attempt at a subgraph fetch may take (a query's is retried, see "
    "[fetch]); "
    "gateway.subgraph_timeout.",
)
@_trusted_only_option
@_manifest_option
@click.option(
    "--portal",
    is_flag=True,
    help="Also serve the subject's portal at /portal (visitors sign in with their own token).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Also reload, as SIGHUP does, when the configuration file, the supergraph, the "
    "policy, a manifest or a key file changes.",
)
def serve(
    supergraph_file: Path | None,
    host: str,
    port: int,
    no_policy: bool,
    policy_file: Path | None,
    subgraph_urls: tuple[str, ...],
    in_process: bool,
    timeout: float,
    trusted_only: bool,
    manifests: tuple[Path, ...],
    portal: bool,
    watch: bool,
) -> None:
    """Serve the gateway over a supergraph: HTTP subgraphs, or ours in-process.

    SIGHUP reloads the configuration, the supergraph, the policy and the manifests without
    dropping a request; a reload whose files are wrong is refused with one log line."""
    flags = _given(
        supergraph_file=o.SUPERGRAPH,
        host=o.HOST,
        port=o.PORT,
        policy_file=o.POLICY,
        timeout=o.SUBGRAPH_TIMEOUT,
        trusted_only=o.TRUSTED_ONLY,
        manifests=o.MANIFESTS,
    )
    settings = _settings(flags)
    graph = load_graph(settings, no_policy=no_policy)
    overrides = _subgraph_urls(subgraph_urls)
    host, port = settings.config[o.HOST], settings.config[o.PORT]
    check_port_free(host, port)
    if in_process and overrides:
        raise ConfigurationError("--subgraph and --in-process do not go together")
    if portal and graph[1] is None:
        raise ConfigurationError("--portal needs the edition policy: it shows a subject's report")
    reload_settings = _reloading(flags)
    if in_process or graph[1] is not None:
        # the policy reads grants and writes inquiries and the audit log: it needs the database
        _with_database(
            lambda dsn, settings: run_serve(
                dsn,
                settings,
                graph,
                reload_settings=reload_settings,
                no_policy=no_policy,
                overrides=None if in_process else overrides,
                portal=portal,
                watch=watch,
            ),
            settings,
        )
        return
    with _stoppable():
        _run(
            run_plain_serve(
                settings, graph, reload_settings=reload_settings, overrides=overrides, watch=watch
            )
        )


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the table here instead of printing it (docs/policy.md is this output).",
)
def policy(out: Path | None) -> None:
    """The edition policy the gateway enforces, as a Markdown table per type."""
    loaded = Policy.load(policy_path())
    loaded.check(api_schema(load_supergraph(supergraph_path())))
    if out is None:
        click.echo(loaded.markdown(), nl=False)
        return
    out.write_text(loaded.markdown(), encoding="utf-8")
    click.echo(f"wrote {out}")


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the document here instead of printing it (docs/predicates.md is this output).",
)
def predicates(out: Path | None) -> None:
    """The predicates a subject may share as yes/no answers, checked and as Markdown."""
    loaded = eligibility_catalogue.load()
    loaded.check(api_schema(load_supergraph(supergraph_path())), Policy.load(policy_path()))
    if out is None:
        click.echo(loaded.markdown(), nl=False)
        return
    out.write_text(loaded.markdown(), encoding="utf-8")
    click.echo(f"wrote {out}")


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("graphql/supergraph.graphql"),
    show_default=True,
)
def compose(out: Path) -> None:
    """Compose the subgraphs' SDL into the supergraph (needs Node.js and npm)."""
    out.write_text(compose_ours(), encoding="utf-8")
    click.echo(f"wrote {out}")


@cli.group()
def audit() -> None:
    """The gateway's audit log: one hash-chained entry per request."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the audit log's hash chain; exit 1 naming the first entry whose link is broken."""
    result = _with_database(lambda dsn, _settings: verify_database(dsn))
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries")
        return
    click.echo(f"audit log broken at entry {result.first_broken}: {result.reason}")
    sys.exit(1)


_purpose_option = click.option(
    "--purpose",
    type=click.Choice(mandates.PURPOSES),
    required=True,
    help="What the mandate covers.",
)
_agency_option = click.option(
    "--agency", required=True, help="The government body's unified social credit code."
)
_day = click.DateTime(formats=["%Y-%m-%d"])


@cli.group("mandates")
def mandates_group() -> None:
    """Government mandates: which body sees the GOVERNMENT edition, for which purpose."""


@mandates_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def mandates_list(as_json: bool) -> None:
    """Every mandate, and whether it applies today."""
    found = _on_migrated(mandates.list_mandates)
    if as_json:
        documents = [item.document() for item in found]
        click.echo(orjson.dumps(documents, option=orjson.OPT_INDENT_2).decode())
        return
    if not found:
        click.echo("no mandates")
    for item in found:
        live = "live" if item.live else "not live today"
        click.echo(f"{item.agency_code}  {item.agency_name}")
        click.echo(f"  {item.purpose}: {item.edition} edition {item.period()}; {live}")
        click.echo(f"  legal basis: {item.legal_basis}")


@mandates_group.command("grant")
@_agency_option
@_purpose_option
@click.option("--legal-basis", required=True, help="The law or decision the mandate rests on.")
@click.option("--name", help="The body's name, to register a body that is not yet a requester.")
@click.option("--from", "valid_from", type=_day, help="First day it applies. Default: today.")
@click.option("--until", "valid_until", type=_day, help="First day it no longer applies.")
def mandates_grant(
    agency: str,
    purpose: str,
    legal_basis: str,
    name: str | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> None:
    """Give a government body a mandate (one transaction; a refusal writes nothing)."""
    granted = _on_migrated(
        lambda conn: mandates.grant(
            conn,
            agency=agency,
            purpose=purpose,
            legal_basis=legal_basis,
            name=name,
            valid_from=None if valid_from is None else valid_from.date(),
            valid_until=None if valid_until is None else valid_until.date(),
        ),
    )
    mandate = granted.mandate
    if granted.registered:
        click.echo(f"registered {mandate.agency_code} {mandate.agency_name} as a government body")
    click.echo(
        f"granted {mandate.agency_code} {mandate.agency_name}: {mandate.purpose} "
        f"gives the {mandate.edition} edition {mandate.period()}"
    )


@mandates_group.command("end")
@_agency_option
@_purpose_option
@click.option("--on", "on", type=_day, help="First day it no longer applies. Default: today.")
def mandates_end(agency: str, purpose: str, on: datetime | None) -> None:
    """End a body's live (or next) mandate; from --on, its requests need consent."""
    ended = _on_migrated(
        lambda conn: mandates.end(
            conn, agency=agency, purpose=purpose, on=None if on is None else on.date()
        ),
    )
    click.echo(
        f"ended {ended.agency_code} {ended.agency_name}: {ended.purpose} "
        f"no longer applies from {ended.valid_until}"
    )


@cli.group("disputes")
def disputes_group() -> None:
    """Subjects' disputes, and the data sources' answers the bureau records."""


@disputes_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only disputes awaiting an answer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def disputes_list(open_only: bool, as_json: bool) -> None:
    """Disputes, soonest deadline first; an open one past its deadline is OVERDUE."""
    found = _on_migrated(lambda conn: answers.list_disputes(conn, open_only=open_only))
    if as_json:
        documents = [item.document() for item in found]
        click.echo(orjson.dumps(documents, option=orjson.OPT_INDENT_2).decode())
        return
    if not found:
        click.echo("no open disputes" if open_only else "no disputes")
    for item in found:
        state = item.status if item.outcome is None else f"{item.status} {item.outcome}"
        late = "  OVERDUE" if item.overdue else ""
        click.echo(f"{item.id}  {item.record} on {item.subject_identifier}: {state}{late}")
        click.echo(f"  filed {item.filed_at:%Y-%m-%d %H:%M %Z}, answer by {item.respond_by}")
        click.echo(f"  reason: {item.reason}")
        if item.resolution is not None:
            click.echo(f"  answer: {item.resolution}")
        if item.correction_id is not None:
            click.echo(f"  corrected by correction {item.correction_id}")


@disputes_group.command("answer")
@click.argument("dispute_id", type=int)
@click.option(
    "--outcome",
    type=click.Choice(answers.OUTCOMES),
    required=True,
    help="CORRECTED or REMOVED: the record was wrong; KEPT_WITH_NOTE: it stands, marked.",
)
@click.option("--resolution", required=True, help="What the data source found, for the subject.")
@click.option(
    "--correction",
    "correction_id",
    type=int,
    help="For CORRECTED: the id of the furnisher's correction of the disputed record that "
    "answered it, shown to the subject with what changed.",
)
def disputes_answer(
    dispute_id: int, outcome: str, resolution: str, correction_id: int | None
) -> None:
    """Record the data source's answer to an open dispute (a refusal writes nothing)."""
    case = _on_migrated(
        lambda conn: answers.answer(conn, dispute_id, outcome, resolution, correction_id)
    )
    linked = "" if case.correction_id is None else f" by correction {case.correction_id}"
    click.echo(f"answered dispute {case.id} on {case.record}: {case.outcome}{linked}")


@cli.command("formats")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the page to FILE instead of stdout (docs/furnishing.md is its output).",
)
def formats(out: Path | None) -> None:
    """The furnishers' record formats (graphql/furnishing/*.schema.json) as Markdown."""
    page = render_formats()
    if out is None:
        click.echo(page, nl=False)
    else:
        out.write_text(page, encoding="utf-8")


@cli.command("furnish")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--token",
    envvar="CREDITGRAPH_FURNISHER_TOKEN",
    required=True,
    help="The furnisher's token (creditgraph token --role furnisher ...); "
    "or CREDITGRAPH_FURNISHER_TOKEN.",
)
@click.option(
    "--all-or-nothing",
    is_flag=True,
    help="Accept the batch only if every line passes; otherwise write nothing.",
)
def furnish_command(file: Path, token: str, all_or_nothing: bool) -> None:
    """Furnish a batch file (JSON Lines, or CSV for flat kinds) as the token's institution.

    Prints each rejected line as {"line", "field", "reason"} and then {"summary": ...}, one
    JSON object a line; exits 0 when every line was taken, 2 when any was rejected.
    """
    home = ensure_home(_settings().home)
    furnisher = furnisher_from_token(home, token)
    summary = _on_migrated(
        lambda conn: furnish_file(conn, furnisher, file, all_or_nothing=all_or_nothing)
    )
    if summary.rejected:
        sys.exit(2)


_catalogue_option = click.option(
    "--catalogue",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The catalogue file. Default: the one the servers apply (graphql/measures.toml).",
)


def _echo_json(documents: list[dict[str, Any]]) -> None:
    click.echo(orjson.dumps(documents, option=orjson.OPT_INDENT_2).decode())


@cli.group("measures")
def measures_group() -> None:
    """Joint measures: the catalogue, and the institutions notified of them."""


@measures_group.command("list")
@_catalogue_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def measures_list(path: Path | None, as_json: bool) -> None:
    """Every measure of the catalogue, and whether it applies today."""
    found = catalogue.load(path).measures
    if as_json:
        _echo_json([m.document() for m in found])
        return
    today = datetime.now().date()
    for m in found:
        trigger = f"{m.colour} list {m.list_name}" if m.list_name else f"any {m.colour} list"
        live = "applies today" if m.applies_on(today) else "does not apply today"
        notice = "; lenders are notified" if m.notify_lenders else ""
        click.echo(f"{m.code}  {m.kind} on {trigger}")
        click.echo(f"  {m.body}: {m.action}")
        click.echo(f"  from {m.valid_from}" + (f" until {m.valid_until}" if m.valid_until else ""))
        click.echo(f"  {live}{notice}")
        click.echo(f"  legal basis: {m.legal_basis}")


@measures_group.command("add")
@_catalogue_option
@click.option("--code", required=True, help="A-Z, 0-9 and _, starting with a letter.")
@click.option("--colour", type=click.Choice(catalogue.COLOURS), required=True)
@click.option("--list", "list_name", help="The list's name as entries carry it. Default: any.")
@click.option("--body", required=True, help="Who applies the measure.")
@click.option("--action", required=True, help="What the measure does.")
@click.option("--legal-basis", required=True, help="The law or decision it rests on.")
@click.option("--from", "valid_from", type=_day, help="First day it applies. Default: today.")
@click.option("--until", "valid_until", type=_day, help="First day it no longer applies.")
@click.option("--notify-lenders", is_flag=True, help="Lenders are sent a notice naming it.")
def measures_add(
    path: Path | None,
    code: str,
    colour: str,
    list_name: str | None,
    body: str,
    action: str,
    legal_basis: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    notify_lenders: bool,
) -> None:
    """Add a measure (the whole catalogue is checked first; a refusal writes nothing)."""
    added = catalogue.add(
        path or catalogue.catalogue_path(),
        catalogue.Measure(
            code=code,
            colour=colour,
            list_name=list_name,
            body=body,
            action=action,
            legal_basis=legal_basis,
            valid_from=(valid_from or datetime.now()).date(),
            valid_until=None if valid_until is None else valid_until.date(),
            notify_lenders=notify_lenders,
        ),
    )
    click.echo(
        f"added {added.code} from {added.valid_from}; servers apply it from their next start"
    )


@measures_group.command("end")
@_catalogue_option
@click.option("--code", required=True)
@click.option("--on", "on", type=_day, help="First day it no longer applies. Default: today.")
def measures_end(path: Path | None, code: str, on: datetime | None) -> None:
    """End a measure: from --on it no longer applies (it stays in the catalogue)."""
    ended = catalogue.end(path or catalogue.catalogue_path(), code, (on or datetime.now()).date())
    click.echo(f"ended {ended.code}: it no longer applies from {ended.valid_until}")


@measures_group.command("doc")
@_catalogue_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def measures_doc(path: Path | None, out: Path | None) -> None:
    """The catalogue as Markdown (docs/measures.md is its output; a test fails when they drift)."""
    text = catalogue.render_markdown(catalogue.load(path))
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


@measures_group.command("subscriptions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def measures_subscriptions(as_json: bool) -> None:
    """The institutions that receive notices of joint measures, and when."""
    found = _on_migrated(decisions.list_subscriptions)
    if as_json:
        _echo_json([item.document() for item in found])
        return
    if not found:
        click.echo("no subscriptions")
    for item in found:
        until = f" until {item['ended_on']}" if item["ended_on"] else ""
        live = "live" if item["live"] else "not live today"
        click.echo(f"{item['institution_code']}  from {item['subscribed_on']}{until}; {live}")


@measures_group.command("subscribe")
@click.option("--institution", required=True, help="The institution's unified social credit code.")
@click.option("--from", "valid_from", type=_day, help="First day it is notified. Default: today.")
def measures_subscribe(institution: str, valid_from: datetime | None) -> None:
    """The institution receives notices of entries coming into force and repaired from then."""
    start = _on_migrated(
        lambda conn: decisions.subscribe(
            conn, institution, on=None if valid_from is None else valid_from.date()
        )
    )
    click.echo(f"{normalise_identifier(institution)} receives notices from {start}")


@measures_group.command("unsubscribe")
@click.option("--institution", required=True, help="The institution's unified social credit code.")
@click.option("--on", "on", type=_day, help="First day it is not notified. Default: today.")
def measures_unsubscribe(institution: str, on: datetime | None) -> None:
    """The institution receives no notice due from --on (those due before stand)."""
    last = _on_migrated(
        lambda conn: decisions.unsubscribe(conn, institution, on=None if on is None else on.date())
    )
    click.echo(f"{normalise_identifier(institution)} receives no notice due from {last}")


def _echo_cases(cases: list[decisions.Case], open_only: bool, what: str) -> None:
    if not cases:
        click.echo(f"no open {what}" if open_only else f"no {what}")


@cli.group("objections")
def objections_group() -> None:
    """Subjects' objections to list entries in their notice period, and the body's answers."""


@objections_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only objections awaiting an answer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def objections_list(open_only: bool, as_json: bool) -> None:
    """Objections, open ones first, soonest notice end first."""
    found = _on_migrated(lambda conn: decisions.list_objections(conn, open_only=open_only))
    if as_json:
        _echo_json([item.document() for item in found])
        return
    _echo_cases(found, open_only, "objections")
    for item in found:
        state = item["outcome"] or "OPEN"
        click.echo(
            f"{item['id']}  ListEntry:{item['entry_id']} {item['colour']} {item['list_name']} "
            f"on {item['subject_identifier']}: {state}"
        )
        click.echo(f"  filed {item['filed_at']:%Y-%m-%d}, notice ends {item['notice_ends_on']}")
        click.echo(f"  reason: {item['reason']}")
        if item["answer"] is not None:
            click.echo(f"  answer: {item['answer']}")


@objections_group.command("answer")
@click.argument("objection_id", type=int)
@click.option(
    "--outcome",
    type=click.Choice(decisions.OBJECTION_OUTCOMES),
    required=True,
    help="UPHELD: the listing never takes effect; DISMISSED: it takes effect.",
)
@click.option("--answer", required=True, help="The listing body's reasons, for the subject.")
def objections_answer(objection_id: int, outcome: str, answer: str) -> None:
    """Record the listing body's answer to an open objection (a refusal writes nothing)."""
    case = _on_migrated(
        lambda conn: decisions.answer_objection(conn, objection_id, outcome, answer)
    )
    click.echo(f"answered objection {case['id']} to ListEntry:{case['entry_id']}: {outcome}")


@cli.group("repairs")
def repairs_group() -> None:
    """Subjects' applications for credit repair of list entries in force, and the decisions."""


@repairs_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only applications awaiting a decision.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def repairs_list(open_only: bool, as_json: bool) -> None:
    """Repair applications, open ones first, oldest first."""
    found = _on_migrated(lambda conn: decisions.list_repairs(conn, open_only=open_only))
    if as_json:
        _echo_json([item.document() for item in found])
        return
    _echo_cases(found, open_only, "repair applications")
    for item in found:
        state = item["decision"] or "OPEN"
        click.echo(
            f"{item['id']}  ListEntry:{item['entry_id']} {item['colour']} {item['list_name']} "
            f"on {item['subject_identifier']}: {state}"
        )
        click.echo(f"  filed {item['filed_at']:%Y-%m-%d}; evidence: {item['evidence']}")
        if item["reasons"] is not None:
            click.echo(f"  reasons: {item['reasons']}")


@repairs_group.command("decide")
@click.argument("application_id", type=int)
@click.option(
    "--decision",
    type=click.Choice(decisions.REPAIR_DECISIONS),
    required=True,
    help="APPROVED: the entry and its measures end today; REFUSED: it stands.",
)
@click.option("--reasons", required=True, help="The listing body's reasons, for the subject.")
def repairs_decide(application_id: int, decision: str, reasons: str) -> None:
    """Record the listing body's decision on an open application (a refusal writes nothing)."""
    case = _on_migrated(
        lambda conn: decisions.decide_repair(conn, application_id, decision, reasons)
    )
    click.echo(
        f"decided repair application {case['id']} for ListEntry:{case['entry_id']}: {decision}"
    )


@cli.group("config")
def config_group() -> None:
    """The configuration file: check one, and the reference generated from its schema."""


@config_group.command("check")
def config_check() -> None:
    """Check the configuration (file, environment) and print every setting in force.

    Exits 1 listing every mistake, one line each, as `serve` and `up` would at start.
    """
    settings = _settings()
    config = settings.config
    click.echo(f"configuration file: {config.path or 'none'}; every setting is valid")
    for section in SCHEMA.sections:
        groups = config.names(section.name).items() if section.per_name else [(None, None)]
        for name, named in groups:
            values = named if named is not None else config.section(section.name)
            for option in section.options:
                key = section.key(option, name)
                shown = option.kind.show(values[option])
                if option is o.DATABASE_URL and values[option] is not None:
                    shown = f'"{redact(values[option])}"'
                source = config.sources.get(key, "default")
                click.echo(f"{key} = {shown}  ({source})")


@config_group.command("doc")
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Rewrite the generated block of this README in place instead of printing it.",
)
def config_doc(readme: Path | None) -> None:
    """The configuration reference as Markdown, from the schema that checks the file."""
    if readme is None:
        click.echo(render_config(SCHEMA), nl=False)
        return
    readme.write_text(splice_config(readme.read_text(encoding="utf-8"), SCHEMA), encoding="utf-8")
    click.echo(f"wrote {readme}")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort as exc:
        click.echo("stopped", err=True)
        # click turns an interrupt into Abort; a SIGTERM stop is a clean exit
        sys.exit(0 if isinstance(exc.__cause__, Terminated) else 130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        click.echo("stopped", err=True)
        sys.exit(0 if isinstance(exc, Terminated) else 130)
    except CreditgraphError as exc:
        # a configuration names every mistake it holds, one line each
        for line in str(exc).splitlines() or [""]:
            click.echo(f"error: {line}", err=True)
        sys.exit(1)
