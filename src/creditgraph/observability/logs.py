"""Log lines as JSON objects, one a line, for machines to collect and query.

Every line has `time` (UTC, ISO 8601), `level`, `logger` and `message`;
a record logged with `extra={"fields": {...}}` adds those fields at the top
level (the request log's request id, status, duration). Exceptions are one
`exception` string, so a traceback never spreads over many lines.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

# the name of the `extra` attribute whose dict becomes top-level fields of the line
FIELDS = "fields"


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
        },
    }
