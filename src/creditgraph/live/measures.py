"""Notices of joint measures, live: an institution's open stream is told when one is due.

A notice of a list entry's measures is due from dates alone (measures/notices.py): on the
day the entry comes into force, and on the day it ends by credit repair. So the relay works
it out the same way the API does, from the same rows, and tells each institution whose
notice falls due today, on its own topic (`institution:CODE`), naming the subject: the
institution then reads `measureNotices` under post-loan management, as its edition allows.

It hears of two things. A list entry's course changed (an objection answered, a repair
approved: public/0006_live_measure_notices.sql), which may make a notice due today. And the
calendar: once a day turns, the entries that take effect that day by their dates alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Final

import asyncpg

from creditgraph.live.hub import Delivery, Notice
from creditgraph.measures import catalogue, notices
from creditgraph.public import dataloaders as dl
from creditgraph.public.types import ListEntry

TOPIC: Final = "measures"
KIND: Final = "measureNotice"
_INSTITUTION: Final = "institution:"


def institution_topic(code: str) -> str:
    """An institution's topic: apart from subjects' (an organisation's code is both)."""
    return f"{_INSTITUTION}{code}"


class MeasureNotices:
    """The relay (live/hub.py) of joint-measure notices to the institutions they are for."""

    topic = TOPIC

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        today: Callable[[], Awaitable[date]] | None = None,
        interval: float = 60,
    ) -> None:
        """`today`: the calendar the notices are due by (default: the API's, the bureau's day
        `common.today()`); `interval`: seconds between looks at it. The first look only notes
        the day; each later one that finds it turned works out what took effect on it."""
        self._pool = pool
        self._today = today if today is not None else lambda: dl.today(pool)
        self.interval = interval
        self._day: date | None = None

    async def notified(self, payload: Mapping[str, object]) -> Sequence[Delivery]:
        subject = payload.get("subject")
        if not isinstance(subject, str):
            return []
        return await self._due([subject], await self._today())

    async def tick(self) -> Sequence[Delivery]:
        day = await self._today()
        last, self._day = self._day, day
        if last is None or day == last:
            return []
        return await self._due(await dl.subjects_coming_into_force(self._pool, day), day)

    async def _due(self, subjects: list[str], day: date) -> list[Delivery]:
        """The notices about `subjects` that fall due on `day`, each to its institution."""
        if not subjects:
            return []
        entries = await dl.list_entries(self._pool, None, subjects)
        lenders = await dl.notice_recipients(self._pool, subjects)
        applied = catalogue.applied()
        found: list[Delivery] = []
        for subject, rows, lending in zip(subjects, entries, lenders, strict=True):
            due = notices.due(
                [ListEntry.from_row(row, today=day).dates() for row in rows],
                [notices.Lending.from_row(row) for row in lending],
                applied,
                today=day,
            )
            found += [
                (institution_topic(notice.institution_code), Notice(KIND, subject))
                for notice in due
                if notice.due_on == day
            ]
        return found
