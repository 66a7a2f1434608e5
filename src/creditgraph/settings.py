"""Settings read from the environment, in one place.

Where the database is (`DATABASE_URL`; absent means an embedded PostgreSQL), where
creditgraph keeps its own files (`CREDITGRAPH_HOME`; absent means the per-user data
directory), and how requester tokens are checked (`JwtSettings`: the issuer and
audience they must name, and the public key or JWKS of a real identity provider;
neither means demo tokens signed by a key under CREDITGRAPH_HOME), how long the
server's own database work may wait (`DatabaseLimits`), and how big an operation the
gateway agrees to prepare (`OperationLimits`). Each is validated here so that a bad
value fails with one clear line before anything starts.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from creditgraph.errors import ConfigurationError

_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})


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

    statement: float = 5.0
    lock: float = 2.0
    acquire: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseLimits:
        env = os.environ if env is None else env
        default = cls()
        return cls(
            statement=_seconds(env, "CREDITGRAPH_DB_STATEMENT_TIMEOUT", default.statement),
            lock=_seconds(env, "CREDITGRAPH_DB_LOCK_TIMEOUT", default.lock),
            acquire=_seconds(env, "CREDITGRAPH_DB_ACQUIRE_TIMEOUT", default.acquire),
        )


_MAX_LIMIT_SECONDS = 3600.0


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number of seconds (at most an hour), or the default when unset or empty."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, got {text!r}") from None
    if not 0 < value <= _MAX_LIMIT_SECONDS:
        raise ConfigurationError(
            f"{name} must be more than 0 and at most {_MAX_LIMIT_SECONDS:g} seconds, got {text}"
        )
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    home: Path
    limits: DatabaseLimits = DatabaseLimits()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL") or None
        if url is not None:
            check_database_url(url)
        home = Path(env.get("CREDITGRAPH_HOME") or platformdirs.user_data_path("creditgraph"))
        return cls(
            database_url=url,
            home=home.expanduser().absolute(),
            limits=DatabaseLimits.from_env(env),
        )


DEFAULT_JWT_ISSUER = "creditgraph"
DEFAULT_JWT_AUDIENCE = "creditgraph-gateway"
#: The audience of a furnisher's token: what it may do (report records) is not what a reading
#: token may do, so neither kind of token is accepted where the other is.
DEFAULT_FURNISHING_AUDIENCE = "creditgraph-furnishing"


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """What a requester's token must say and who may have signed it.

    `public_key` (a PEM file) or `jwks` (a JWKS JSON file) names an identity provider's
    verification keys; with neither, creditgraph runs in demo mode and signs its own tokens.
    Setting both is refused: which one a token is checked against must never be a guess.
    """

    issuer: str
    audience: str
    public_key: Path | None
    jwks: Path | None
    furnishing_audience: str = DEFAULT_FURNISHING_AUDIENCE
    """The `aud` a furnisher's token carries (`CREDITGRAPH_JWT_FURNISHING_AUDIENCE`)."""

    @property
    def demo(self) -> bool:
        """Whether tokens are the demo ones creditgraph signs itself (no provider configured)."""
        return self.public_key is None and self.jwks is None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JwtSettings:
        env = os.environ if env is None else env
        public_key = _optional_path(env, "CREDITGRAPH_JWT_PUBLIC_KEY")
        jwks = _optional_path(env, "CREDITGRAPH_JWT_JWKS")
        if public_key is not None and jwks is not None:
            raise ConfigurationError(
                "set CREDITGRAPH_JWT_PUBLIC_KEY or CREDITGRAPH_JWT_JWKS, not both"
            )
        audience = _claim_value(env, "CREDITGRAPH_JWT_AUDIENCE", DEFAULT_JWT_AUDIENCE)
        furnishing = _claim_value(
            env, "CREDITGRAPH_JWT_FURNISHING_AUDIENCE", DEFAULT_FURNISHING_AUDIENCE
        )
        if furnishing == audience:
            raise ConfigurationError(
                "CREDITGRAPH_JWT_FURNISHING_AUDIENCE must differ from CREDITGRAPH_JWT_AUDIENCE: "
                "a token that reads reports must never be one that reports records"
            )
        return cls(
            issuer=_claim_value(env, "CREDITGRAPH_JWT_ISSUER", DEFAULT_JWT_ISSUER),
            audience=audience,
            public_key=public_key,
            jwks=jwks,
            furnishing_audience=furnishing,
        )


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """The most an operation may ask for before the gateway refuses it unprepared.

    Checked by gateway/limits.py, which says how each is measured. The defaults leave
    room above every trusted operation (graphql/operations) and GraphiQL's introspection,
    and refuse the documents that made one request cost seconds or gigabytes. Each can be
    set with its own variable (`LIMIT_VARIABLES`), a positive integer.
    """

    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_subjects: int = 5
    max_field_repeats: int = 10
    max_fragment_spreads: int = 100
    max_tokens: int = 2_000
    max_nesting: int = 30
    max_cost: int = 60_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperationLimits:
        env = os.environ if env is None else env
        given: dict[str, int] = {}
        for item in fields(cls):
            value = env.get(LIMIT_VARIABLES[item.name], "").strip()
            if value:
                given[item.name] = _positive_int(LIMIT_VARIABLES[item.name], value)
        return cls(**given)


LIMIT_VARIABLES = {
    "max_depth": "CREDITGRAPH_MAX_DEPTH",
    "max_aliases": "CREDITGRAPH_MAX_ALIASES",
    "max_root_fields": "CREDITGRAPH_MAX_ROOT_FIELDS",
    "max_subjects": "CREDITGRAPH_MAX_SUBJECTS",
    "max_field_repeats": "CREDITGRAPH_MAX_FIELD_REPEATS",
    "max_fragment_spreads": "CREDITGRAPH_MAX_FRAGMENT_SPREADS",
    "max_tokens": "CREDITGRAPH_MAX_TOKENS",
    "max_nesting": "CREDITGRAPH_MAX_NESTING",
    "max_cost": "CREDITGRAPH_MAX_COST",
}


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigurationError(f"{name} must be a positive whole number, got {value!r}")
    return number


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value).expanduser().absolute() if value else None


def _claim_value(env: Mapping[str, str], name: str, default: str) -> str:
    """The variable's value, or the default when unset or empty.

    Surrounding whitespace is refused rather than stripped: a token's claim would have to
    match it exactly, so a stray space would otherwise refuse every token with no clue why.
    """
    value = env.get(name)
    if value is None or value == "":
        return default
    if value != value.strip():
        raise ConfigurationError(f"{name} has leading or trailing whitespace")
    return value


def check_database_url(url: str) -> None:
    """Reject a DATABASE_URL that cannot be a PostgreSQL address, naming the fault."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ConfigurationError(f"DATABASE_URL is malformed: {exc}") from None
    if parts.scheme not in _POSTGRES_SCHEMES:
        raise ConfigurationError(
            "DATABASE_URL must start with postgresql:// or postgres://, "
            f"got {parts.scheme + '://' if parts.scheme else 'no scheme'}"
        )
    if not parts.path.strip("/") and port is None and not parts.hostname and not parts.query:
        raise ConfigurationError("DATABASE_URL names no host and no database")


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
