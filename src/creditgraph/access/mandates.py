"""Government mandates: the operator's way to grant, list and end them.

A government body sees the GOVERNMENT edition only under a legal mandate for the
purpose it asks for (editions.py reads them on every request). Mandates are not
given by subjects, so no GraphQL mutation writes them: the deployment's operator
does, with `creditgraph mandates`. Each change is one transaction and checks
everything before writing, so a refused change writes nothing; the database's
own constraints (migrations/gateway/0006) hold the same rules against any other
writer.

Dates are whole days on the database's clock. `valid_until` is the first day a
mandate no longer applies, so ending one "on" today closes it for the very next
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, TypeVar

import asyncpg

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.errors import CreditgraphError
from creditgraph.identifiers import InvalidIdentifier, normalise_identifier, validate_uscc

SQL = load_queries(Path(__file__).with_name("mandates.sql"))

#: The purposes a mandate can cover (the table's CHECK says the same), as the policy stage
#: reads purposes everywhere: the names of the schema's InquiryPurpose values (editions.py)
PURPOSES: Final = ("PUBLIC_CREDIT_CHECK", "JUDICIAL_ENFORCEMENT")
MAX_LEGAL_BASIS_CHARS: Final = 500
MAX_AGENCY_NAME_CHARS: Final = 200

T = TypeVar("T")


class MandateRefused(CreditgraphError):
    """A mandate change that breaks a rule; nothing was written."""


@dataclass(frozen=True, slots=True)
class Mandate:
    """One mandate as the operator sees it."""

    id: int
    agency_code: str
    agency_name: str
    purpose: str
    edition: str
    legal_basis: str
    valid_from: date
    valid_until: date | None
    """The first day it no longer applies; None: until ended."""
    live: bool
    """Whether it applies today."""

    def document(self) -> dict[str, Any]:
        """The mandate as JSON-ready data (dates as ISO strings)."""
        return {
            "agency_code": self.agency_code,
            "agency_name": self.agency_name,
            "purpose": self.purpose,
            "edition": self.edition,
            "legal_basis": self.legal_basis,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
            "live": self.live,
        }

    def period(self) -> str:
        return f"from {self.valid_from} {_since(self.valid_until)}"


@dataclass(frozen=True, slots=True)
class Granted:
    mandate: Mandate
    registered: bool
    """Whether the agency was registered as a government requester by this grant."""


def agency_code(raw: str) -> str:
    """The agency's unified social credit code, or MandateRefused saying what is wrong."""
    code = normalise_identifier(raw)
    try:
        validate_uscc(code)
    except InvalidIdentifier as exc:
        raise MandateRefused(str(exc)) from None
    return code


def _purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise MandateRefused(f"a mandate covers {' or '.join(PURPOSES)}, not {purpose!r}")
    return purpose


def _bounded(text: str, what: str, limit: int) -> str:
    value = text.strip()
    if not value:
        raise MandateRefused(f"{what} must not be empty")
    if len(value) > limit:
        raise MandateRefused(f"{what} is {len(value)} characters; at most {limit}")
    return value


def _since(valid_until: date | None) -> str:
    return "with no end" if valid_until is None else f"until {valid_until} (exclusive)"


async def list_mandates(conn: DatabaseConnection) -> list[Mandate]:
    """Every mandate, live or not, by agency code, purpose and start."""
    return [Mandate(**dict(row)) for row in await conn.fetch(SQL["mandates"], None)]


async def _mandate(conn: DatabaseConnection, mandate_id: int) -> Mandate:
    row = await conn.fetchrow(SQL["mandates"], mandate_id)
    assert row is not None  # written in this same transaction
    return Mandate(**dict(row))


async def _agency_id(conn: DatabaseConnection, code: str, name: str | None) -> tuple[int, bool]:
    """The government requester under `code`, registered under `name` when there is none."""
    rows = await conn.fetch(SQL["requesters_by_code"], code)
    for row in rows:
        if row["role"] != "GOVERNMENT":
            raise MandateRefused(
                f"{code} is registered as a {row['role'].lower()} ({row['name']}), "
                "not a government body: only government bodies hold mandates"
            )
    if rows:
        known = str(rows[0]["name"])
        if name is not None and name != known:
            raise MandateRefused(
                f"{code} is registered as {known!r}; leave out --name or give that name"
            )
        return int(rows[0]["id"]), False
    if name is None:
        raise MandateRefused(
            f"no requester has the code {code}: give --name to register it as a government body"
        )
    new_id = await conn.fetchval(SQL["register_agency"], code, name)
    if new_id is None:
        raise MandateRefused(f"{code} was registered by someone else meanwhile; try again")
    return int(new_id), True


async def grant(
    conn: DatabaseConnection,
    *,
    agency: str,
    purpose: str,
    legal_basis: str,
    name: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> Granted:
    """Give a government body a mandate (registering the body if `name` is given and it is new).

    `valid_from` defaults to today; `valid_until` (the first day it no longer applies) to
    none. Refused, writing nothing: a bad code, a requester that is not a government body,
    an empty or overlong legal basis, a period that ends before it starts, and a period that
    shares a day with another mandate of the same agency for the same purpose.
    """
    code = agency_code(agency)
    purpose = _purpose(purpose)
    basis = _bounded(legal_basis, "the legal basis", MAX_LEGAL_BASIS_CHARS)
    agency_name = None if name is None else _bounded(name, "--name", MAX_AGENCY_NAME_CHARS)
    async with conn.transaction():
        start: date = valid_from or await conn.fetchval(SQL["today"])
        if valid_until is not None and valid_until <= start:
            raise MandateRefused(f"--until {valid_until} must be after --from {start}")
        agency_id, registered = await _agency_id(conn, code, agency_name)
        clash = await conn.fetchrow(SQL["overlapping"], agency_id, purpose, start, valid_until)
        if clash is not None:
            raise MandateRefused(
                f"{code} already holds a {purpose} mandate from {clash['valid_from']} "
                f"{_since(clash['valid_until'])}; end it first (creditgraph mandates end)"
            )
        try:
            mandate_id = await conn.fetchval(
                SQL["insert_mandate"], agency_id, purpose, basis, start, valid_until
            )
        except asyncpg.ExclusionViolationError:
            raise MandateRefused(
                f"{code} was given an overlapping {purpose} mandate meanwhile; list them and retry"
            ) from None
        return Granted(await _mandate(conn, int(mandate_id)), registered)


async def end(
    conn: DatabaseConnection, *, agency: str, purpose: str, on: date | None = None
) -> Mandate:
    """End the agency's mandate for `purpose`: from `on` (default today) it no longer applies.

    The mandate is the one live today or, when none is, the next to begin; ending that one
    before it begins cancels it (it stays on record, never in force). Refused, writing
    nothing: a bad code, no such mandate, an end before today (looks already made under it
    stand) and an end that would lengthen the mandate.
    """
    code = agency_code(agency)
    purpose = _purpose(purpose)
    async with conn.transaction():
        today: date = await conn.fetchval(SQL["today"])
        last = on or today
        if last < today:
            raise MandateRefused(f"--on {last} is in the past: a mandate ends today or later")
        current = await conn.fetchrow(SQL["current_mandate"], code, purpose)
        if current is None:
            raise MandateRefused(f"{code} holds no live or coming {purpose} mandate")
        last = max(last, current["valid_from"])
        if current["valid_until"] is not None and last >= current["valid_until"]:
            raise MandateRefused(
                f"{code}'s {purpose} mandate already ends on {current['valid_until']}"
            )
        await conn.execute(SQL["end_mandate"], current["id"], last)
        return await _mandate(conn, int(current["id"]))
