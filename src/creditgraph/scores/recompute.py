"""Rescoring with the bureau scorecard: every subject, or just the ones new data touched.

A score is an observation, never corrected in place: a recompute adds one new
BUREAU observation per subject, stamped `at`, beside the ones before it; an
incremental rescore (`rescore_subjects`, run as furnished records are merged)
adds one for each subject it is given whose score or reasons changed. The
facts are gathered with a few statements that each answer for the whole
population (the account rows are streamed, so memory does not grow with the
bureau), inside one repeatable-read transaction, so every subject is judged on
the same snapshot; the points come from `scorecard` in Python, where the
rules live; the results are copied back in the same transaction, so a failure
leaves nothing half-written.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from creditgraph import signals
from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError
from creditgraph.scores import scorecard

SQL = load_queries(Path(__file__).with_name("scorecard.sql"))
_PREFETCH = 5_000


class ScoringError(CreditgraphError):
    """The scores cannot be recomputed as asked."""


@dataclass(frozen=True, slots=True)
class RecomputeReport:
    model: str
    observed_at: datetime
    subjects: int
    bands: dict[str, int]  # every band of the scale, lowest first, with how many landed in it
    seconds: float

    def summary(self) -> str:
        spread = ", ".join(f"{name} {count:,}" for name, count in self.bands.items())
        return (
            f"scored {self.subjects:,} subjects with {self.model} at "
            f"{self.observed_at.isoformat()} ({spread}) in {self.seconds:.1f} s"
        )


async def _files(
    conn: asyncpg.Connection | PoolConnectionProxy, sql: str, *args: object
) -> AsyncIterator[tuple[int, str, list[asyncpg.Record]]]:
    """(subject id, identifier, account rows) per subject, in subject order."""
    current: list[asyncpg.Record] = []
    async for row in conn.cursor(sql, *args, prefetch=_PREFETCH):
        if current and row["subject_id"] != current[0]["subject_id"]:
            yield current[0]["subject_id"], current[0]["identifier"], current
            current = []
        current.append(row)
    if current:
        yield current[0]["subject_id"], current[0]["identifier"], current


_Scored = tuple[str, int, str, tuple[scorecard.Cost, ...], date | None]
"""What is written back of one subject: identifier, value, band, reasons, and the day it stops
being shown. Only that: a whole Assessment per subject would hold every factor's cost for the
whole population."""


def _score(
    subject_id: int, identifier: str, rows: list[asyncpg.Record], hard: int, guarantees: int
) -> _Scored:
    """The subject's score, shown until the first of the negative months it counted ages out
    (the rows' `counted_until`; a score counting none is shown until a newer one)."""
    summary = signals.summarise(signals.account_facts(rows), hard_inquiries_6m=hard)
    facts = scorecard.ScorecardFacts.from_summary(summary, active_guarantees=guarantees)
    assessment = scorecard.assess(facts)
    until = [row["counted_until"] for row in rows if row["counted_until"] is not None]
    return (
        identifier,
        assessment.value,
        assessment.band,
        assessment.reasons,
        min(until, default=None),
    )


async def _write(
    conn: asyncpg.Connection | PoolConnectionProxy,
    model_id: int,
    observed_at: datetime,
    scored: list[_Scored],
) -> None:
    """The observations and their reasons, copied in beside each other."""
    ids = await conn.fetchval(SQL["reserve_observation_ids"], len(scored))
    observations = []
    reasons = []
    for oid, (identifier, value, band, costs, until) in zip(ids, scored, strict=True):
        observations.append((oid, model_id, identifier, value, band, observed_at, until))
        reasons += [
            (oid, rank, cost.code, cost.description, cost.impact)
            for rank, cost in enumerate(costs, start=1)
        ]
    await conn.copy_records_to_table(
        "observations",
        schema_name="scores",
        columns=(
            "id",
            "model_id",
            "subject_identifier",
            "value",
            "band",
            "observed_at",
            "shown_until",
        ),
        records=observations,
    )
    await conn.copy_records_to_table(
        "reasons",
        schema_name="scores",
        columns=("observation_id", "rank", "code", "description", "impact"),
        records=reasons,
    )


def _model() -> str:
    return f"{scorecard.NAME} {scorecard.VERSION}"


async def recompute_bureau_scores(
    conn: asyncpg.Connection | PoolConnectionProxy, *, at: datetime | None = None
) -> RecomputeReport:
    """Add a BUREAU observation, with its reasons, for every subject, as of `at` (default: the
    one clock's time, on the bureau's day `common.today()`).

    `at` stamps the observations and ends the hard-inquiry window; accounts,
    repayments and guarantees are read as the reports show them on `at`'s day (negative
    months that have aged out by then left out), and each observation is shown until the
    first negative month it counted ages out.
    """
    observed_at: datetime = await conn.fetchval(SQL["scoring_time"]) if at is None else at
    if observed_at.tzinfo is None:
        raise ScoringError(f"the scoring time {observed_at.isoformat()} needs a time zone")
    started = time.perf_counter()
    bands = {name: 0 for name, _, _ in scorecard.BANDS}
    try:
        async with conn.transaction(isolation="repeatable_read"):
            model_id = await conn.fetchval(SQL["bureau_model"], scorecard.NAME, scorecard.VERSION)
            if model_id is None:
                raise ScoringError(
                    f"the scores schema does not hold the model {_model()}; "
                    "`creditgraph seed` loads it with the other reference data"
                )
            hard: dict[str, int] = {
                r["subject_identifier"]: r["hard_inquiries"]
                for r in await conn.fetch(
                    SQL["hard_inquiry_counts"], observed_at, scorecard.INQUIRY_WINDOW
                )
            }
            guarantees: dict[int, int] = {
                r["guarantor_id"]: r["active_guarantees"]
                for r in await conn.fetch(SQL["active_guarantee_counts"])
            }
            scored = [
                _score(
                    subject_id,
                    identifier,
                    rows,
                    hard.get(identifier, 0),
                    guarantees.get(subject_id, 0),
                )
                async for subject_id, identifier, rows in _files(
                    conn, SQL["file_accounts"], observed_at
                )
            ]
            await _write(conn, model_id, observed_at, scored)
    except asyncpg.UniqueViolationError:
        raise ScoringError(
            f"{_model()} already has observations at {observed_at.isoformat()}; "
            "score at another time"
        ) from None
    for _, _, band, _, _ in scored:
        bands[band] += 1
    return RecomputeReport(
        model=_model(),
        observed_at=observed_at,
        subjects=len(scored),
        bands=bands,
        seconds=time.perf_counter() - started,
    )


async def rescore_subjects(
    conn: asyncpg.Connection | PoolConnectionProxy, identifiers: Collection[str]
) -> int:
    """Rescore just these subjects with the bureau scorecard, in the caller's transaction, the
    moment what they are scored on changed (furnishing calls it as each part of a batch is
    merged), so a lender's next look reads the score of the file it sees, not last night's.

    A new observation is added, stamped with the clock as it scores, only for a subject whose
    score, reasons or day to stop being shown differ from its latest still shown: data that
    changes nothing the scorecard reads writes nothing. The file is read as the reports show
    it today (`bureau.account_signals`). Identifiers the bureau does not know are passed over,
    and so is the whole call on a database without the scorecard's model. Returns how many
    observations it added.
    """
    if not identifiers:
        return 0
    model_id = await conn.fetchval(SQL["bureau_model"], scorecard.NAME, scorecard.VERSION)
    if model_id is None:
        return 0
    wanted = sorted(identifiers)
    observed_at: datetime = await conn.fetchval(SQL["scoring_time"])
    hard: dict[str, int] = {
        r["subject_identifier"]: r["hard_inquiries"]
        for r in await conn.fetch(
            SQL["hard_inquiry_counts_of"], observed_at, scorecard.INQUIRY_WINDOW, wanted
        )
    }
    guarantees: dict[int, int] = {
        r["guarantor_id"]: r["active_guarantees"]
        for r in await conn.fetch(SQL["active_guarantee_counts_of"], wanted)
    }
    latest: dict[str, tuple[int, str, list[str], date | None]] = {
        r["subject_identifier"]: (r["value"], r["band"], list(r["reasons"]), r["shown_until"])
        for r in await conn.fetch(SQL["latest_observations_of"], model_id, wanted)
    }
    changed: list[_Scored] = []
    files = _files(conn, SQL["file_accounts_of"], wanted)
    async for subject_id, identifier, rows in files:
        scored = _score(
            subject_id, identifier, rows, hard.get(identifier, 0), guarantees.get(subject_id, 0)
        )
        _, value, band, costs, until = scored
        reasons = [f"{c.code}:{c.impact}" for c in costs]
        if latest.get(identifier) != (value, band, reasons, until):
            changed.append(scored)
    if changed:
        await _write(conn, model_id, observed_at, changed)
    return len(changed)
