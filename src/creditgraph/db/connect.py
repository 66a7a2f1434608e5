"""Getting a connection: from DATABASE_URL, or from an embedded server we start.

Every command goes through `database()` so that the choice between a configured
server and an embedded one, and the errors for an unreachable or malformed
address, live in one place.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.errors import DatabaseUnavailable
from creditgraph.settings import Settings, ensure_home, redact


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """Yield a DSN; an embedded server started for it is stopped on the way out."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    home = ensure_home(settings.home)
    with EmbeddedPostgres(home / "pgdata") as server:
        yield server.dsn


def _explain(dsn: str, exc: BaseException) -> DatabaseUnavailable:
    if isinstance(exc, socket.gaierror):
        reason = f"host not found ({exc.strerror})"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(exc, TimeoutError):
        reason = "timed out"
    elif isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
    else:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DatabaseUnavailable(f"cannot reach the database at {redact(dsn)}: {reason}")


_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


async def connect(dsn: str, *, connect_timeout: float = 10.0) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn, timeout=connect_timeout)
    except _CONNECT_ERRORS as exc:
        raise _explain(dsn, exc) from None


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any
) -> asyncpg.Pool:
    try:
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, timeout=10.0, **kwargs
        )
    except _CONNECT_ERRORS as exc:
        raise _explain(dsn, exc) from None
    assert pool is not None
    return pool
