"""Whatever decides "the same record again" or "a correction" covers every field of the
published formats: a record re-sent with any one field changed is never UNCHANGED.

The oracle reads only the JSON Schemas (graphql/furnishing/*.schema.json) and its own rules
of what a change must come to, not the pipeline's comparison: for every record kind and every
field its schema declares, the published example is furnished, then the same record with that
one field given another valid value, and the answer must be a correction naming that field
(or, where the change is one the bureau refuses, a rejection that writes nothing); a changed
key is another record. Each case runs in a transaction rolled back after it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from creditgraph.db.connect import DatabaseConnection
from creditgraph.furnishing.kinds import RecordKind, record_kinds
from creditgraph.furnishing.pipeline import Rejection, Summary, furnish
from creditgraph.requester import Furnisher
from creditgraph.seed.personas import EASTBRIDGE_BANK, PERSONA, TAX_BUREAU, XIHU_COURT

FURNISHER = {"BANK": EASTBRIDGE_BANK.code, "COURT": XIHU_COURT.code, "AGENCY": TAX_BUREAU.code}
#: The fields that name a record rather than describe it: changed, they name another record.
KEYS = {"kind", "key", "accountNumber", "period"}
ANOTHER_SUBJECT = PERSONA["husband"].identifier


@asynccontextmanager
async def rolled_back(pool: asyncpg.Pool) -> AsyncIterator[DatabaseConnection]:
    """A connection in a transaction undone after the case."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield conn
        finally:
            await transaction.rollback()


def another(spec: Mapping[str, Any], value: Any) -> Any:
    """Another value the field's schema allows, from the schema alone."""
    if "enum" in spec:  # (absent, the last: the first is often what absent means)
        return spec["enum"][-1] if value is None else next(x for x in spec["enum"] if x != value)
    if spec.get("type") == "array":
        choices = spec["items"]["enum"]
        return [choices[-1]] if value != [choices[-1]] else [choices[0]]
    if spec.get("type") == "integer":
        return spec["minimum"] if value != spec["minimum"] else spec["minimum"] + 1
    if spec.get("format") == "decimal":
        return f"{Decimal(value or 0) + 1:.2f}"
    if spec.get("format") == "date":
        return (
            (date.fromisoformat(value) - timedelta(days=1)).isoformat() if value else "2026-10-30"
        )
    if spec.get("format") == "month":
        return "2026-09" if value != "2026-09" else "2026-08"
    if spec.get("format") == "subject-identifier":
        return ANOTHER_SUBJECT
    if spec.get("pattern") == "^[A-Z]{3}$":
        return "USD" if value != "USD" else "EUR"
    text = f"{value or 'a value'} (amended)"
    return text[: spec.get("maxLength", len(text))]


def cases() -> list[tuple[str, str]]:
    return [
        (kind.name, field)
        for kind in record_kinds().values()
        for field in kind.schema["properties"]
        if field != "kind"
    ]


def example(kind: RecordKind) -> dict[str, Any]:
    found: dict[str, Any] = dict(kind.schema["examples"][0])
    return found


async def _send(
    conn: DatabaseConnection, kind: RecordKind, record: Mapping[str, Any]
) -> tuple[Summary, list[Rejection]]:
    heard: list[Rejection] = []

    async def one() -> AsyncIterator[tuple[int, str]]:
        yield 1, json.dumps(record)

    async def hear(rejection: Rejection) -> None:
        heard.append(rejection)

    summary = await furnish(
        conn,
        Furnisher(FURNISHER[kind.furnisher], "clerk"),
        one(),
        channel="FILE",
        request_id="corrections-oracle",
        on_rejection=hear,
    )
    return summary, heard


@pytest.mark.parametrize(("kind_name", "field"), cases())
async def test_a_record_re_sent_with_one_field_changed_is_never_unchanged(
    writable_pool: asyncpg.Pool, kind_name: str, field: str
) -> None:
    kind = record_kinds()[kind_name]
    account = record_kinds()["ACCOUNT"]
    base = example(kind)
    spec = kind.schema["properties"][field]
    changed = {**base, field: another(spec, base.get(field))}
    async with rolled_back(writable_pool) as conn:
        # the account the examples' statement is of, and the person they are about
        summary, heard = await _send(conn, account, example(account))
        assert (summary.accepted, heard) == (1, [])
        if kind is not account:
            summary, heard = await _send(conn, kind, base)
            assert (summary.accepted, heard) == (1, []), heard
        before = await conn.fetchval("select count(*) from furnishing.corrections")
        summary, heard = await _send(conn, kind, changed)
        changes = [
            json.loads(row["changes"])
            for row in await conn.fetch(
                "select changes::text from furnishing.corrections where submission_id = $1",
                summary.submission,
            )
        ]
        after = await conn.fetchval("select count(*) from furnishing.corrections")
    assert summary.unchanged == 0, f"{kind_name}.{field} changed, answered UNCHANGED"
    if heard:  # refused (the change breaks a rule of the bureau's): nothing of it is kept
        assert (summary.rejected, summary.accepted, summary.corrected) == (1, 0, 0)
        assert after == before
    elif field in KEYS:
        assert summary.accepted == 1  # another record
    else:
        assert summary.corrected == 1
        (change,) = changes
        assert field in change, change


@pytest.mark.parametrize("kind_name", [kind for kind in record_kinds() if kind != "STATEMENT"])
async def test_only_another_notice_day_is_a_correction_naming_it(
    writable_pool: asyncpg.Pool, kind_name: str
) -> None:
    """The case that was answered UNCHANGED: a negative record re-sent with only another day on
    which the subject was told."""
    kind = record_kinds()[kind_name]
    account = record_kinds()["ACCOUNT"]
    base = {**example(kind), "subjectNotifiedOn": "2026-10-20"}
    if kind is account:
        base.update(status="OVERDUE")
    later = {**base, "subjectNotifiedOn": "2026-10-21"}
    async with rolled_back(writable_pool) as conn:
        if kind is not account:
            await _send(conn, account, example(account))
        first, heard = await _send(conn, kind, base)
        assert (first.accepted, heard) == (1, [])
        again, heard = await _send(conn, kind, later)
        changes = await conn.fetchval(
            "select changes::text from furnishing.corrections where submission_id = $1",
            again.submission,
        )
        notified = await conn.fetchval(
            "select notified_on from furnishing.negative_notices where submission_id = $1",
            again.submission,
        )
    assert (again.corrected, heard) == (1, [])
    assert json.loads(changes) == {"subjectNotifiedOn": {"from": "2026-10-20", "to": "2026-10-21"}}
    assert notified == date(2026, 10, 21)
