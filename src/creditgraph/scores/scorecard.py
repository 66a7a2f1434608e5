"""The bureau's own score: a points table anyone can read and check by hand.

A lender must be able to tell an applicant the key factors behind an adverse
decision, so the bureau's model is deliberately plain: every file starts at
the top of the scale and loses points per adverse factor, each factor's rule
is one sentence, and the factors that cost the most become the reason codes.
The rules read the signals of `creditgraph.signals` (连三累六, the
utilisation and inquiry thresholds, the thin-file length), so the score and
the report's credit summary never disagree about what counts as serious.

This module is the one home of the table: the seed's BUREAU observations,
`recompute_bureau_scores` and docs/scorecard.md all come from it. Rewrite the
document after changing the table with
`python -m creditgraph.scores.scorecard > docs/scorecard.md`; a test fails
while the two differ.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from creditgraph import signals

NAME = "Galaxy Bureau Score"
VERSION = "3.0"
SCALE = "BUREAU"
LOW = 300
HIGH = 900
DESCRIPTION = (
    "The bureau's transparent scorecard: 900 less the points each adverse factor of the "
    "bureau's own data costs (repayment, debt, history, inquiries, guarantees)."
)
# name, lower (inclusive), upper (exclusive; the top band also holds HIGH)
BANDS: tuple[tuple[str, int, int], ...] = (
    ("POOR", 300, 550),
    ("FAIR", 550, 650),
    ("GOOD", 650, 750),
    ("EXCELLENT", 750, 900),
)
MAX_REASONS = 4
MATURE_HISTORY_MONTHS = 60  # history stops costing anything at five years
INQUIRY_WINDOW = "6 months"


@dataclass(frozen=True, slots=True)
class ScorecardFacts:
    """What the scorecard reads about one file, all from the bureau's own data."""

    bad_debt_accounts: int = 0
    current_overdue_accounts: int = 0
    serious_accounts: int = 0
    overdue_months: int = 0
    utilisation: Decimal | None = None
    history_months: int = 0
    hard_inquiries_6m: int = 0
    active_guarantees: int = 0

    @classmethod
    def from_summary(cls, summary: signals.Summary, *, active_guarantees: int) -> ScorecardFacts:
        return cls(
            bad_debt_accounts=summary.bad_debt_count,
            current_overdue_accounts=summary.current_overdue_accounts,
            serious_accounts=summary.serious_accounts,
            overdue_months=summary.overdue_months,
            utilisation=summary.utilisation,
            history_months=summary.longest_history_months,
            hard_inquiries_6m=summary.hard_inquiries_6m,
            active_guarantees=active_guarantees,
        )


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    description: str
    points: int
    rule: str
    share: Callable[[ScorecardFacts], Fraction]  # of `points` lost, 0 to 1


def _steps(count: int, full_at: int) -> Fraction:
    """An equal step per occurrence, all of it from `full_at` occurrences."""
    return Fraction(min(count, full_at), full_at)


def _any(count: int) -> Fraction:
    return Fraction(1 if count > 0 else 0)


_UTILISATION_SHARE = {"NORMAL": Fraction(0), "WARNING": Fraction(1, 2), "HIGH_RISK": Fraction(1)}


def _history_share(facts: ScorecardFacts) -> Fraction:
    if facts.history_months < signals.THIN_FILE_MONTHS:
        return Fraction(1)
    left = max(MATURE_HISTORY_MONTHS - facts.history_months, 0)
    return Fraction(left, MATURE_HISTORY_MONTHS - signals.THIN_FILE_MONTHS)


_INQUIRIES_FULL = signals.HARD_INQUIRY_WARNING + 1

FACTORS: tuple[Factor, ...] = (
    Factor(
        "BAD_DEBT",
        "An account was written off as bad debt (呆账)",
        250,
        "All of them when any account is bad debt.",
        lambda f: _any(f.bad_debt_accounts),
    ),
    Factor(
        "CURRENT_OVERDUE",
        "An account is overdue now",
        100,
        "All of them when any open account is overdue now (bad debt included).",
        lambda f: _any(f.current_overdue_accounts),
    ),
    Factor(
        "SERIOUS_DELINQUENCY",
        "连三累六: a long run of overdue months in the last 24",
        100,
        f"Half per account with {signals.SERIOUS_RUN} consecutive or {signals.SERIOUS_TOTAL} "
        f"overdue months within the last {signals.WINDOW_MONTHS}; all from two accounts.",
        lambda f: _steps(f.serious_accounts, 2),
    ),
    Factor(
        "RECENT_DELINQUENCY",
        "Overdue months in the last 24",
        60,
        f"A {signals.SERIOUS_TOTAL}th per overdue month within the last "
        f"{signals.WINDOW_MONTHS}, all accounts together; all from {signals.SERIOUS_TOTAL}.",
        lambda f: _steps(f.overdue_months, signals.SERIOUS_TOTAL),
    ),
    Factor(
        "HIGH_UTILISATION",
        "High balances against credit limits",
        80,
        f"Half when open cards and credit lines are over "
        f"{signals.UTILISATION_WARNING:.0%} used (a warning), all over "
        f"{signals.UTILISATION_HIGH_RISK:.0%} (high risk).",
        lambda f: _UTILISATION_SHARE[signals.utilisation_level(f.utilisation)],
    ),
    Factor(
        "SHORT_HISTORY",
        "A short or thin credit history",
        160,
        f"All while the file is thin (no account, or under {signals.THIN_FILE_MONTHS} months "
        f"since the oldest opened), then evenly less each month, none from "
        f"{MATURE_HISTORY_MONTHS} months.",
        _history_share,
    ),
    Factor(
        "RECENT_INQUIRIES",
        "Many recent credit applications",
        60,
        f"A {_INQUIRIES_FULL}th per lender's hard inquiry in the last {INQUIRY_WINDOW}; all "
        f"from {_INQUIRIES_FULL} (more than {signals.HARD_INQUIRY_WARNING} is the warning).",
        lambda f: _steps(f.hard_inquiries_6m, _INQUIRIES_FULL),
    ),
    Factor(
        "GUARANTEES_GIVEN",
        "Guarantees given for others' debts (对外担保)",
        40,
        "A third per active guarantee given; all from three.",
        lambda f: _steps(f.active_guarantees, 3),
    ),
)


@dataclass(frozen=True, slots=True)
class Cost:
    code: str
    description: str
    impact: int  # points lost


@dataclass(frozen=True, slots=True)
class Assessment:
    value: int
    band: str
    costs: tuple[Cost, ...]  # every factor, in table order

    @property
    def reasons(self) -> tuple[Cost, ...]:
        """The reason codes: the costliest factors first, ties in table order."""
        costly = sorted((c for c in self.costs if c.impact > 0), key=lambda c: -c.impact)
        return tuple(costly[:MAX_REASONS])


def band(value: int) -> str:
    for name, lower, upper in BANDS:
        if lower <= value < upper or value == upper == HIGH:
            return name
    raise ValueError(f"{value} is outside the scale {LOW}-{HIGH}")


def assess(facts: ScorecardFacts) -> Assessment:
    costs = tuple(Cost(f.code, f.description, round(f.points * f.share(facts))) for f in FACTORS)
    value = max(LOW, HIGH - sum(c.impact for c in costs))
    return Assessment(value=value, band=band(value), costs=costs)


_EXAMPLE = ScorecardFacts(
    bad_debt_accounts=1,
    current_overdue_accounts=1,
    serious_accounts=1,
    overdue_months=9,
    utilisation=Decimal("0.62"),
    history_months=40,
    hard_inquiries_6m=2,
)


def render_markdown() -> str:
    """docs/scorecard.md: the table as a person reads it, from the table the code runs."""
    lines = [
        "<!-- Generated from src/creditgraph/scores/scorecard.py: do not edit by hand. After "
        "changing the table run `python -m creditgraph.scores.scorecard > docs/scorecard.md`; "
        "a test fails while the two differ. -->",
        "",
        f"# The bureau scorecard: {NAME} {VERSION}",
        "",
        f"The bureau's own score, on the {SCALE} scale ({LOW}–{HIGH}). Every file starts at "
        f"{HIGH} and loses the points of each adverse factor below; the score is {HIGH} less "
        f"the points lost, never below {LOW}. The factors that cost the most points (up to "
        f"{MAX_REASONS}, and only those that cost any) are the observation's reason codes, the "
        "costliest first (ties in the table's order), each with its impact: the points it cost.",
        "",
        "Every fact comes from the bureau's own data: the accounts a subject is party to (a joint "
        f"loan counts for each borrower) with their monthly repayment records over the "
        f"{signals.WINDOW_MONTHS} months ending at the subject's data month, the guarantees the "
        f"subject gives, and lenders' hard inquiries in the {INQUIRY_WINDOW} before the score's "
        "time, counted as the credit summary counts them: one per grant, however often its "
        "lender looked under it. The thresholds are the credit summary's, so a mark on the "
        "report and a cost here always agree.",
        "",
        "## Points",
        "",
        "| reason code | factor | up to | points lost |",
        "|---|---|---:|---|",
        *(f"| `{f.code}` | {f.description} | {f.points} | {f.rule} |" for f in FACTORS),
        "",
        "Shares of a factor's points are rounded to the nearest point.",
        "",
        "## Bands",
        "",
        "| band | from | below |",
        "|---|---:|---:|",
        *(f"| {name} | {lower} | {upper} |" for name, lower, upper in BANDS),
        "",
        f"The top band also holds {HIGH}.",
        "",
        "## Example",
        "",
    ]
    example = assess(_EXAMPLE)
    lines += [
        f"A file with one bad-debt account (overdue now, {_EXAMPLE.overdue_months} overdue "
        f"months in the last {signals.WINDOW_MONTHS}, one account with 连三累六), cards "
        f"{_EXAMPLE.utilisation:.0%} used, {_EXAMPLE.history_months} months of history, "
        f"{_EXAMPLE.hard_inquiries_6m} hard inquiries and no guarantees:",
        "",
        "| reason code | impact |",
        "|---|---:|",
        *(f"| `{c.code}` | {c.impact} |" for c in example.costs if c.impact),
        "",
        f"It scores {HIGH} − {sum(c.impact for c in example.costs)} = {example.value} "
        f"({example.band}); its reason codes are "
        + ", ".join(f"`{c.code}` ({c.impact})" for c in example.reasons)
        + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
