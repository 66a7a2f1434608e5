"""Getting a connection: from DATABASE_URL, or from an embedded server we start.

Every command goes through `database()` so that the choice between a configured
server and an embedded one, and the errors for an unreachable or malformed
address, live in one place. The pools the servers use (`create_pool`) are
bounded by `DatabaseLimits`: every statement, lock wait and connection acquired
gives up in time, so a frozen or locked database is answered, never waited out.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from creditgraph import tracing
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.errors import DatabaseUnavailable
from creditgraph.settings import DatabaseLimits, Settings, ensure_home, redact


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


# a connection of its own or one borrowed from a pool: what every query function takes
DatabaseConnection: TypeAlias = asyncpg.Connection | PoolConnectionProxy

_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


async def connect(dsn: str, *, connect_timeout: float = 10.0) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn, timeout=connect_timeout)
    except _CONNECT_ERRORS as exc:
        raise _explain(dsn, exc) from None


class StatelessConnection(asyncpg.Connection):
    """A pooled connection given back without asyncpg's reset statement.

    asyncpg sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, a round trip per pooled query that doubled the statements a report sends.
    creditgraph leaves no session state to reset: it sets only transaction-local
    settings (`set local`), takes only transaction-scoped advisory locks, opens cursors
    only inside transactions, and listens only on the live hub's connection, which stops
    listening before it gives the connection back (live/hub.py). A transaction left open is
    still rolled back before the connection is reused (asyncpg does that whatever the
    reset statement).
    """

    def get_reset_query(self) -> str:
        return ""


class BoundedPool(asyncpg.Pool):
    """A pool whose every acquire (and so every `fetch`, `execute`…) waits a bounded time.

    asyncpg waits for a free connection forever unless each caller names a timeout;
    here the default is the pool's, so no caller can forget it. The same timeout
    bounds giving the connection back, which waits for a cancelled statement.
    """

    __slots__ = ("_acquire_timeout",)

    def __init__(self, dsn: str, *, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(dsn, **kwargs)
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> asyncpg.pool.PoolAcquireContext:
        return super().acquire(timeout=self._acquire_timeout if timeout is None else timeout)


async def _watched(connection: asyncpg.Connection) -> None:
    tracing.watch_statements(connection)


async def create_pool(
    dsn: str,
    *,
    limits: DatabaseLimits | None = None,
    min_size: int = 1,
    max_size: int = 10,
) -> asyncpg.Pool:
    """A pool for a server's database work, every wait of it bounded by `limits`."""
    limits = limits or DatabaseLimits()
    pool = BoundedPool(
        dsn,
        acquire_timeout=limits.acquire,
        min_size=min_size,
        max_size=max_size,
        # asyncpg's own defaults, which its Pool takes only spelled out
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=StatelessConnection,
        record_class=asyncpg.Record,
        # each new connection's statements traced, when tracing is configured
        init=_watched,
        # the wait for a new connection, and the client's wait for any statement's answer:
        # the server's own statement_timeout cannot fire when the server is frozen
        timeout=limits.acquire,
        command_timeout=limits.statement,
        server_settings={
            "statement_timeout": f"{round(limits.statement * 1000)}ms",
            "lock_timeout": f"{round(limits.lock * 1000)}ms",
        },
    )
    try:
        await pool
    except _CONNECT_ERRORS as exc:
        raise _explain(dsn, exc) from None
    return pool
