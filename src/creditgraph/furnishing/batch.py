"""`creditgraph furnish FILE`: a batch file sent by a furnisher, answered line by line."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import asyncpg
import orjson

from creditgraph.access.tokens import TokenVerifier
from creditgraph.errors import ConfigurationError
from creditgraph.furnishing.pipeline import Rejection, Summary, furnish
from creditgraph.furnishing.sources import file_chunks, format_of_path, records
from creditgraph.requester import Furnisher, Unauthenticated


def furnisher_from_token(home: Path, token: str, env: Mapping[str, str] | None = None) -> Furnisher:
    """The furnisher a furnishing token proves (the same keys as requesters' tokens)."""
    verifier = TokenVerifier.from_settings(home, env, furnishing=True)
    try:
        return asyncio.run(verifier.authenticate_furnisher(f"Bearer {token.strip()}"))
    except Unauthenticated as exc:
        raise ConfigurationError(f"furnishing token refused: {exc}") from None
    finally:
        verifier.close()


async def furnish_file(
    conn: asyncpg.Connection, furnisher: Furnisher, path: Path, *, all_or_nothing: bool
) -> Summary:
    """Send the file through the pipeline, printing each rejected line as a JSON line on
    stdout as its part is done, then the summary."""
    fmt = format_of_path(path)

    async def print_rejection(rejection: Rejection) -> None:
        sys.stdout.write(orjson.dumps(rejection.document()).decode() + "\n")

    summary = await furnish(
        conn,
        furnisher,
        records(file_chunks(path), fmt),
        channel="FILE",
        request_id=f"cli-{uuid.uuid4()}",
        all_or_nothing=all_or_nothing,
        on_rejection=print_rejection,
    )
    sys.stdout.write(orjson.dumps({"summary": summary.document()}).decode() + "\n")
    sys.stdout.flush()
    return summary
