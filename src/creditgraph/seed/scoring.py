"""Scores on three scales, derived from the same facts the report shows.

Each model is a small points table over `Facts`: a subject starts from the
scale's best attainable score and loses points per adverse factor. The
factors that cost most become the observation's reason codes, so a lender can
tell an applicant what lay behind a low score, and a subject with bad debt
always scores below one without.

The BUREAU model is the bureau's own scorecard (`creditgraph.scores.scorecard`),
the same table `creditgraph score` recomputes with, so a seeded bureau score
is what a recompute of the same file would say. The builder's `Facts` are
running totals, not the accounts themselves, so two of the scorecard's inputs
are approximated here: 连三累六 is judged on the subject's overdue months
taken together rather than account by account, and guarantees given, which
`Facts` does not count, cost nothing in a seeded bureau score.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

from creditgraph import signals
from creditgraph.scores import city_scorecard, scorecard
from creditgraph.seed.builder import Builder, Facts, Subject
from creditgraph.seed.calendar import DATA_MONTH, moment, month_start
from creditgraph.seed.personas import CITY_SCORER, COMMERCIAL_SCORER, CREDIT_BUREAU, Institution
from creditgraph.seed.tables import copy_line


@dataclass(frozen=True, slots=True)
class Model:
    provider: Institution
    name: str
    version: str
    scale: str
    low: int
    high: int
    description: str
    bands: tuple[tuple[str, int, int], ...]  # name, lower (inclusive), upper (exclusive)
    persons_only: bool = False

    def band(self, value: int) -> str:
        for name, lower, upper in self.bands:
            if lower <= value < upper:
                return name
        return self.bands[-1][0]


MODELS = (
    Model(
        CREDIT_BUREAU,
        scorecard.NAME,
        scorecard.VERSION,
        scorecard.SCALE,
        scorecard.LOW,
        scorecard.HIGH,
        scorecard.DESCRIPTION,
        scorecard.BANDS,
    ),
    Model(
        CITY_SCORER,
        city_scorecard.NAME,
        city_scorecard.VERSION,
        city_scorecard.SCALE,
        city_scorecard.LOW,
        city_scorecard.HIGH,
        city_scorecard.DESCRIPTION,
        city_scorecard.BANDS,
        persons_only=True,
    ),
    Model(
        COMMERCIAL_SCORER,
        "Libra Score",
        "5.0",
        "COMMERCIAL",
        350,
        950,
        "Commercial score over history, identity, behaviour, relations and capacity to repay.",
        (
            ("POOR", 350, 550),
            ("FAIR", 550, 600),
            ("GOOD", 600, 650),
            ("VERY_GOOD", 650, 700),
            ("EXCELLENT", 700, 950),
        ),
    ),
)

# the city and commercial models' factors: code, description
_FACTORS: dict[str, str] = {
    "BAD_DEBT": "An account was written off as bad debt",
    "CURRENT_OVERDUE": "An account is overdue now",
    "SERIOUS_DELINQUENCY": "Three consecutive or six overdue months in the last 24",
    "RECENT_DELINQUENCY": "Overdue months in the last 24",
    "HIGH_UTILISATION": "High balances against credit limits",
    "PUBLIC_RECORDS": "Court, tax or regulatory records",
    "SHORT_HISTORY": "A short or thin credit history",
    "RECENT_INQUIRIES": "Many recent credit applications",
}


def _serious(facts: Facts) -> bool:
    return signals.is_serious(facts.longest_overdue_run_24, facts.overdue_months_24)


def _penalties(facts: Facts) -> dict[str, float]:
    """Each adverse factor's weight in [0, 1]: the share of its full cost incurred."""
    history_years = 0.0 if facts.first_month is None else (DATA_MONTH - facts.first_month) / 12
    utilisation = facts.revolving_balance / facts.revolving_limit if facts.revolving_limit else 0.0
    return {
        "BAD_DEBT": 1.0 if facts.bad_debt else 0.0,
        "CURRENT_OVERDUE": 1.0 if facts.current_overdue else 0.0,
        "SERIOUS_DELINQUENCY": 1.0 if _serious(facts) else 0.0,
        "RECENT_DELINQUENCY": min(facts.overdue_months_24 / 6, 1.0),
        "HIGH_UTILISATION": max(0.0, min((utilisation - 0.3) / 0.6, 1.0)),
        "PUBLIC_RECORDS": min(facts.public_records / 3, 1.0),
        "SHORT_HISTORY": max(0.0, 1.0 - history_years / 8),
        "RECENT_INQUIRIES": max(0.0, min((facts.hard_inquiries_6m - 2) / 6, 1.0)),
    }


# share of the scale each factor can cost, per model scale
_WEIGHTS: dict[str, dict[str, float]] = {
    "COMMERCIAL": {
        "BAD_DEBT": 0.25,
        "CURRENT_OVERDUE": 0.12,
        "SERIOUS_DELINQUENCY": 0.12,
        "RECENT_DELINQUENCY": 0.06,
        "HIGH_UTILISATION": 0.12,
        "PUBLIC_RECORDS": 0.10,
        "SHORT_HISTORY": 0.12,
        "RECENT_INQUIRIES": 0.06,
    },
}


# The scorecards read utilisation only as its level (signals.utilisation_level), so the seed
# gives one value per level: files that differ only in how much of a level's range they use
# then share one cached assessment (see _assess_bureau), with the same score and reasons.
_LEVEL_UTILISATION: dict[str, Decimal | None] = {
    "NORMAL": None,
    "WARNING": signals.UTILISATION_HIGH_RISK,
    "HIGH_RISK": Decimal(1),
}


def bureau_facts(facts: Facts) -> scorecard.ScorecardFacts:
    """The scorecard's inputs as far as the builder's running totals tell them."""
    utilisation = (
        Decimal(facts.revolving_balance) / Decimal(facts.revolving_limit)
        if facts.revolving_limit
        else None
    )
    return scorecard.ScorecardFacts(
        bad_debt_accounts=int(facts.bad_debt),
        # the credit summary counts bad debt as overdue now too
        current_overdue_accounts=int(facts.current_overdue or facts.bad_debt),
        serious_accounts=int(_serious(facts)),
        overdue_months=facts.overdue_months_24,
        utilisation=_LEVEL_UTILISATION[signals.utilisation_level(utilisation)],
        history_months=0 if facts.first_month is None else DATA_MONTH - facts.first_month + 1,
        hard_inquiries_6m=facts.hard_inquiries_6m,
    )


def city_facts(facts: Facts) -> city_scorecard.CityFacts:
    """The city scorecard's inputs from the builder's running totals (as bureau_facts)."""
    bureau = bureau_facts(facts)
    return city_scorecard.CityFacts(
        history_months=bureau.history_months,
        bad_debt_accounts=bureau.bad_debt_accounts,
        current_overdue_accounts=bureau.current_overdue_accounts,
        serious_accounts=bureau.serious_accounts,
        overdue_months=bureau.overdue_months,
        utilisation=bureau.utilisation,
        adverse_legal_records=facts.public_records - facts.public_dues,
        unpaid_public_dues=facts.public_dues,
        pro_social_records=int(facts.red_listed) + facts.awards,
    )


def models(builder: Builder) -> dict[str, int]:
    """Load the models and their bands; returns model ids by scale."""
    ids: dict[str, int] = {}
    for model in MODELS:
        mid = builder.ids.next("models")
        ids[model.scale] = mid
        builder.rows.add(
            "scores.models",
            (
                mid,
                model.provider.code,
                model.provider.name,
                model.name,
                model.version,
                model.scale,
                model.low,
                model.high,
                model.description,
            ),
        )
        for ordinal, (name, lower, upper) in enumerate(model.bands, start=1):
            builder.rows.add("scores.bands", (mid, name, lower, upper, ordinal))
    return ids


@dataclass(frozen=True, slots=True)
class _Scored:
    """A model's score for one file, with its rows' COPY text but for the observation's id in
    front: each reason's (rank, code, description, impact), and each dimension's row with the
    rows of its reasons (the city score's; none for the others)."""

    value: int
    reasons: tuple[str, ...]
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _reason_text(reasons: tuple[scorecard.Cost, ...] | list[scorecard.Cost]) -> tuple[str, ...]:
    return tuple(
        copy_line((rank, reason.code, reason.description, reason.impact))
        for rank, reason in enumerate(reasons, start=1)
    )


# Many files have the same facts (no credit, or a few clean cards): each distinct set of facts
# is assessed, and its rows spelled, once. The scorecards are pure functions of their facts
# (utilisation given as its level's value: see bureau_facts).
@lru_cache(maxsize=1 << 16)
def _bureau_scored(facts: scorecard.ScorecardFacts) -> _Scored:
    assessment = scorecard.assess(facts)
    return _Scored(assessment.value, _reason_text(assessment.reasons))


@lru_cache(maxsize=1 << 16)
def _city_scored(facts: city_scorecard.CityFacts) -> _Scored:
    city = city_scorecard.assess(facts)
    dimensions = tuple(
        (
            copy_line((ordinal, d.code, d.name, d.value, d.points)),
            tuple(
                copy_line((d.code, rank, cost.code, cost.description, cost.impact))
                for rank, cost in enumerate(d.reasons, start=1)
            ),
        )
        for ordinal, d in enumerate(city.dimensions, start=1)
    )
    return _Scored(city.value, _reason_text(city.reasons), dimensions)


def _points(model: Model, facts: Facts) -> _Scored:
    """A model's score for `facts` on the data date, its reason codes and its dimensions."""
    if model.scale == scorecard.SCALE:
        return _bureau_scored(bureau_facts(facts))
    if model.scale == city_scorecard.SCALE:
        return _city_scored(city_facts(facts))
    span = model.high - model.low
    weights = _WEIGHTS[model.scale]
    costs = {code: round(span * weights[code] * share) for code, share in _penalties(facts).items()}
    ranked = sorted(((c, code) for code, c in costs.items() if c > 0), reverse=True)[:4]
    reasons = [scorecard.Cost(code, _FACTORS[code], cost) for cost, code in ranked]
    return _Scored(model.high - 1 - sum(costs.values()), _reason_text(reasons))


# when each of a subject's three observations was made, as COPY reads it: 2, 1 and 0 years
# before the data date, on the 28th of the data month
_OBSERVED = {
    years_ago: copy_line((moment(month_start(DATA_MONTH - 12 * years_ago)) + timedelta(days=27),))
    for years_ago in (2, 1, 0)
}


def observe(builder: Builder, model_ids: dict[str, int], subject: Subject) -> None:
    """Three observations a year apart per model, the latest on the data date.

    The latest is the model's score for the file as it stands, with its
    dimensions when the model has them (the city score); the earlier two drift
    a little from it, as a file does over a year, and keep only their reasons.
    Every subject has these rows, so they are written as COPY lines here.
    """
    rng: random.Random = builder.rng
    facts = builder.facts[subject.id]
    observations = builder.rows.lines("scores.observations")
    reason_lines = builder.rows.lines("scores.reasons")
    dimension_lines = builder.rows.lines("scores.dimensions")
    dimension_reason_lines = builder.rows.lines("scores.dimension_reasons")
    identifier = copy_line((subject.identifier,))[:-1]
    for model in MODELS:
        if model.persons_only and subject.kind != "PERSON":
            continue
        span = model.high - model.low
        # only the scorecards reach their maximum: the commercial model tops out below it
        scorecards = (scorecard.SCALE, city_scorecard.SCALE)
        highest = model.high if model.scale in scorecards else model.high - 1
        scored = _points(model, facts)
        model_id = model_ids[model.scale]
        for years_ago in (2, 1, 0):
            drift = rng.randint(-span // 50, span // 50) if years_ago else 0
            value = max(model.low, min(highest, scored.value + drift))
            oid = builder.ids.next("observations")
            observations.append(
                f"{oid}\t{model_id}\t{identifier}\t{value}\t{model.band(value)}"
                f"\t{_OBSERVED[years_ago]}"
            )
            reason_lines.extend(f"{oid}\t{text}" for text in scored.reasons)
            if years_ago == 0:
                for dimension, reasons in scored.dimensions:
                    dimension_lines.append(f"{oid}\t{dimension}")
                    dimension_reason_lines.extend(f"{oid}\t{text}" for text in reasons)
