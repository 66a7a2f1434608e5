"""An account's repayment history: the window a report shows and the grid it draws.

Pure functions over the stored monthly rows (`month`, `status`, …, newest
first), so the subgraph's `repayments` and `repaymentGrid` fields and any
other reader of the same rows (bench/floor.py) show the same months.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from creditgraph.signals import month_number
from creditgraph.subgraphs.records import Row

R = TypeVar("R", bound=Row)

NOT_OPEN = "/"  # a month before the account opened
UNKNOWN = "#"  # a month the lender did not report


def month_start(number: int) -> date:
    """The first day of a month given as `month_number` counts it."""
    return date(number // 12, number % 12 + 1, 1)


def history_end(closed_on: date | None, reported_on: date) -> int:
    """The month an account's history runs up to: its closing month, else its data month."""
    return month_number(closed_on or reported_on)


def in_window(rows: Sequence[R], *, end: int, months: int) -> list[R]:
    """The rows of the `months` months up to and including `end`, in their stored order."""
    start = end - months + 1
    return [row for row in rows if start <= month_number(row["month"]) <= end]


def grid_statuses(rows: Sequence[Row], *, opened_on: date, end: int, months: int) -> str:
    """One status symbol per month from `end` back over `months` months, most recent first."""
    opened = month_number(opened_on)
    by_month = {month_number(row["month"]): row["status"] for row in rows}
    return "".join(
        NOT_OPEN if month < opened else by_month.get(month, UNKNOWN)
        for month in range(end, end - months, -1)
    )
