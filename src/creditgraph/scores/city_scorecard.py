"""The city score: five dimensions, each a points table anyone can read and check by hand.

Hangzhou's city score is built from five dimensions: identity (身份特质),
law-abidance (遵纪守法), social credit use (社会信用: honouring public dues),
commercial credit use (商业信用) and pro-social behaviour (公益行为), on a
0-1000 scale in five bands. As the bureau's scorecard (scorecard.py) does, every
dimension starts at its full points and loses the points of each adverse factor
in it, each factor's rule one sentence; the score is the sum of the dimensions.
Each dimension's costliest factors are its reason codes, and the costliest of
all are the score's. A subject with no pro-social record loses most of that
dimension: the top band is for those with one (a red list entry in force or an
award).

This module is the one home of the table: the seed's CITY observations and
docs/city-scorecard.md come from it; a test fails while the document differs
(`python -m creditgraph.scores.city_scorecard > docs/city-scorecard.md`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from creditgraph import signals
from creditgraph.scores.scorecard import Cost, _any, _steps

NAME = "Hangzhou City Credit Score"
VERSION = "2024"
SCALE = "CITY"
LOW = 0
HIGH = 1000
DESCRIPTION = (
    "City score over five dimensions (identity, law-abidance, social credit use, commercial "
    "credit use, pro-social behaviour), each its full points less what adverse factors cost."
)
BANDS: tuple[tuple[str, int, int], ...] = (
    ("NEEDS_IMPROVEMENT", 0, 550),
    ("FAIR", 550, 600),
    ("GOOD", 600, 700),
    ("EXCELLENT", 700, 750),
    ("OUTSTANDING", 750, 1000),
)
BAND_LABELS: dict[str, str] = {
    "NEEDS_IMPROVEMENT": "below 550: needs improvement (待提升)",
    "FAIR": "550-600: fair (一般)",
    "GOOD": "600-700: good (良好)",
    "EXCELLENT": "700-750: excellent (优秀)",
    "OUTSTANDING": "750 and above: outstanding (极好)",
}
MAX_REASONS = 4
MATURE_HISTORY_MONTHS = 60


@dataclass(frozen=True, slots=True)
class CityFacts:
    """What the city scorecard reads about one person, all from their own data."""

    history_months: int = 0
    """Months since the oldest account opened: how long lenders have known the person."""
    bad_debt_accounts: int = 0
    current_overdue_accounts: int = 0
    serious_accounts: int = 0
    overdue_months: int = 0
    utilisation: Decimal | None = None
    adverse_legal_records: int = 0
    """Enforcement cases, active dishonest listings, penalties, black list entries in force."""
    unpaid_public_dues: int = 0
    """Unsettled tax and utility arrears."""
    pro_social_records: int = 0
    """Red list entries in force and administrative awards."""


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    description: str
    points: int
    rule: str
    share: Callable[[CityFacts], Fraction]  # of `points` lost, 0 to 1


@dataclass(frozen=True, slots=True)
class Dimension:
    code: str
    name: str
    points: int
    """The dimension's full points; its factors' points add up to no more."""
    factors: tuple[Factor, ...]


_UTILISATION_SHARE = {"NORMAL": Fraction(0), "WARNING": Fraction(1, 2), "HIGH_RISK": Fraction(1)}


def _history_share(facts: CityFacts) -> Fraction:
    left = max(MATURE_HISTORY_MONTHS - facts.history_months, 0)
    return Fraction(left, MATURE_HISTORY_MONTHS)


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "IDENTITY",
        "身份特质 identity",
        150,
        (
            Factor(
                "UNCONFIRMED_IDENTITY",
                "No lender has confirmed who the person is",
                60,
                f"All while no account is on file or the oldest is under "
                f"{signals.THIN_FILE_MONTHS} months old.",
                lambda f: Fraction(1 if f.history_months < signals.THIN_FILE_MONTHS else 0),
            ),
            Factor(
                "SHORT_RECORD",
                "A short record with lenders",
                90,
                f"Evenly less each month of history, none from {MATURE_HISTORY_MONTHS} months.",
                _history_share,
            ),
        ),
    ),
    Dimension(
        "LAW_ABIDING",
        "遵纪守法 law-abidance",
        250,
        (
            Factor(
                "LEGAL_RECORDS",
                "Court enforcement, dishonest listings, penalties or black list entries",
                250,
                "A third per adverse legal record; all from three.",
                lambda f: _steps(f.adverse_legal_records, 3),
            ),
        ),
    ),
    Dimension(
        "SOCIAL_CREDIT",
        "社会信用 social credit use",
        150,
        (
            Factor(
                "UNPAID_PUBLIC_DUES",
                "Taxes or utility bills left unpaid",
                150,
                "Half per unsettled tax or utility arrear; all from two.",
                lambda f: _steps(f.unpaid_public_dues, 2),
            ),
        ),
    ),
    Dimension(
        "COMMERCIAL_CREDIT",
        "商业信用 commercial credit use",
        150,
        (
            Factor(
                "BAD_DEBT",
                "An account was written off as bad debt (呆账)",
                80,
                "All of them when any account is bad debt.",
                lambda f: _any(f.bad_debt_accounts),
            ),
            Factor(
                "OVERDUE",
                "An account is overdue now, or was overdue for long (连三累六)",
                40,
                "Half when an account is overdue now, half when any has 连三累六 in the last "
                f"{signals.WINDOW_MONTHS} months.",
                lambda f: Fraction(_any(f.current_overdue_accounts) + _any(f.serious_accounts), 2),
            ),
            Factor(
                "HIGH_UTILISATION",
                "High balances against credit limits",
                30,
                f"Half over {signals.UTILISATION_WARNING:.0%} used, all over "
                f"{signals.UTILISATION_HIGH_RISK:.0%}.",
                lambda f: _UTILISATION_SHARE[signals.utilisation_level(f.utilisation)],
            ),
        ),
    ),
    Dimension(
        "PRO_SOCIAL",
        "公益行为 pro-social behaviour",
        300,
        (
            Factor(
                "NO_PRO_SOCIAL_RECORD",
                "No red list entry or award on record",
                260,
                "All of them without a red list entry in force or an administrative award.",
                lambda f: Fraction(0 if f.pro_social_records else 1),
            ),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DimensionScore:
    code: str
    name: str
    value: int
    points: int
    costs: tuple[Cost, ...]  # every factor, in table order

    @property
    def reasons(self) -> tuple[Cost, ...]:
        """The dimension's factors that cost points, costliest first, ties in table order."""
        return _costliest(self.costs)


@dataclass(frozen=True, slots=True)
class CityAssessment:
    value: int
    band: str
    dimensions: tuple[DimensionScore, ...]

    @property
    def reasons(self) -> tuple[Cost, ...]:
        """The score's reason codes: the costliest factors of every dimension."""
        return _costliest(tuple(c for d in self.dimensions for c in d.costs))


def _costliest(costs: tuple[Cost, ...]) -> tuple[Cost, ...]:
    costly = sorted((c for c in costs if c.impact > 0), key=lambda c: -c.impact)
    return tuple(costly[:MAX_REASONS])


def band(value: int) -> str:
    for name, lower, upper in BANDS:
        if lower <= value < upper or value == upper == HIGH:
            return name
    raise ValueError(f"{value} is outside the scale {LOW}-{HIGH}")


def assess(facts: CityFacts) -> CityAssessment:
    scored = []
    for dimension in DIMENSIONS:
        costs = tuple(
            Cost(f.code, f.description, round(f.points * f.share(facts))) for f in dimension.factors
        )
        value = max(0, dimension.points - sum(c.impact for c in costs))
        scored.append(
            DimensionScore(dimension.code, dimension.name, value, dimension.points, costs)
        )
    value = sum(d.value for d in scored)
    return CityAssessment(value=value, band=band(value), dimensions=tuple(scored))


_EXAMPLE = CityFacts(
    history_months=30,
    current_overdue_accounts=1,
    overdue_months=2,
    utilisation=Decimal("0.55"),
    unpaid_public_dues=1,
)


def render_markdown() -> str:
    """docs/city-scorecard.md: the table as a person reads it, from the table the code runs."""
    lines = [
        "<!-- Generated from src/creditgraph/scores/city_scorecard.py: do not edit by hand. "
        "After changing the table run `python -m creditgraph.scores.city_scorecard > "
        "docs/city-scorecard.md`; a test fails while the two differ. -->",
        "",
        f"# The city scorecard: {NAME} {VERSION}",
        "",
        f"The city score, on the {SCALE} scale ({LOW}–{HIGH}), for persons. It is the sum of "
        "five dimensions; each starts at its full points and loses the points of each adverse "
        "factor in it, never below 0. Each observation shows every dimension's score with its "
        "reason codes (the factors that cost it points, costliest first), and its own reason "
        f"codes are the costliest {MAX_REASONS} factors of all.",
        "",
        "Every fact comes from the person's own data: their accounts and repayment records "
        "(read as the bureau's credit summary reads them, with its thresholds), their public "
        "records (court enforcement, dishonest listings, penalties, black and red list entries "
        "in force, awards) and their unpaid taxes and utility bills.",
        "",
        "## Dimensions",
        "",
    ]
    for d in DIMENSIONS:
        lines += [
            f"### `{d.code}`: {d.name}, {d.points} points",
            "",
            "| reason code | factor | up to | points lost |",
            "|---|---|---:|---|",
            *(f"| `{f.code}` | {f.description} | {f.points} | {f.rule} |" for f in d.factors),
            "",
        ]
    lines += [
        "Shares of a factor's points are rounded to the nearest point.",
        "",
        "## Bands",
        "",
        "| band | from | below | |",
        "|---|---:|---:|---|",
        *(f"| {name} | {lower} | {upper} | {BAND_LABELS[name]} |" for name, lower, upper in BANDS),
        "",
        f"The top band also holds {HIGH}.",
        "",
        "## Example",
        "",
    ]
    example = assess(_EXAMPLE)
    lines += [
        f"A person known to lenders for {_EXAMPLE.history_months} months, with an account "
        f"overdue now, cards {_EXAMPLE.utilisation:.0%} used, one unpaid utility bill, no legal "
        "record and no pro-social record:",
        "",
        "| dimension | score | of | reason codes |",
        "|---|---:|---:|---|",
        *(
            f"| `{d.code}` | {d.value} | {d.points} | "
            + ", ".join(f"`{c.code}` ({c.impact})" for c in d.reasons)
            + " |"
            for d in example.dimensions
        ),
        "",
        f"It scores {' + '.join(str(d.value) for d in example.dimensions)} = {example.value} "
        f"({example.band}).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
