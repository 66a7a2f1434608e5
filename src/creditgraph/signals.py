"""The signals lenders read first, derived from an account list (docs/domain.md).

Pure functions over plain values, so the seed's scoring, the scorecard and
the subgraph's `creditSummary` all judge a file by the same rules. Every
threshold is named here once. It stands at the top of the package, not in
bureau/, because furnishing reads it too and the bureau's schema mounts
furnishing's mutations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

OVERDUE_SYMBOLS = frozenset("1234567")
REVOLVING_KINDS = frozenset({"CREDIT_CARD", "REVOLVING_LOAN"})
OPEN_STATUSES = frozenset({"NORMAL", "OVERDUE", "BAD_DEBT", "FROZEN", "STOPPED"})

MAX_HISTORY_MONTHS = 60  # the bureau keeps five years: the most a grant's data period reaches
WINDOW_MONTHS = 24  # 连三累六 looks at the last 24 months
SERIOUS_RUN = 3  # 连三: three consecutive overdue months
SERIOUS_TOTAL = 6  # 累六: six overdue months in total
UTILISATION_WARNING = Decimal("0.5")
UTILISATION_HIGH_RISK = Decimal("0.7")
HARD_INQUIRY_WARNING = 5  # more than five in six months
THIN_FILE_MONTHS = 12  # "not white": a year of history at least
MAX_OPEN_CARDS = 6  # "not too many"
MAX_OPEN_ACCOUNTS = 12


def month_number(day: date) -> int:
    """Months since year 0, so month arithmetic is integer arithmetic."""
    return day.year * 12 + day.month - 1


def overdue_runs(statuses: Iterable[str]) -> tuple[int, int]:
    """(longest run of overdue months, total overdue months) in a status sequence."""
    longest = run = total = 0
    for symbol in statuses:
        if symbol in OVERDUE_SYMBOLS:
            run += 1
            total += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest, total


def is_serious(longest_run: int, total: int) -> bool:
    """连三累六 for one account's window."""
    return longest_run >= SERIOUS_RUN or total >= SERIOUS_TOTAL


def utilisation_level(utilisation: Decimal | None) -> str:
    if utilisation is None or utilisation <= UTILISATION_WARNING:
        return "NORMAL"
    return "WARNING" if utilisation <= UTILISATION_HIGH_RISK else "HIGH_RISK"


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """One account as the summary sees it; `statuses` is most recent month first."""

    kind: str
    status: str
    balance: Decimal
    credit_limit: Decimal | None
    overdue_amount: Decimal
    statuses: str
    history_months: int


class Row(Protocol):
    """A database row read by column name (an asyncpg Record, a dict)."""

    def __getitem__(self, column: str, /) -> Any: ...


def account_facts(rows: Iterable[Row]) -> list[AccountFacts]:
    """Accounts from rows of the `bureau.account_signals` view (rows without one skipped)."""
    return [
        AccountFacts(
            kind=row["kind"],
            status=row["status"],
            balance=row["balance"],
            credit_limit=row["credit_limit"],
            overdue_amount=row["overdue_amount"],
            statuses=row["statuses"],
            history_months=month_number(row["data_month"]) - month_number(row["opened_on"]) + 1,
        )
        for row in rows
        if row["kind"] is not None
    ]


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    account_count: int
    open_account_count: int
    open_card_count: int
    total_balance: Decimal
    revolving_balance: Decimal
    revolving_limit: Decimal
    utilisation: Decimal | None
    current_overdue_accounts: int
    current_overdue_amount: Decimal
    bad_debt_count: int
    longest_overdue_run: int
    overdue_months: int
    serious_accounts: int
    hard_inquiries_6m: int
    longest_history_months: int

    @property
    def serious_delinquency(self) -> bool:
        return self.serious_accounts > 0


def summarise(accounts: Sequence[AccountFacts], *, hard_inquiries_6m: int) -> Summary:
    open_accounts = [a for a in accounts if a.status in OPEN_STATUSES]
    revolving = [a for a in open_accounts if a.kind in REVOLVING_KINDS and a.credit_limit]
    revolving_balance = sum((a.balance for a in revolving), Decimal(0))
    revolving_limit = sum((a.credit_limit or Decimal(0) for a in revolving), Decimal(0))
    utilisation = (
        (revolving_balance / revolving_limit).quantize(Decimal("0.0001"))
        if revolving_limit
        else None
    )
    overdue_now = [a for a in open_accounts if a.status in ("OVERDUE", "BAD_DEBT")]
    runs = [overdue_runs(a.statuses[:WINDOW_MONTHS]) for a in accounts]
    return Summary(
        account_count=len(accounts),
        open_account_count=len(open_accounts),
        open_card_count=sum(1 for a in open_accounts if a.kind == "CREDIT_CARD"),
        total_balance=sum((a.balance for a in open_accounts), Decimal(0)),
        revolving_balance=revolving_balance,
        revolving_limit=revolving_limit,
        utilisation=utilisation,
        current_overdue_accounts=len(overdue_now),
        current_overdue_amount=sum((a.overdue_amount for a in overdue_now), Decimal(0)),
        bad_debt_count=sum(1 for a in accounts if a.status == "BAD_DEBT"),
        longest_overdue_run=max((run for run, _ in runs), default=0),
        overdue_months=sum(total for _, total in runs),
        serious_accounts=sum(1 for run, total in runs if is_serious(run, total)),
        hard_inquiries_6m=hard_inquiries_6m,
        longest_history_months=max((a.history_months for a in accounts), default=0),
    )


def four_nots(summary: Summary, *, blacklisted: bool | None) -> dict[str, Verdict]:
    """The four "nots" of a good file, each with the reasons it failed.

    `blacklisted` comes from the public records; None means they were not
    consulted, and "not black" then fails rather than passing on no evidence.
    """
    black: list[str] = []
    if blacklisted is None:
        black.append("blacklist status unknown: public records were not consulted")
    elif blacklisted:
        black.append("listed as a dishonest judgment debtor or on a black list")
    if summary.current_overdue_accounts:
        black.append(f"{summary.current_overdue_accounts} account(s) overdue now")
    if summary.bad_debt_count:
        black.append(f"{summary.bad_debt_count} account(s) written off as bad debt")

    white: list[str] = []
    if summary.account_count == 0:
        white.append("no credit history")
    elif summary.longest_history_months < THIN_FILE_MONTHS:
        white.append(f"credit history shorter than {THIN_FILE_MONTHS} months")

    many: list[str] = []
    if summary.open_card_count > MAX_OPEN_CARDS:
        many.append(f"{summary.open_card_count} open credit cards (more than {MAX_OPEN_CARDS})")
    if summary.open_account_count > MAX_OPEN_ACCOUNTS:
        many.append(f"{summary.open_account_count} open accounts (more than {MAX_OPEN_ACCOUNTS})")
    if utilisation_level(summary.utilisation) == "HIGH_RISK":
        many.append(f"credit limits {summary.utilisation:.0%} used (over 70%)")

    messy: list[str] = []
    if summary.hard_inquiries_6m > HARD_INQUIRY_WARNING:
        messy.append(
            f"{summary.hard_inquiries_6m} hard inquiries in 6 months "
            f"(more than {HARD_INQUIRY_WARNING})"
        )
    return {
        "not_black": Verdict(not black, tuple(black)),
        "not_white": Verdict(not white, tuple(white)),
        "not_too_many": Verdict(not many, tuple(many)),
        "not_messy": Verdict(not messy, tuple(messy)),
    }
