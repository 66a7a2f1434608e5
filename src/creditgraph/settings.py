"""Settings read from the environment, in one place.

Only two things are configurable at this layer: where the database is
(`DATABASE_URL`; absent means an embedded PostgreSQL) and where creditgraph keeps
its own files (`CREDITGRAPH_HOME`; absent means the per-user data directory).
Both are validated here so that a bad value fails with one clear line before
anything starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from creditgraph.errors import ConfigurationError

_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    home: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL") or None
        if url is not None:
            check_database_url(url)
        home = Path(env.get("CREDITGRAPH_HOME") or platformdirs.user_data_path("creditgraph"))
        return cls(database_url=url, home=home.expanduser().absolute())


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
        probe = home / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"CREDITGRAPH_HOME {home} is not a writable directory: {reason}"
        ) from None
    return home
