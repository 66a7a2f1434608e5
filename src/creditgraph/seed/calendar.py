"""The data's own calendar.

The demo data describes the world as of one fixed data date, never "now", so
the same --subjects and --seed always give the same rows. Months are counted
as integers (year * 12 + month - 1) to make history arithmetic plain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

DATA_DATE = date(2026, 10, 31)
HISTORY_MONTHS = 60


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


DATA_MONTH = month_number(DATA_DATE)
FIRST_HISTORY_MONTH = DATA_MONTH - HISTORY_MONTHS + 1


# when the seeded rows were "created": the evening of the data date, never the load's clock
LOADED_AT = datetime.combine(DATA_DATE, time(23), tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    start = month_start(month_number(day) + months)
    return start.replace(day=min(day.day, 28))


def moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def days_before(days: int) -> date:
    return DATA_DATE - timedelta(days=days)


def working_days_after(day: date, count: int) -> date:
    """The date `count` working days (Monday to Friday) after `day`."""
    current = day
    while count:
        current += timedelta(days=1)
        if current.weekday() < 5:
            count -= 1
    return current
