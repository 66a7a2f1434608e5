"""Log lines as JSON objects, one a line, for machines to collect and query.

Every line has `time` (UTC, ISO 8601), `level`, `logger` and `message`;
a record logged with `extra={"fields": {...}}` adds those fields at the top
level (the request log's request id, status, duration). Exceptions are one
`exception` string, so a traceback never spreads over many lines, and it holds
the stack and each exception's class but never its message: a message may
quote SQL, an identifier or a value a client sent, and logs keep none of them.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeAlias

import orjson

# the name of the `extra` attribute whose dict becomes top-level fields of the line
FIELDS = "fields"

_ExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)


def stack_without_messages(exc: BaseException) -> str:
    """Where `exc` and the exceptions that led to it were raised, and their classes only."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for item in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        parts.append(f"{type(item).__module__}.{type(item).__qualname__}\n")
    return "".join(parts).rstrip("\n")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()

    def formatException(self, ei: _ExcInfo) -> str:
        return "" if ei[1] is None else stack_without_messages(ei[1])


def log_config() -> dict[str, Any]:
    """`logging.config.dictConfig` input (uvicorn's `log_config`): everything as JSON on stderr.

    uvicorn's own loggers and any library's propagate to the root handler, so no
    line is left in another format; creditgraph's loggers log from `info` up.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSONFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
            "creditgraph": {"level": "INFO"},
            # asyncpg's pool warns, with a stack, each time it retries its connections while
            # the database is away; the requests that meet the outage already say so, once
            "asyncpg": {"level": "ERROR"},
        },
    }
