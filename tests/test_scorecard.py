"""The bureau scorecard: its points table, its document, and recomputing with it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from creditgraph import signals
from creditgraph.bureau import dataloaders as bureau
from creditgraph.scores import scorecard
from creditgraph.scores.recompute import ScoringError, recompute_bureau_scores
from creditgraph.scores.scorecard import ScorecardFacts, assess
from creditgraph.seed import scoring
from creditgraph.seed.personas import PERSONA

SEASONED = ScorecardFacts(history_months=scorecard.MATURE_HISTORY_MONTHS)
WORST = ScorecardFacts(
    bad_debt_accounts=2,
    current_overdue_accounts=3,
    serious_accounts=2,
    overdue_months=24,
    utilisation=Decimal("1.2"),
    history_months=0,
    hard_inquiries_6m=12,
    active_guarantees=5,
)


def impacts(facts: ScorecardFacts) -> dict[str, int]:
    return {cost.code: cost.impact for cost in assess(facts).costs}


# -- the document ---------------------------------------------------------------


def test_the_document_is_the_table_the_code_runs(repo_root: Path) -> None:
    path = repo_root / "docs" / "scorecard.md"
    assert path.read_text(encoding="utf-8") == scorecard.render_markdown(), (
        f"{path} has drifted from the scorecard: run "
        "`python -m creditgraph.scores.scorecard > docs/scorecard.md`"
    )


def test_the_document_can_be_rewritten_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "creditgraph.scores.scorecard"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == scorecard.render_markdown()
    for factor in scorecard.FACTORS:
        assert f"| `{factor.code}` | {factor.description} | {factor.points} |" in result.stdout


# -- the points -----------------------------------------------------------------


def test_a_seasoned_spotless_file_keeps_every_point() -> None:
    result = assess(SEASONED)
    assert (result.value, result.band, result.reasons) == (scorecard.HIGH, "EXCELLENT", ())


def test_the_worst_file_loses_every_factor_in_full_and_bottoms_out() -> None:
    result = assess(WORST)
    assert impacts(WORST) == {f.code: f.points for f in scorecard.FACTORS}
    assert (result.value, result.band) == (scorecard.LOW, "POOR")
    # the costliest first; CURRENT_OVERDUE and SERIOUS_DELINQUENCY tie, in table order
    assert [(c.code, c.impact) for c in result.reasons] == [
        ("BAD_DEBT", 250),
        ("SHORT_HISTORY", 160),
        ("CURRENT_OVERDUE", 100),
        ("SERIOUS_DELINQUENCY", 100),
    ]


def test_each_factor_costs_only_what_its_own_fact_says() -> None:
    for code, facts in {
        "BAD_DEBT": replace(SEASONED, bad_debt_accounts=1),
        "CURRENT_OVERDUE": replace(SEASONED, current_overdue_accounts=1),
        "SERIOUS_DELINQUENCY": replace(SEASONED, serious_accounts=2),
        "RECENT_DELINQUENCY": replace(SEASONED, overdue_months=signals.SERIOUS_TOTAL),
        "HIGH_UTILISATION": replace(SEASONED, utilisation=Decimal("0.95")),
        "SHORT_HISTORY": replace(SEASONED, history_months=0),
        "RECENT_INQUIRIES": replace(SEASONED, hard_inquiries_6m=9),
        "GUARANTEES_GIVEN": replace(SEASONED, active_guarantees=3),
    }.items():
        factor = next(f for f in scorecard.FACTORS if f.code == code)
        result = assess(facts)
        assert [(c.code, c.impact) for c in result.reasons] == [(code, factor.points)]
        assert result.value == scorecard.HIGH - factor.points


@pytest.mark.parametrize(
    ("facts", "code", "impact"),
    [
        # 连三累六: half for one account, all from two
        (replace(SEASONED, serious_accounts=1), "SERIOUS_DELINQUENCY", 50),
        (replace(SEASONED, overdue_months=1), "RECENT_DELINQUENCY", 10),
        (replace(SEASONED, overdue_months=30), "RECENT_DELINQUENCY", 60),
        # the credit summary's utilisation thresholds: over 50% a warning, over 70% high risk
        (replace(SEASONED, utilisation=signals.UTILISATION_WARNING), "HIGH_UTILISATION", 0),
        (replace(SEASONED, utilisation=Decimal("0.5001")), "HIGH_UTILISATION", 40),
        (replace(SEASONED, utilisation=signals.UTILISATION_HIGH_RISK), "HIGH_UTILISATION", 40),
        (replace(SEASONED, utilisation=Decimal("0.7001")), "HIGH_UTILISATION", 80),
        (replace(SEASONED, utilisation=None), "HIGH_UTILISATION", 0),
        # a thin file loses it all, a five-year one nothing, evenly in between
        (replace(SEASONED, history_months=signals.THIN_FILE_MONTHS - 1), "SHORT_HISTORY", 160),
        (replace(SEASONED, history_months=signals.THIN_FILE_MONTHS), "SHORT_HISTORY", 160),
        (
            replace(SEASONED, history_months=(signals.THIN_FILE_MONTHS + 60) // 2),
            "SHORT_HISTORY",
            80,
        ),
        (replace(SEASONED, history_months=59), "SHORT_HISTORY", 3),
        (replace(SEASONED, history_months=400), "SHORT_HISTORY", 0),
        # inquiries: more than five in six months is the warning, and costs everything
        (replace(SEASONED, hard_inquiries_6m=1), "RECENT_INQUIRIES", 10),
        (replace(SEASONED, hard_inquiries_6m=signals.HARD_INQUIRY_WARNING), "RECENT_INQUIRIES", 50),
        (
            replace(SEASONED, hard_inquiries_6m=signals.HARD_INQUIRY_WARNING + 1),
            "RECENT_INQUIRIES",
            60,
        ),
        (replace(SEASONED, active_guarantees=1), "GUARANTEES_GIVEN", 13),
    ],
)
def test_shares_follow_the_written_rules(facts: ScorecardFacts, code: str, impact: int) -> None:
    assert impacts(facts)[code] == impact


def test_reasons_are_at_most_four_and_only_what_cost_something() -> None:
    facts = replace(
        SEASONED,
        current_overdue_accounts=1,
        overdue_months=2,
        hard_inquiries_6m=3,
        active_guarantees=2,
        utilisation=Decimal("0.8"),
        history_months=30,
    )
    result = assess(facts)
    costly = [c for c in result.costs if c.impact > 0]
    assert len(costly) == 6
    assert [c.code for c in result.reasons] == [
        "CURRENT_OVERDUE",
        "SHORT_HISTORY",
        "HIGH_UTILISATION",
        "RECENT_INQUIRIES",
    ]
    assert result.value == scorecard.HIGH - sum(c.impact for c in costly)


def test_bands_split_the_scale_and_the_top_one_holds_the_maximum() -> None:
    assert [scorecard.band(v) for v in (300, 549, 550, 649, 650, 749, 750, 899, 900)] == [
        "POOR",
        "POOR",
        "FAIR",
        "FAIR",
        "GOOD",
        "GOOD",
        "EXCELLENT",
        "EXCELLENT",
        "EXCELLENT",
    ]
    with pytest.raises(ValueError, match="outside"):
        scorecard.band(901)


def test_the_facts_are_the_credit_summary_s() -> None:
    """连三累六 is judged account by account, as the report's summary judges it."""
    accounts = [
        signals.AccountFacts("CREDIT_CARD", "NORMAL", Decimal(800), Decimal(1000), Decimal(0),
                             "NN123NNN", 30),
        signals.AccountFacts("CAR_LOAN", "OVERDUE", Decimal(5000), None, Decimal(300), "21NN", 14),
        signals.AccountFacts("CONSUMER_LOAN", "BAD_DEBT", Decimal(900), None, Decimal(900),
                             "7654321", 40),
    ]  # fmt: skip
    summary = signals.summarise(accounts, hard_inquiries_6m=4)
    facts = ScorecardFacts.from_summary(summary, active_guarantees=2)
    assert facts == ScorecardFacts(
        bad_debt_accounts=1,
        current_overdue_accounts=2,
        serious_accounts=2,
        overdue_months=12,
        utilisation=Decimal("0.8000"),
        history_months=40,
        hard_inquiries_6m=4,
        active_guarantees=2,
    )


def test_the_seed_scores_the_bureau_model_with_this_scorecard() -> None:
    (bureau_model,) = [m for m in scoring.MODELS if m.scale == scorecard.SCALE]
    assert (bureau_model.name, bureau_model.version) == (scorecard.NAME, scorecard.VERSION)
    assert (bureau_model.low, bureau_model.high) == (scorecard.LOW, scorecard.HIGH)
    assert bureau_model.bands == scorecard.BANDS


# -- recomputing ------------------------------------------------------------------


async def _bureau_observations(conn: asyncpg.Connection) -> dict[int, asyncpg.Record]:
    rows = await conn.fetch(
        """select o.id, o.subject_identifier, o.value, o.band, o.observed_at,
                  coalesce(array_agg(array[r.code, r.impact::text] order by r.rank)
                           filter (where r.code is not null), '{}') as reasons
           from scores.observations o
           join scores.models m on m.id = o.model_id and m.scale = 'BUREAU'
           left join scores.reasons r on r.observation_id = o.id
           group by o.id"""
    )
    return {row["id"]: row for row in rows}


async def _expected(pool: asyncpg.Pool) -> dict[str, scorecard.Assessment]:
    """Every subject's assessment from the facts the bureau subgraph's own loaders read."""
    subjects = await pool.fetch("select id, identifier from bureau.subjects order by id")
    ids = [s["id"] for s in subjects]
    identifiers = [s["identifier"] for s in subjects]
    expected = {}
    for identifier, row in zip(
        identifiers, await bureau.credit_summaries(pool, None, ids), strict=True
    ):
        assert row is not None
        summary = signals.summarise(
            signals.account_facts(row["facts"]), hard_inquiries_6m=int(row["hard_inquiries"])
        )
        facts = ScorecardFacts.from_summary(summary, active_guarantees=row["active_guarantees"])
        expected[identifier] = assess(facts)
    return expected


async def test_recompute_adds_one_scorecard_observation_per_subject(
    writable_seeded_database_url: str,
) -> None:
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        before = await _bureau_observations(conn)
        subjects = await conn.fetchval("select count(*) from bureau.subjects")
        report = await recompute_bureau_scores(conn)
        after = await _bureau_observations(conn)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(writable_seeded_database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        expected = await _expected(pool)
    finally:
        await pool.close()

    added = [row for oid, row in after.items() if oid not in before]
    assert report.subjects == subjects == len(added) == len(expected)
    assert sorted(row["subject_identifier"] for row in added) == sorted(expected)
    assert {row["observed_at"] for row in added} == {report.observed_at}
    for row in added:
        assessment = expected[row["subject_identifier"]]
        assert (row["value"], row["band"]) == (assessment.value, assessment.band)
        assert [(code, int(impact)) for code, impact in row["reasons"]] == [
            (c.code, c.impact) for c in assessment.reasons
        ]
    assert report.bands == {
        name: sum(1 for row in added if row["band"] == name) for name, _, _ in scorecard.BANDS
    }
    assert list(report.bands) == ["POOR", "FAIR", "GOOD", "EXCELLENT"]
    assert f"scored {subjects:,} subjects with {scorecard.NAME}" in report.summary()

    # the stories still read the same through the new scores
    debtor = expected[PERSONA["debtor"].identifier]
    assert debtor.reasons[0].code == "BAD_DEBT"
    assert debtor.band == "POOR"
    assert expected[PERSONA["model_borrower"].identifier].value == scorecard.HIGH
    guarantor = expected[PERSONA["guarantor"].identifier]
    assert "GUARANTEES_GIVEN" in {c.code for c in guarantor.reasons}


async def test_recompute_sends_the_same_handful_of_statements_for_everyone(
    writable_seeded_database_url: str,
) -> None:
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        sent: list[str] = []
        conn.add_query_logger(lambda record: sent.append(record.query))
        report = await recompute_bureau_scores(conn)
    finally:
        await conn.close()
    assert report.subjects > 200
    assert len(sent) <= 12, sent


async def test_a_failed_recompute_writes_nothing(writable_seeded_database_url: str) -> None:
    conn = await asyncpg.connect(writable_seeded_database_url)
    try:
        count = "select count(*) from scores.observations"
        before = await conn.fetchval(count)
        await conn.execute(
            """
            create function pg_temp.refuse() returns trigger language plpgsql as
            $$ begin raise exception 'disk full (simulated)'; end $$;
            create trigger refuse before insert on scores.reasons
            for each row execute function pg_temp.refuse();
            """
        )
        with pytest.raises(asyncpg.RaiseError, match="disk full"):
            await recompute_bureau_scores(conn)
        assert await conn.fetchval(count) == before
        await conn.execute("drop trigger refuse on scores.reasons")

        at = datetime(2026, 11, 1, 9, tzinfo=UTC)
        first = await recompute_bureau_scores(conn, at=at)
        with pytest.raises(ScoringError, match="already has observations at 2026-11-01"):
            await recompute_bureau_scores(conn, at=at)
        assert await conn.fetchval(count) == before + first.subjects
    finally:
        await conn.close()


async def test_recompute_refuses_a_time_without_a_zone_or_a_missing_model(
    database_url: str,
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(ScoringError, match="needs a time zone"):
            await recompute_bureau_scores(conn, at=datetime(2026, 11, 1))
        with pytest.raises(ScoringError, match="creditgraph seed"):
            await recompute_bureau_scores(conn)
    finally:
        await conn.close()
