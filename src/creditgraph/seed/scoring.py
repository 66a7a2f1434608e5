"""Scores on three scales, derived from the same facts the report shows.

Each model is a small points table over `Facts`: a subject starts from the
scale's best attainable score and loses points per adverse factor. The
factors that cost most become the observation's reason codes, so a lender can
tell an applicant what lay behind a low score, and a subject with bad debt
always scores below one without.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from creditgraph.seed.builder import Builder, Facts, Subject
from creditgraph.seed.calendar import DATA_MONTH, moment, month_start
from creditgraph.seed.personas import CITY_SCORER, COMMERCIAL_SCORER, CREDIT_BUREAU, Institution


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
        "Galaxy Bureau Score",
        "2.1",
        "BUREAU",
        300,
        900,
        "The bureau's own scorecard over repayment, debt, history and inquiries.",
        (("POOR", 300, 550), ("FAIR", 550, 650), ("GOOD", 650, 750), ("EXCELLENT", 750, 900)),
    ),
    Model(
        CITY_SCORER,
        "Hangzhou City Credit Score",
        "2024",
        "CITY",
        0,
        1000,
        "City score over identity, law-abidance, public and commercial credit, pro-social acts.",
        (
            ("NEEDS_IMPROVEMENT", 0, 550),
            ("FAIR", 550, 600),
            ("GOOD", 600, 700),
            ("EXCELLENT", 700, 750),
            ("OUTSTANDING", 750, 1000),
        ),
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

# code, description, points lost at full weight (as a share of the scale)
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


def _penalties(facts: Facts) -> dict[str, float]:
    """Each adverse factor's weight in [0, 1]: the share of its full cost incurred."""
    history_years = 0.0 if facts.first_month is None else (DATA_MONTH - facts.first_month) / 12
    utilisation = facts.revolving_balance / facts.revolving_limit if facts.revolving_limit else 0.0
    serious = facts.longest_overdue_run_24 >= 3 or facts.overdue_months_24 >= 6
    return {
        "BAD_DEBT": 1.0 if facts.bad_debt else 0.0,
        "CURRENT_OVERDUE": 1.0 if facts.current_overdue else 0.0,
        "SERIOUS_DELINQUENCY": 1.0 if serious else 0.0,
        "RECENT_DELINQUENCY": min(facts.overdue_months_24 / 6, 1.0),
        "HIGH_UTILISATION": max(0.0, min((utilisation - 0.3) / 0.6, 1.0)),
        "PUBLIC_RECORDS": min(facts.public_records / 3, 1.0),
        "SHORT_HISTORY": max(0.0, 1.0 - history_years / 8),
        "RECENT_INQUIRIES": max(0.0, min((facts.hard_inquiries_6m - 2) / 6, 1.0)),
    }


# share of the scale each factor can cost, per model scale
_WEIGHTS: dict[str, dict[str, float]] = {
    "BUREAU": {
        "BAD_DEBT": 0.30,
        "CURRENT_OVERDUE": 0.15,
        "SERIOUS_DELINQUENCY": 0.15,
        "RECENT_DELINQUENCY": 0.08,
        "HIGH_UTILISATION": 0.10,
        "PUBLIC_RECORDS": 0.12,
        "SHORT_HISTORY": 0.10,
        "RECENT_INQUIRIES": 0.08,
    },
    "CITY": {
        "BAD_DEBT": 0.15,
        "CURRENT_OVERDUE": 0.05,
        "SERIOUS_DELINQUENCY": 0.05,
        "RECENT_DELINQUENCY": 0.03,
        "HIGH_UTILISATION": 0.02,
        "PUBLIC_RECORDS": 0.30,
        "SHORT_HISTORY": 0.05,
        "RECENT_INQUIRIES": 0.02,
    },
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
_CITY_BASE = 0.78  # a city score starts mid-scale and rises with pro-social records


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


def observe(builder: Builder, model_ids: dict[str, int], subject: Subject) -> None:
    """Three observations a year apart per model, the latest on the data date."""
    rng: random.Random = builder.rng
    facts = builder.facts[subject.id]
    penalties = _penalties(facts)
    for model in MODELS:
        if model.persons_only and subject.kind != "PERSON":
            continue
        span = model.high - model.low
        weights = _WEIGHTS[model.scale]
        costs = {code: round(span * weights[code] * share) for code, share in penalties.items()}
        top = model.low + span * (
            _CITY_BASE + (0.12 if facts.red_listed else 0.0) if model.scale == "CITY" else 1.0
        )
        best = int(top) - 1
        for years_ago in (2, 1, 0):
            drift = rng.randint(-span // 50, span // 50) if years_ago else 0
            value = max(model.low, min(model.high - 1, best - sum(costs.values()) + drift))
            oid = builder.ids.next("observations")
            observed = moment(month_start(DATA_MONTH - 12 * years_ago)) + timedelta(days=27)
            builder.rows.add(
                "scores.observations",
                (
                    oid,
                    model_ids[model.scale],
                    subject.identifier,
                    value,
                    model.band(value),
                    observed,
                ),
            )
            ranked = sorted(((c, code) for code, c in costs.items() if c > 0), reverse=True)[:4]
            for rank, (cost, code) in enumerate(ranked, start=1):
                builder.rows.add("scores.reasons", (oid, rank, code, _FACTORS[code], cost))
