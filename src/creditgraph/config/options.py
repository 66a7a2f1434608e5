"""Every setting of creditgraph, declared once: the configuration file's schema.

A section is a table of the TOML file; each option says its kind, default, environment
variable, overriding flag and meaning. The loader (config/schema.py) checks a file against
these declarations, the README's configuration section is rendered from them
(`creditgraph config doc`), and the code reads each value through its option
(`config[JWT_ISSUER]`), typed. To add a setting, declare it in its section here (or add a
section, and list it in `SCHEMA`), then regenerate the README; nothing else needs to know.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

from creditgraph.config.schema import (
    Choice,
    FilePath,
    Flag,
    Integer,
    Invalid,
    Number,
    Option,
    Optional,
    PathList,
    Schema,
    Section,
    Text,
    TextList,
    Values,
)

T = TypeVar("T")

# -- server -------------------------------------------------------------------------------

HOST = Option(
    "host",
    Text(),
    "127.0.0.1",
    "the address `up` and `serve` listen on",
    env="CREDITGRAPH_HOST",
    flag="--host",
)
PORT = Option(
    "port",
    Integer(1, 65535),
    4000,
    "the port `up` and `serve` listen on",
    env="CREDITGRAPH_PORT",
    flag="--port",
)

SERVER = Section("server", "Where the gateway listens.", (HOST, PORT))

# -- gateway ------------------------------------------------------------------------------

SUPERGRAPH = Option(
    "supergraph",
    FilePath(),
    None,
    "the Federation v2 supergraph SDL `serve` serves; unset: creditgraph's own",
    env="CREDITGRAPH_SUPERGRAPH",
    flag="--supergraph",
)
POLICY = Option(
    "policy",
    FilePath(),
    None,
    "the edition policy (TOML) `serve` enforces; unset: creditgraph's own, for its own graph",
    env="CREDITGRAPH_POLICY",
    flag="--policy",
)
SUBGRAPH_TIMEOUT = Option(
    "subgraph_timeout",
    Number(above=0, at_most=600, unit="seconds"),
    10.0,
    "how long one attempt at a subgraph fetch may take; past it the attempt fails (a query's "
    "is retried, see `[fetch]`) and, with no attempt left, the subgraph's fields are "
    "`SUBGRAPH_UNAVAILABLE`",
    env="CREDITGRAPH_SUBGRAPH_TIMEOUT",
    flag="--timeout",
)

TRUSTED_ONLY = Option(
    "trusted_only",
    Flag(),
    False,
    "run only the trusted operations in graphql/operations (by hash or exact text)",
    env="CREDITGRAPH_TRUSTED_ONLY",
    flag="--trusted-only",
)

MANIFESTS = Option(
    "manifests",
    PathList(),
    (),
    "client operation manifests (Apollo's persisted query manifest, Relay's persisted queries "
    "file) whose documents are served by id, in trusted-only mode too; each document is "
    "checked against the schema and the limits at start (see Trusted operations and persisted "
    "queries)",
    env="CREDITGRAPH_MANIFESTS",
    flag="--manifest",
)

GATEWAY = Section(
    "gateway",
    "What the gateway serves, and how long it waits for a subgraph.",
    (SUPERGRAPH, POLICY, SUBGRAPH_TIMEOUT, TRUSTED_ONLY, MANIFESTS),
)

# -- files --------------------------------------------------------------------------------

HOME = Option(
    "home",
    FilePath(),
    None,
    "where creditgraph keeps its files (the demo signing key, the internal credential, the "
    "embedded database); unset: the per-user data directory (`~/.local/share/creditgraph` on "
    "Linux)",
    env="CREDITGRAPH_HOME",
)

FILES = Section("files", "Where creditgraph keeps its own files.", (HOME,))

# -- database -----------------------------------------------------------------------------

_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})


class DatabaseUrl(Text):
    """A `postgresql://` URL: the scheme, a numeric port and a host or database are checked
    here, so a typo stops the start with one line instead of a driver's traceback."""

    def read(self, value: object) -> str:
        url = super().read(value)
        try:
            parts = urlsplit(url)
            port = parts.port  # raises ValueError on a non-numeric or out-of-range port
        except ValueError as exc:
            raise Invalid(f"is malformed: {exc}") from None
        if parts.scheme not in _POSTGRES_SCHEMES:
            shown = parts.scheme + "://" if parts.scheme else "no scheme"
            raise Invalid(f"must start with postgresql:// or postgres://, got {shown}")
        if not parts.path.strip("/") and port is None and not parts.hostname and not parts.query:
            raise Invalid("names no host and no database")
        return url

    def describe(self) -> str:
        return "`postgresql://` URL"

    def show(self, value: str) -> str:
        return f'"{value}"'


_SECONDS = Number(above=0, at_most=3600, unit="seconds")

DATABASE_URL = Option(
    "url",
    Optional(DatabaseUrl()),
    None,
    "the PostgreSQL database. Unset: creditgraph starts an embedded PostgreSQL 18 over "
    "`<home>/pgdata`, listening only on a Unix socket inside that directory, and stops it on "
    "exit; a second start reuses the data",
    env="DATABASE_URL",
)
STATEMENT_TIMEOUT = Option(
    "statement_timeout",
    _SECONDS,
    5.0,
    "how long any one statement of a server's database work may take, waiting for an answer "
    "included (PostgreSQL's `statement_timeout`, and the client's own limit, which also "
    "catches a frozen server)",
    env="CREDITGRAPH_DB_STATEMENT_TIMEOUT",
)
LOCK_TIMEOUT = Option(
    "lock_timeout",
    _SECONDS,
    2.0,
    "how long a statement may wait for a lock (`lock_timeout`)",
    env="CREDITGRAPH_DB_LOCK_TIMEOUT",
)
ACQUIRE_TIMEOUT = Option(
    "acquire_timeout",
    _SECONDS,
    5.0,
    "how long a request may wait for a pooled connection, a new connection's start included",
    env="CREDITGRAPH_DB_ACQUIRE_TIMEOUT",
)

DATABASE = Section(
    "database",
    "Where the data is, and how long a server's database work may wait before it gives up: "
    "a request that meets a fault answers within roughly the statement plus the acquire "
    "timeout.",
    (DATABASE_URL, STATEMENT_TIMEOUT, LOCK_TIMEOUT, ACQUIRE_TIMEOUT),
)

# -- jwt ----------------------------------------------------------------------------------

JWT_ISSUER = Option(
    "issuer",
    Text(),
    "creditgraph",
    "the `iss` every token must carry",
    env="CREDITGRAPH_JWT_ISSUER",
)
JWT_AUDIENCE = Option(
    "audience",
    Text(),
    "creditgraph-gateway",
    "the `aud` every requester's token must carry",
    env="CREDITGRAPH_JWT_AUDIENCE",
)
JWT_FURNISHING_AUDIENCE = Option(
    "furnishing_audience",
    Text(),
    "creditgraph-furnishing",
    "the `aud` a furnisher's token carries; it must differ from `audience`, so a token that "
    "reads reports is never one that reports records",
    env="CREDITGRAPH_JWT_FURNISHING_AUDIENCE",
)
JWT_PUBLIC_KEY = Option(
    "public_key",
    FilePath(),
    None,
    "a PEM public key file: RSA (2048 bits or more) for RS256 tokens, or EC P-256 for ES256",
    env="CREDITGRAPH_JWT_PUBLIC_KEY",
)
JWT_JWKS = Option(
    "jwks",
    FilePath(),
    None,
    "a JWKS file; each token's `kid` picks its key (RSA keys verify RS256, EC P-256 keys "
    "ES256; symmetric and encryption keys are ignored)",
    env="CREDITGRAPH_JWT_JWKS",
)


class HttpUrl(Text):
    """An http(s) URL with a host: the only kind PyJWT's JWKS client will fetch, and where
    the OTLP exporter sends spans."""

    def read(self, value: object) -> str:
        url = super().read(value)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- raises ValueError on a non-numeric or out-of-range port
        except ValueError as exc:
            raise Invalid(f"is malformed: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(f"must be an http:// or https:// URL with a host, got {url!r}")
        return url

    def describe(self) -> str:
        return "`https://` URL"

    def show(self, value: str) -> str:
        return f'"{value}"'


JWT_JWKS_URL = Option(
    "jwks_url",
    Optional(HttpUrl()),
    None,
    "the identity provider's JWKS URL, fetched with PyJWT's JWKS client at start and every "
    "`jwks_refresh` seconds, and at once for a token naming an unknown `kid`; a key the "
    "provider removed is refused from the next fetch on (see Requester tokens)",
    env="CREDITGRAPH_JWT_JWKS_URL",
)
JWT_JWKS_REFRESH = Option(
    "jwks_refresh",
    Number(above=0, at_most=86400, unit="seconds"),
    300.0,
    "how often `jwks_url` is fetched again",
    env="CREDITGRAPH_JWT_JWKS_REFRESH",
)
JWT_JWKS_COOLDOWN = Option(
    "jwks_cooldown",
    Number(above=0, at_most=3600, unit="seconds"),
    30.0,
    "the least time between two fetches of `jwks_url` made for tokens naming an unknown "
    "`kid` (clients choose the `kid`: they must not make the gateway hammer its provider)",
    env="CREDITGRAPH_JWT_JWKS_COOLDOWN",
)

_KEY_SOURCES: tuple[Option[Any], ...] = (JWT_PUBLIC_KEY, JWT_JWKS, JWT_JWKS_URL)


def _one_key_source(values: Values) -> list[str]:
    given = [option for option in _KEY_SOURCES if values[option] is not None]
    if len(given) > 1:
        named = " and ".join(_named(values, option) for option in given)
        return [
            f"{named} are set together; set one of public_key, jwks and jwks_url: "
            "which one a token is checked against must never be a guess"
        ]
    return []


def _audiences_differ(values: Values) -> list[str]:
    if values[JWT_AUDIENCE] == values[JWT_FURNISHING_AUDIENCE]:
        return [
            f"{_named(values, JWT_FURNISHING_AUDIENCE)} must differ from "
            f"{_named(values, JWT_AUDIENCE)}: a token that reads reports must never be one "
            "that reports records"
        ]
    return []


def _named(values: Values, option: Option[Any]) -> str:
    """How a message names an option: its variable as well when it has one, since the
    operator may have set either."""
    key = values.key(option)
    return key if option.env is None else f"{key} ({option.env})"


JWT = Section(
    "jwt",
    "What a requester's token must say and who may have signed it. With none of `public_key`, "
    "`jwks` and `jwks_url`, creditgraph runs in demo mode and signs its own tokens (see "
    "Requester tokens).",
    (
        JWT_ISSUER,
        JWT_AUDIENCE,
        JWT_FURNISHING_AUDIENCE,
        JWT_PUBLIC_KEY,
        JWT_JWKS,
        JWT_JWKS_URL,
        JWT_JWKS_REFRESH,
        JWT_JWKS_COOLDOWN,
    ),
    checks=(_one_key_source, _audiences_differ),
)

# -- operation limits ---------------------------------------------------------------------


def _limit(name: str, default: int, env: str, doc: str) -> Option[int]:
    return Option(name, Integer(minimum=1), default, doc, env=env)


MAX_LENGTH = _limit(
    "max_length",
    65_536,
    "CREDITGRAPH_MAX_LENGTH",
    "characters of a document, comments and strings included (counted before anything else)",
)
MAX_TOKENS = _limit(
    "max_tokens",
    2_000,
    "CREDITGRAPH_MAX_TOKENS",
    "tokens of a document, comments included (counted before parsing)",
)
MAX_NESTING = _limit(
    "max_nesting",
    30,
    "CREDITGRAPH_MAX_NESTING",
    "braces nested in the text (selection sets, inline fragments, object values)",
)
MAX_FRAGMENT_SPREADS = _limit(
    "max_fragment_spreads", 100, "CREDITGRAPH_MAX_FRAGMENT_SPREADS", "fragment spreads, expanded"
)
MAX_DEPTH = _limit("max_depth", 15, "CREDITGRAPH_MAX_DEPTH", "nesting of fields")
MAX_ALIASES = _limit("max_aliases", 30, "CREDITGRAPH_MAX_ALIASES", "aliased fields, expanded")
MAX_ROOT_FIELDS = _limit("max_root_fields", 20, "CREDITGRAPH_MAX_ROOT_FIELDS", "root fields")
MAX_SUBJECTS = _limit(
    "max_subjects",
    5,
    "CREDITGRAPH_MAX_SUBJECTS",
    "`me` and `subject` root fields: each is a report and an inquiry",
)
MAX_FIELD_REPEATS = _limit(
    "max_field_repeats",
    10,
    "CREDITGRAPH_MAX_FIELD_REPEATS",
    "fields written under one response key in one selection set",
)
MAX_COST = _limit("max_cost", 60_000, "CREDITGRAPH_MAX_COST", "the estimated cost")

OPERATION_LIMITS = Section(
    "operation_limits",
    "The most an operation may ask for before it is refused, unprepared, with "
    "`QUERY_TOO_COMPLEX` (see The gateway: Operation limits, for how each is measured).",
    (
        MAX_LENGTH,
        MAX_TOKENS,
        MAX_NESTING,
        MAX_FRAGMENT_SPREADS,
        MAX_DEPTH,
        MAX_ALIASES,
        MAX_ROOT_FIELDS,
        MAX_SUBJECTS,
        MAX_FIELD_REPEATS,
        MAX_COST,
    ),
)

# -- subgraph fetches ---------------------------------------------------------------------

_PAUSE = Number(above=0, at_most=60, unit="seconds")

FETCH_RETRIES = Option(
    "retries",
    Integer(0, 10),
    2,
    "further attempts after a query fetch fails or times out, each after a jittered backoff; "
    "a mutation, and every fetch of a request that writes, is sent once",
    env="CREDITGRAPH_FETCH_RETRIES",
)
FETCH_BACKOFF = Option(
    "backoff",
    _PAUSE,
    0.1,
    "the longest wait before the first retry; doubled for each retry after it",
    env="CREDITGRAPH_FETCH_BACKOFF",
)
FETCH_MAX_BACKOFF = Option(
    "max_backoff",
    _PAUSE,
    2.0,
    "the longest wait between two attempts",
    env="CREDITGRAPH_FETCH_MAX_BACKOFF",
)
FETCH_FAILURES_TO_OPEN = Option(
    "failures_to_open",
    Integer(1, 10_000),
    5,
    "failed attempts in a row that open a subgraph's circuit: its fields are then "
    "`SUBGRAPH_UNAVAILABLE` at once, without calling it",
    env="CREDITGRAPH_FETCH_FAILURES_TO_OPEN",
)
FETCH_COOL_OFF = Option(
    "cool_off",
    Number(above=0, at_most=3600, unit="seconds"),
    10.0,
    "how long an open circuit stays open before one request is let through as a probe "
    "(its success closes the circuit, its failure opens it again)",
    env="CREDITGRAPH_FETCH_COOL_OFF",
)
FETCH_DEDUPLICATE = Option(
    "deduplicate",
    Flag(),
    True,
    "identical query fetches in flight for the same requester share one request and its answer",
    env="CREDITGRAPH_FETCH_DEDUPLICATE",
)

FETCH = Section(
    "fetch",
    "How the gateway calls every subgraph, unless `[subgraphs.<name>]` says otherwise for "
    "one. Each attempt is bounded by `gateway.subgraph_timeout`.",
    (
        FETCH_RETRIES,
        FETCH_BACKOFF,
        FETCH_MAX_BACKOFF,
        FETCH_FAILURES_TO_OPEN,
        FETCH_COOL_OFF,
        FETCH_DEDUPLICATE,
    ),
)


def _for_one(option: Option[T], doc: str, name: str | None = None) -> Option[T | None]:
    """`option` for one subgraph: unset unless its table sets it."""
    return Option(name or option.name, Optional(option.kind), None, doc)


SUBGRAPH_FETCH_TIMEOUT = _for_one(
    SUBGRAPH_TIMEOUT, "seconds one attempt may take; unset: `gateway.subgraph_timeout`", "timeout"
)
SUBGRAPH_FETCH_RETRIES = _for_one(FETCH_RETRIES, "further attempts; unset: `fetch.retries`")
SUBGRAPH_FETCH_FAILURES_TO_OPEN = _for_one(
    FETCH_FAILURES_TO_OPEN, "failures that open its circuit; unset: `fetch.failures_to_open`"
)
SUBGRAPH_FETCH_COOL_OFF = _for_one(
    FETCH_COOL_OFF, "seconds its circuit stays open; unset: `fetch.cool_off`"
)
SUBGRAPH_FETCH_DEDUPLICATE = _for_one(
    FETCH_DEDUPLICATE, "share identical fetches in flight; unset: `fetch.deduplicate`"
)

SUBGRAPHS = Section(
    "subgraphs",
    "One subgraph's own fetch settings, by its name in the supergraph "
    "(`[subgraphs.scores]`); what a table leaves unset is as the defaults say.",
    (
        SUBGRAPH_FETCH_TIMEOUT,
        SUBGRAPH_FETCH_RETRIES,
        SUBGRAPH_FETCH_FAILURES_TO_OPEN,
        SUBGRAPH_FETCH_COOL_OFF,
        SUBGRAPH_FETCH_DEDUPLICATE,
    ),
    per_name=True,
)

# -- tracing ------------------------------------------------------------------------------


OTLP_ENDPOINT = Option(
    "otlp_endpoint",
    Optional(HttpUrl()),
    None,
    "where spans are sent over OTLP/HTTP (protobuf), the traces path included "
    "(`http://collector:4318/v1/traces`); unset: nothing is traced. OpenTelemetry's own "
    "`OTEL_EXPORTER_OTLP_TRACES_HEADERS` and the like are honoured",
    env="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)
SERVICE_NAME = Option(
    "service_name",
    Text(),
    "creditgraph",
    "the `service.name` of the gateway's spans; a subgraph served apart adds its own name "
    "(`creditgraph-bureau`)",
    env="OTEL_SERVICE_NAME",
)

TRACING = Section(
    "tracing",
    "OpenTelemetry traces: a span per request, continuing the client's `traceparent`, with "
    "spans for preparing and planning, each subgraph fetch and each database statement.",
    (OTLP_ENDPOINT, SERVICE_NAME),
)

# -- cors ---------------------------------------------------------------------------------


def _origin_problem(origin: str) -> str | None:
    """Why `origin` cannot be an allowlist entry, or None: `*`, or scheme://host[:port] with
    no path, where the host may start with `*.` for any subdomain."""
    if origin == "*":
        return None
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return f"{origin!r} is not an origin"
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.path or parts.query:
        return f"{origin!r} is not an origin (scheme://host[:port], no path or trailing slash)"
    if "*" in host.removeprefix("*."):
        return f"{origin!r}: a wildcard may only stand for the first labels (https://*.example.com)"
    return None


class Origins(TextList):
    """Origins a browser may call from: exact, `*.` subdomain patterns, or `*`."""

    def read(self, value: object) -> tuple[str, ...]:
        origins = tuple(origin.lower() for origin in super().read(value))
        for origin in origins:
            problem = _origin_problem(origin)
            if problem is not None:
                raise Invalid(f"must hold origins: {problem}")
        return origins

    def describe(self) -> str:
        return "array of origins"


CORS_ALLOW_ORIGINS = Option(
    "allow_origins",
    Origins(),
    (),
    "the origins browser apps may call the gateway from: `https://app.example.com`, "
    "`https://*.example.com` (any subdomain), or `*` (any origin, never with credentials). "
    "Empty: no cross-origin call is allowed and preflights are not answered",
    env="CREDITGRAPH_CORS_ALLOW_ORIGINS",
)
CORS_ALLOW_CREDENTIALS = Option(
    "allow_credentials",
    Flag(),
    False,
    "answer `Access-Control-Allow-Credentials: true`, so the browser sends cookies and "
    "client certificates; refused with `*` among the origins",
    env="CREDITGRAPH_CORS_ALLOW_CREDENTIALS",
)
CORS_ALLOW_HEADERS = Option(
    "allow_headers",
    TextList(),
    ("authorization", "content-type", "traceparent", "tracestate"),
    "the request headers a cross-origin request may send (besides the CORS-safelisted ones)",
    env="CREDITGRAPH_CORS_ALLOW_HEADERS",
)
CORS_EXPOSE_HEADERS = Option(
    "expose_headers",
    TextList(),
    ("x-request-id", "retry-after"),
    "the response headers the browser app may read",
    env="CREDITGRAPH_CORS_EXPOSE_HEADERS",
)
CORS_MAX_AGE = Option(
    "max_age",
    Integer(0, 86_400),
    600,
    "seconds a browser may keep a preflight's answer",
    env="CREDITGRAPH_CORS_MAX_AGE",
)


def _no_credentials_with_any_origin(values: Values) -> list[str]:
    if values[CORS_ALLOW_CREDENTIALS] and "*" in values[CORS_ALLOW_ORIGINS]:
        return [
            f'{_named(values, CORS_ALLOW_CREDENTIALS)} cannot be true with "*" in '
            f"{_named(values, CORS_ALLOW_ORIGINS)}: any site could act with the user's "
            "credentials; list the origins"
        ]
    return []


CORS = Section(
    "cors",
    "Which browser apps on other origins may call the gateway (middleware/cors.py). Methods "
    "are `GET` and `POST`; a preflight from an allowed origin is answered `204`, one from any "
    "other origin `403`.",
    (
        CORS_ALLOW_ORIGINS,
        CORS_ALLOW_CREDENTIALS,
        CORS_ALLOW_HEADERS,
        CORS_EXPOSE_HEADERS,
        CORS_MAX_AGE,
    ),
    checks=(_no_credentials_with_any_origin,),
)

# -- compression --------------------------------------------------------------------------

COMPRESSION_ENABLED = Option(
    "enabled",
    Flag(),
    True,
    "compress `/graphql` answers for clients that accept it",
    env="CREDITGRAPH_COMPRESSION",
)
COMPRESSION_MIN_SIZE = Option(
    "min_size",
    Integer(0, 1 << 30),
    1024,
    "bytes below which an answer goes out as it is (compressing it would gain too little)",
    env="CREDITGRAPH_COMPRESSION_MIN_SIZE",
)
COMPRESSION_GZIP_LEVEL = Option(
    "gzip_level",
    Integer(1, 9),
    6,
    "gzip's level: higher is smaller and slower",
    env="CREDITGRAPH_COMPRESSION_GZIP_LEVEL",
)
COMPRESSION_BROTLI_QUALITY = Option(
    "brotli_quality",
    Integer(0, 11),
    4,
    "brotli's quality: higher is smaller and slower (above 6 it costs far more CPU)",
    env="CREDITGRAPH_COMPRESSION_BROTLI_QUALITY",
)

COMPRESSION = Section(
    "compression",
    "Compression of `/graphql` answers (middleware/compression.py): brotli (`br`) or gzip, "
    "whichever the client's `Accept-Encoding` prefers (brotli on a tie).",
    (COMPRESSION_ENABLED, COMPRESSION_MIN_SIZE, COMPRESSION_GZIP_LEVEL, COMPRESSION_BROTLI_QUALITY),
)

# -- rate limits --------------------------------------------------------------------------

RATE_LIMITS_ENABLED = Option(
    "enabled",
    Flag(),
    False,
    "limit each requester's rate (a token bucket each, by role: the tables below); off, "
    "any requester may send as many requests as the gateway can take",
    env="CREDITGRAPH_RATE_LIMITS",
)
RATE_LIMITS_STORE = Option(
    "store",
    Choice(("process", "postgresql")),
    "process",
    "where the buckets live: `process` (each replica counts alone, so N replicas let a "
    "requester through at up to N times its rate) or `postgresql` (one row per bucket in "
    "the gateway's database, shared by every replica: one statement per request)",
    env="CREDITGRAPH_RATE_LIMIT_STORE",
)

RATE_LIMITS = Section(
    "rate_limits",
    "Limits per requester (access/rate_limits.py): a request over its bucket is refused "
    "with `429`, `Retry-After` and `RATE_LIMITED`, and recorded in the audit log.",
    (RATE_LIMITS_ENABLED, RATE_LIMITS_STORE),
)


def _rate_section(role: str, whose: str, per_second: float, burst: int) -> Section:
    variable = f"CREDITGRAPH_RATE_LIMIT_{role.upper()}"
    rate = Option(
        "per_second",
        Number(above=0, at_most=100_000, unit="requests a second"),
        per_second,
        "the rate the bucket refills at: the requests a second sustained",
        env=f"{variable}_PER_SECOND",
    )
    size = Option(
        "burst",
        Integer(1, 1_000_000),
        burst,
        "the most tokens the bucket holds: the requests that may come at once",
        env=f"{variable}_BURST",
    )
    RATE_LIMIT_RULES[role] = (rate, size)
    return Section(f"rate_limits.{role}", f"The bucket of {whose}.", (rate, size))


#: Each role's options (its rate, its burst), by the role's name in `[rate_limits.<role>]`.
RATE_LIMIT_RULES: dict[str, tuple[Option[float], Option[int]]] = {}
RATE_LIMIT_SECTIONS = (
    _rate_section("subject", "each subject (a person or an organisation) asking", 2, 30),
    _rate_section("bank", "each bank, shared by its operators", 20, 200),
    _rate_section("government", "each government body, shared by its operators", 20, 200),
    _rate_section(
        "furnisher", "each furnisher reporting by mutation, shared by its operators", 20, 200
    ),
    _rate_section("anonymous", "each client address sending requests without a token", 2, 30),
)

# -- the schema ---------------------------------------------------------------------------

SCHEMA = Schema(
    [
        SERVER,
        GATEWAY,
        FETCH,
        SUBGRAPHS,
        TRACING,
        FILES,
        DATABASE,
        JWT,
        OPERATION_LIMITS,
        CORS,
        COMPRESSION,
        RATE_LIMITS,
        *RATE_LIMIT_SECTIONS,
    ]
)
"""Every section, in the order the README shows them."""
