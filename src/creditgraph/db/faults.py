"""Telling a database that cannot answer now from a bug, and saying what is wrong in words.

A database that is down, restarting, frozen, overloaded or holding a lock too long is
an outage a client should retry after a while, not an internal error to debug: the
gateway answers it as `SERVICE_UNAVAILABLE` (HTTP 503 with `Retry-After`), a subgraph
as `SUBGRAPH_UNAVAILABLE`, `/readyz` names it, and none of them logs a traceback for
it. The reason is in plain words, never an exception's class or message, which may
carry SQL or data.
"""

from __future__ import annotations

from typing import Final

import asyncpg

# How long a client is asked to wait before retrying after a database fault.
RETRY_AFTER_SECONDS: Final = 5

# What a server's own database work can raise; `database_fault` says which are faults.
DATABASE_ERRORS: Final = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

_POSTGRES_FAULTS: Final[tuple[tuple[type[asyncpg.PostgresError], str], ...]] = (
    (asyncpg.exceptions.LockNotAvailableError, "a lock it needs is held too long"),
    (asyncpg.exceptions.QueryCanceledError, "a statement ran past its time limit"),
    (asyncpg.exceptions.DeadlockDetectedError, "a deadlock was broken"),
    (asyncpg.exceptions.CannotConnectNowError, "it is starting up or shutting down"),
    (asyncpg.exceptions.AdminShutdownError, "it is shutting down"),
    (asyncpg.exceptions.CrashShutdownError, "it is recovering from a crash"),
    (asyncpg.exceptions.DatabaseDroppedError, "the database is gone"),
    (asyncpg.exceptions.TooManyConnectionsError, "it has no free connection"),
    (asyncpg.exceptions.InsufficientResourcesError, "it is out of resources"),
    (asyncpg.exceptions.PostgresConnectionError, "the connection was lost"),
)


def database_fault(exc: BaseException) -> str | None:
    """Why the database cannot answer, when `exc` says it cannot; None for anything else.

    Anything else (a constraint refused, a syntax error, a bug) is not an outage and
    must not be retried as one.
    """
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, FileNotFoundError):
        return "not running (no socket)"
    if isinstance(exc, OSError):
        return "unreachable"
    if isinstance(exc, asyncpg.PostgresError):
        return next((reason for kind, reason in _POSTGRES_FAULTS if isinstance(exc, kind)), None)
    if isinstance(exc, asyncpg.InterfaceError):
        # asyncpg says these only in its messages: "connection is closed", "pool is closing"
        message = str(exc)
        if message.startswith("pool is clos"):
            return "its connection pool is shutting down"
        if "connection" in message and "closed" in message:
            return "the connection was lost"
    return None
