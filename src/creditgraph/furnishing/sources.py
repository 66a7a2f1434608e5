"""Batch files read a line at a time: JSON Lines for every kind, CSV for the flat ones.

Whatever the source (a file on disk, an HTTP upload's body arriving in pieces) the pipeline
gets (line number, record as JSON text) pairs, one at a time, so a batch of any size is read
in bounded memory. A CSV file's first line names the columns (the record format's field
names, `kind` among them); an empty cell is an absent field, a whole-number field is read as
a number, everything else as text, exactly as it would be written in JSON Lines. A record is
one line: a CSV field cannot hold a line break.

A line that cannot be a record (not JSON, not UTF-8, a NUL character, escaped or not, longer
than `MAX_LINE_BYTES`) becomes an empty text, which the database answers as "not valid JSON"
for that line alone.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import orjson

from creditgraph.errors import CreditgraphError
from creditgraph.furnishing.kinds import record_kinds

Format = Literal["jsonl", "csv"]

#: The longest line read as a record; a longer one is rejected, not buffered.
MAX_LINE_BYTES: Final = 64 * 1024
_READ_BYTES: Final = 1 << 20
_BAD_LINE: Final = ""

_EXTENSIONS: Final[Mapping[str, Format]] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_MEDIA_TYPES: Final[Mapping[str, Format]] = {
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/x-jsonlines": "jsonl",
    "text/csv": "csv",
}


class UnreadableBatch(CreditgraphError):
    """The batch as a whole cannot be read: an unknown format, a CSV header that is wrong."""


def format_of_path(path: Path) -> Format:
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise UnreadableBatch(
            f"{path.name}: a batch file is JSON Lines (.jsonl, .ndjson) or CSV (.csv)"
        )
    return found


def format_of_media_type(content_type: str | None) -> Format:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    found = _MEDIA_TYPES.get(media)
    if found is None:
        raise UnreadableBatch(
            "an upload is application/jsonl (or application/x-ndjson) or text/csv, "
            f"not {media or 'untyped'}"
        )
    return found


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """The file's bytes in pieces (the file is read as it is sent, never whole).

    Opened and read on a worker thread, each piece what one read gives (`read1`, never
    waiting to fill a piece): a file that gives its bytes slowly (a pipe from the job that
    writes the batch, a network disk) must not stop the event loop, or the database's check
    of one part would wait for the next part to be read instead of overlapping it, and a part
    read whole would not commit until more of the file came."""
    try:
        stream = await asyncio.to_thread(path.open, "rb")
        with stream:
            while piece := await asyncio.to_thread(stream.read1, _READ_BYTES):
                yield piece
    except OSError as exc:
        raise UnreadableBatch(f"{path}: {exc.strerror or type(exc).__name__}") from None


async def _lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes | None]:
    """The lines of a byte stream without their ends; None for a line over MAX_LINE_BYTES.

    Each piece is scanned from an offset and only its unfinished last line is carried over:
    cutting each line off the front of the piece instead would copy the rest of the piece
    once per line, the whole cost of reading a monthly batch."""
    pending = b""
    skipping = False
    async for piece in chunks:
        pending += piece
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            line, start = pending[start:end], end + 1
            if skipping:
                skipping = False
                continue
            yield None if len(line) > MAX_LINE_BYTES else line.removesuffix(b"\r")
        pending = pending[start:]
        if len(pending) > MAX_LINE_BYTES:
            if not skipping:
                yield None
            skipping, pending = True, b""
    if pending and not skipping:
        yield pending.removesuffix(b"\r")


def _plain(line: bytes | None) -> str | None:
    """The line as text; None when it cannot be one (too long, not UTF-8, a NUL character)."""
    if line is None or b"\x00" in line:
        return None
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(line: bytes | None) -> str:
    """The line as JSON text, or the empty text when it is no JSON PostgreSQL can hold: checked
    here (orjson reads a line in a microsecond or two) so that the database parses each line
    once, as it stores it, instead of first asking whether it can."""
    text = _plain(line)
    if text is None or "\\u0000" in text:
        return _BAD_LINE
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return _BAD_LINE
    return text


async def records(chunks: AsyncIterable[bytes], fmt: Format) -> AsyncIterator[tuple[int, str]]:
    """(line number, record as JSON text) for each record line; blank lines are skipped."""
    number = 0
    header: list[str] | None = None
    integers = _integer_fields()
    async for line in _lines(chunks):
        number += 1
        if line is not None and not line.strip():
            continue
        if fmt == "jsonl":
            yield number, _json(line)
            continue
        text = _plain(line)
        if header is None:
            header = _header(text or "")
            continue
        yield number, _BAD_LINE if text is None else _csv_record(header, text, integers)


def _integer_fields() -> frozenset[str]:
    return frozenset(
        name
        for kind in record_kinds().values()
        for name, spec in kind.schema["properties"].items()
        if spec.get("type") == "integer"
    )


def _header(text: str) -> list[str]:
    names = _csv_row(text)
    if names is None or "kind" not in names or len(set(names)) != len(names):
        raise UnreadableBatch(
            "a CSV batch starts with a header naming each column once, kind among them"
        )
    return names


def _csv_row(text: str) -> list[str] | None:
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _csv_record(header: list[str], text: str, integers: Iterable[str]) -> str:
    row = _csv_row(text)
    if row is None or len(row) != len(header):
        return _BAD_LINE
    record: dict[str, Any] = {}
    for name, value in zip(header, row, strict=True):
        if value == "":
            continue
        record[name] = (
            int(value) if name in integers and value.isascii() and value.isdigit() else value
        )
    return orjson.dumps(record).decode()
