"""Monthly repayment status grids, by the kind of borrower a subject is.

A grid is a string of status symbols, oldest month first, one per month the
account was open within the history window. The symbols are the report's:
N normal, 1-7 months overdue, C settled, * nothing due.
"""

from __future__ import annotations

import random
from enum import Enum


class Conduct(Enum):
    CLEAN = "clean"
    OCCASIONAL = "occasional"  # a stray month 1 overdue, caught up
    SERIOUS = "serious"  # 连三累六 within the last 24 months, now current
    CURRENT_OVERDUE = "current_overdue"  # overdue right now
    BAD_DEBT = "bad_debt"  # ran to 7 and was written off


def grid(rng: random.Random, months: int, conduct: Conduct, *, card: bool) -> str:
    """Statuses for `months` months under `conduct` (last month is the data month)."""
    if months <= 0:
        return ""
    base = ["*" if card and rng.random() < 0.15 else "N" for _ in range(months)]
    if conduct is Conduct.OCCASIONAL:
        for _ in range(rng.randint(1, 2)):
            base[rng.randrange(months)] = "1"
    elif conduct is Conduct.SERIOUS and months >= 6:
        # three consecutive overdue months, 4-20 months ago, then repaid
        start = max(0, months - rng.randint(6, 20))
        for offset, symbol in enumerate("123"):
            if start + offset < months - 1:
                base[start + offset] = symbol
    elif conduct is Conduct.CURRENT_OVERDUE:
        depth = rng.randint(1, min(3, months))
        for offset in range(depth):
            base[months - depth + offset] = str(offset + 1)
    elif conduct is Conduct.BAD_DEBT:
        depth = min(months, rng.randint(7, 14))
        for offset in range(depth):
            base[months - depth + offset] = str(min(offset + 1, 7))
    return "".join(base)
