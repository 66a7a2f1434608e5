"""Settings, as the code uses them, made from the one configuration (config/).

Where the database is (`database.url`, `DATABASE_URL`; unset means an embedded PostgreSQL),
where creditgraph keeps its own files (`files.home`, `CREDITGRAPH_HOME`; unset means the
per-user data directory), how requester tokens are checked (`JwtSettings`: the issuer and
audience they must name, and the public key or JWKS of a real identity provider; neither
means demo tokens signed by a key under the home), how long the server's own database work
may wait (`DatabaseLimits`), and how big an operation the gateway agrees to prepare
(`OperationLimits`). Each option is declared, defaulted and checked in config/options.py,
so a bad value fails with one clear line before anything starts; the classes here only
give the rest of the code the values it needs, in the shape it needs them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from creditgraph.config import SCHEMA, Config, Option
from creditgraph.config import options as o
from creditgraph.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class DatabaseLimits:
    """How long a server's database work may wait, in seconds, before it gives up.

    A database that is down, frozen or holding a lock must be answered with an error in
    time, never waited out: a request that waits holds a pooled connection, the pool runs
    dry and every request then waits. `statement` bounds each statement (PostgreSQL's
    `statement_timeout`, and the client's own wait for an answer, which also covers a
    server that answers nothing at all), `lock` bounds a wait for a lock (`lock_timeout`),
    and `acquire` bounds getting a connection from the pool, a new one's connecting
    included. A request that meets a fault answers within roughly `statement` plus
    `acquire`.
    """

    statement: float = o.STATEMENT_TIMEOUT.default
    lock: float = o.LOCK_TIMEOUT.default
    acquire: float = o.ACQUIRE_TIMEOUT.default

    @classmethod
    def from_config(cls, config: Config) -> DatabaseLimits:
        return cls(
            statement=config[o.STATEMENT_TIMEOUT],
            lock=config[o.LOCK_TIMEOUT],
            acquire=config[o.ACQUIRE_TIMEOUT],
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """What every command needs to start: the database, the home, and the configuration
    they came from (`config`), which the servers read the rest of their settings from."""

    database_url: str | None
    home: Path
    limits: DatabaseLimits = DatabaseLimits()
    config: Config = field(default_factory=SCHEMA.defaults)

    @classmethod
    def from_config(cls, config: Config) -> Settings:
        home = config[o.HOME] or platformdirs.user_data_path("creditgraph")
        return cls(
            database_url=config[o.DATABASE_URL],
            home=home.expanduser().absolute(),
            limits=DatabaseLimits.from_config(config),
            config=config,
        )

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        env: Mapping[str, str] | None = None,
        flags: Mapping[Option[Any], object] | None = None,
    ) -> Settings:
        """The settings from the configuration file (`path`, else `$CREDITGRAPH_CONFIG`), the
        environment and the command line's `flags`; ConfigurationError lists every mistake."""
        return cls.from_config(SCHEMA.load(path, env, flags))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        return cls.load(None, env)

    @property
    def jwt(self) -> JwtSettings:
        return JwtSettings.from_config(self.config)

    @property
    def operations(self) -> OperationLimits:
        return OperationLimits.from_config(self.config)

    @property
    def resilience(self) -> Resilience:
        return Resilience.from_config(self.config)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How the gateway calls one subgraph (gateway/transports/resilient.py does it).

    Each field is an option of `[fetch]` (or `gateway.subgraph_timeout`), which one
    subgraph's `[subgraphs.<name>]` table may override.
    """

    timeout: float = o.SUBGRAPH_TIMEOUT.default
    """Seconds one attempt may take."""
    retries: int = o.FETCH_RETRIES.default
    """Further attempts after a failed query fetch (never for a mutation)."""
    backoff: float = o.FETCH_BACKOFF.default
    """Seconds before the first retry, at most; doubled for each one after."""
    max_backoff: float = o.FETCH_MAX_BACKOFF.default
    """The longest wait between two attempts."""
    failures_to_open: int = o.FETCH_FAILURES_TO_OPEN.default
    """Failed attempts in a row that open the circuit."""
    cool_off: float = o.FETCH_COOL_OFF.default
    """Seconds the circuit stays open before one probe is let through."""
    deduplicate: bool = o.FETCH_DEDUPLICATE.default
    """Share the answer of an identical query fetch in flight for the same requester."""


@dataclass(frozen=True, slots=True)
class Resilience:
    """The fetch policy of every subgraph: `default`, unless `subgraphs` names it."""

    default: FetchPolicy = FetchPolicy()
    subgraphs: Mapping[str, FetchPolicy] = field(default_factory=dict)

    def policy(self, subgraph: str) -> FetchPolicy:
        return self.subgraphs.get(subgraph, self.default)

    def check(self, subgraphs: Iterable[str]) -> None:
        """Refuse settings for a subgraph the supergraph does not have: a misspelt name
        would otherwise leave the subgraph meant on the defaults without a word."""
        unknown = sorted(set(self.subgraphs) - set(subgraphs))
        if unknown:
            raise ConfigurationError(
                "the configuration sets [subgraphs."
                + "], [subgraphs.".join(unknown)
                + "] but the supergraph has no such subgraph"
            )

    @classmethod
    def from_config(cls, config: Config) -> Resilience:
        default = FetchPolicy(
            timeout=config[o.SUBGRAPH_TIMEOUT],
            retries=config[o.FETCH_RETRIES],
            backoff=config[o.FETCH_BACKOFF],
            max_backoff=config[o.FETCH_MAX_BACKOFF],
            failures_to_open=config[o.FETCH_FAILURES_TO_OPEN],
            cool_off=config[o.FETCH_COOL_OFF],
            deduplicate=config[o.FETCH_DEDUPLICATE],
        )
        subgraphs = {}
        for name, values in config.names(o.SUBGRAPHS.name).items():
            given = {
                field_name: values[option]
                for field_name, option in _SUBGRAPH_OPTIONS.items()
                if values[option] is not None
            }
            subgraphs[name] = replace(default, **given)
        return cls(default, subgraphs)


#: The options of `[subgraphs.<name>]`, by the `FetchPolicy` field each overrides.
_SUBGRAPH_OPTIONS: dict[str, Option[Any]] = {
    "timeout": o.SUBGRAPH_FETCH_TIMEOUT,
    "retries": o.SUBGRAPH_FETCH_RETRIES,
    "failures_to_open": o.SUBGRAPH_FETCH_FAILURES_TO_OPEN,
    "cool_off": o.SUBGRAPH_FETCH_COOL_OFF,
    "deduplicate": o.SUBGRAPH_FETCH_DEDUPLICATE,
}


DEFAULT_JWT_ISSUER = o.JWT_ISSUER.default
DEFAULT_JWT_AUDIENCE = o.JWT_AUDIENCE.default
#: The audience of a furnisher's token: what it may do (report records) is not what a reading
#: token may do, so neither kind of token is accepted where the other is.
DEFAULT_FURNISHING_AUDIENCE = o.JWT_FURNISHING_AUDIENCE.default


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """What a requester's token must say and who may have signed it.

    `public_key` (a PEM file), `jwks` (a JWKS JSON file) or `jwks_url` (the provider's JWKS
    URL, fetched every `jwks_refresh` seconds and for a token naming an unknown key at most
    once per `jwks_cooldown` seconds) names an identity provider's verification keys; with
    none, creditgraph runs in demo mode and signs its own tokens. Setting two is refused
    (config/options.py): which one a token is checked against must never be a guess.
    """

    issuer: str
    audience: str
    public_key: Path | None
    jwks: Path | None
    furnishing_audience: str = DEFAULT_FURNISHING_AUDIENCE
    """The `aud` a furnisher's token carries (`jwt.furnishing_audience`)."""
    jwks_url: str | None = None
    jwks_refresh: float = o.JWT_JWKS_REFRESH.default
    jwks_cooldown: float = o.JWT_JWKS_COOLDOWN.default

    @property
    def demo(self) -> bool:
        """Whether tokens are the demo ones creditgraph signs itself (no provider configured)."""
        return self.public_key is None and self.jwks is None and self.jwks_url is None

    @classmethod
    def from_config(cls, config: Config) -> JwtSettings:
        return cls(
            issuer=config[o.JWT_ISSUER],
            audience=config[o.JWT_AUDIENCE],
            public_key=config[o.JWT_PUBLIC_KEY],
            jwks=config[o.JWT_JWKS],
            furnishing_audience=config[o.JWT_FURNISHING_AUDIENCE],
            jwks_url=config[o.JWT_JWKS_URL],
            jwks_refresh=config[o.JWT_JWKS_REFRESH],
            jwks_cooldown=config[o.JWT_JWKS_COOLDOWN],
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JwtSettings:
        return cls.from_config(SCHEMA.load(None, env))


#: Each limit's option, by the name of its field in `OperationLimits`.
LIMIT_OPTIONS: dict[str, Option[int]] = {
    "max_length": o.MAX_LENGTH,
    "max_depth": o.MAX_DEPTH,
    "max_aliases": o.MAX_ALIASES,
    "max_root_fields": o.MAX_ROOT_FIELDS,
    "max_subjects": o.MAX_SUBJECTS,
    "max_field_repeats": o.MAX_FIELD_REPEATS,
    "max_fragment_spreads": o.MAX_FRAGMENT_SPREADS,
    "max_tokens": o.MAX_TOKENS,
    "max_nesting": o.MAX_NESTING,
    "max_cost": o.MAX_COST,
}
LIMIT_VARIABLES = {name: str(option.env) for name, option in LIMIT_OPTIONS.items()}


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """The most an operation may ask for before the gateway refuses it unprepared.

    Checked by gateway/limits.py, which says how each is measured. The defaults leave
    room above every trusted operation (graphql/operations) and GraphiQL's introspection,
    and refuse the documents that made one request cost seconds or gigabytes. Each is an
    option of `[operation_limits]` (`LIMIT_OPTIONS`), a positive integer.
    """

    max_length: int = o.MAX_LENGTH.default
    max_depth: int = o.MAX_DEPTH.default
    max_aliases: int = o.MAX_ALIASES.default
    max_root_fields: int = o.MAX_ROOT_FIELDS.default
    max_subjects: int = o.MAX_SUBJECTS.default
    max_field_repeats: int = o.MAX_FIELD_REPEATS.default
    max_fragment_spreads: int = o.MAX_FRAGMENT_SPREADS.default
    max_tokens: int = o.MAX_TOKENS.default
    max_nesting: int = o.MAX_NESTING.default
    max_cost: int = o.MAX_COST.default

    @classmethod
    def from_config(cls, config: Config) -> OperationLimits:
        return cls(**{name: config[option] for name, option in LIMIT_OPTIONS.items()})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperationLimits:
        return cls.from_config(SCHEMA.load(None, env))


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def ensure_home(home: Path) -> Path:
    """Create CREDITGRAPH_HOME or explain in one line why it cannot be used."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        # a probe of its own: processes starting together (four subgraphs) share the home,
        # and one process's probe must never be another's to remove
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"CREDITGRAPH_HOME {home} is not a writable directory: {reason}"
        ) from None
    return home
