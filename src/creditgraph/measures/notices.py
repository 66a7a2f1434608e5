"""Which institutions receive a notice of a list entry's joint measures, and when.

Nothing is sent by a job: a notice is due from dates alone, so it is worked
out whenever it is read, and reads the same every time.

- An entry comes into force on its `in_force_from` day (public/types.py). If
  the catalogue has measures for its list that lenders apply (`notify_lenders`)
  and that apply that day, every institution that had an account open with the
  subject that day (opened on or before it, not closed by it) and subscribed to
  notices that day receives an IN_FORCE notice naming those measures, due that
  day, once that day has come.
- When the entry later ends by credit repair, the same institutions receive a
  REPAIRED notice, due the day it ended, naming the same measures.

Because both are fixed by the day the entry came into force, an account opened
or a subscription taken later changes nothing already due: the history stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from creditgraph.measures.catalogue import Catalogue, Measure

REPAIRED_EXIT = "REPAIRED"


@dataclass(frozen=True, slots=True)
class Entry:
    """A list entry's facts that notices depend on."""

    id: int
    colour: str
    list_name: str
    authority_name: str
    in_force_from: date | None
    exited_on: date | None
    exit_reason: str | None


@dataclass(frozen=True, slots=True)
class Lending:
    """An account a subscribing institution holds with the subject, and its subscription."""

    institution_code: str
    institution_name: str
    opened_on: date
    closed_on: date | None
    subscribed_on: date
    subscription_ended_on: date | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Lending:
        return cls(
            institution_code=row["lender_code"],
            institution_name=row["lender_name"],
            opened_on=row["opened_on"],
            closed_on=row["closed_on"],
            subscribed_on=row["subscribed_on"],
            subscription_ended_on=row["ended_on"],
        )

    def covers(self, day: date) -> bool:
        """Open and subscribed on `day`."""
        return (
            self.opened_on <= day
            and (self.closed_on is None or day < self.closed_on)
            and self.subscribed_on <= day
            and (self.subscription_ended_on is None or day < self.subscription_ended_on)
        )


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    kind: str
    due_on: date
    entry_id: int
    colour: str
    list_name: str
    authority_name: str
    institution_code: str
    institution_name: str
    measures: tuple[Measure, ...]


def recipients(lending: Iterable[Lending], day: date) -> dict[str, str]:
    """Institution code -> name of those lending to the subject and subscribed on `day`."""
    return {item.institution_code: item.institution_name for item in lending if item.covers(day)}


def due(
    entries: Sequence[Entry], lending: Sequence[Lending], catalogue: Catalogue, *, today: date
) -> list[Notice]:
    """Every notice due by `today` about one subject's entries, newest first."""
    found: list[Notice] = []
    for entry in entries:
        start = entry.in_force_from
        if start is None or start > today:
            continue
        if entry.exited_on is not None and entry.exited_on <= start:
            continue  # it ended before it took effect: nothing came into force
        measures = tuple(
            m for m in catalogue.triggered(entry.colour, entry.list_name, start) if m.notify_lenders
        )
        if not measures:
            continue
        told = recipients(lending, start)
        moments = [("IN_FORCE", start)]
        ended = entry.exited_on
        if entry.exit_reason == REPAIRED_EXIT and ended is not None and ended <= today:
            moments.append(("REPAIRED", ended))
        for kind, day in moments:
            for code, name in sorted(told.items()):
                found.append(
                    Notice(
                        id=f"{entry.id}:{kind}:{code}",
                        kind=kind,
                        due_on=day,
                        entry_id=entry.id,
                        colour=entry.colour,
                        list_name=entry.list_name,
                        authority_name=entry.authority_name,
                        institution_code=code,
                        institution_name=name,
                        measures=measures,
                    )
                )
    found.sort(key=lambda n: (n.due_on, n.entry_id, n.kind == "REPAIRED"), reverse=True)
    return found
