"""Deciding the edition: which report a requester gets of a subject, for a purpose.

The rules (docs/domain.md, "Who may see what"):
- the subject themself gets SUBJECT, recorded as a SELF look;
- a bank gets the edition of a live grant from the subject for (bank,
  purpose); for post-loan management it needs none when it already holds an
  open account with the subject that the subject authorised it to check them
  for before the credit was made (the application's authorisation covers the
  loan's management; an account the bank merely reports opens nothing);
- a subject may be granted another subject's report the same way;
- a government body gets GOVERNMENT when a mandate covers the purpose;
- anyone else gets nothing (CONSENT_REQUIRED).
Only ACTIVE grants count: a bank's recorded authorisation is PENDING until the
subject confirms it. Revocation and expiry are read from the database on every
request, so they take effect on the very next one. A grant's data period
travels with the entitlement, so the history a look returns stays within it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncpg

from creditgraph.db.connect import DatabaseConnection
from creditgraph.db.queries import load_queries
from creditgraph.requester import Requester, Unauthenticated

SQL = load_queries(Path(__file__).with_name("queries.sql"))

SELF = "SELF"
POST_LOAN = "POST_LOAN_MANAGEMENT"


@dataclass(frozen=True, slots=True)
class Entitlement:
    """A requester's own right to one subject's report, and what it rests on."""

    edition: str
    purpose: str
    grant_id: uuid.UUID | None = None
    mandate_id: int | None = None
    data_period_months: int | None = None
    """How many months back the grant lets its holder look; None: no limit but the data's.
    The policy layer fetches under it on behalf of the requester carrying it
    (`Requester.history_months`), which caps every history argument of every fetch
    (`repayments(months:)`, `repaymentGrid(months:)`) and its default, and bounds the
    records answered (a record whose dated life ended before the period is not)."""
    data_period_starts_on: date | None = None
    """The first day of that period, by the database's clock (common.period_starts_on): the
    answer names it, so a requester knows why its lists stop where they do."""


@dataclass(frozen=True, slots=True)
class KnownRequester:
    """The requester as the gateway's records know it (None id: an unknown institution)."""

    requester: Requester
    id: int | None
    name: str | None


async def confirm(conn: DatabaseConnection, requester: Requester) -> None:
    """Check the claims of a token that only the database can check; Unauthenticated if one fails.

    The one such claim is an organisation's representative: the person a token names must be
    its legal representative today (the bureau's principals). The token is genuine, but who it
    says is acting cannot act for that file otherwise. Every way in that takes a token
    (`/graphql` through `known_requester`, `/live`) checks it here before acting on it.
    """
    if requester.representative is not None and not await conn.fetchval(
        SQL["legal_representative"], requester.identifier, requester.representative
    ):
        raise Unauthenticated(
            "token refused: its representative is not the organisation's legal representative"
        )


async def known_requester(conn: DatabaseConnection, requester: Requester) -> KnownRequester:
    """The requester's record, once its claims are confirmed (`confirm`); a subject signing in
    for the first time is enrolled under the bureau's name."""
    await confirm(conn, requester)
    row = await conn.fetchrow(SQL["requester"], requester.role, requester.identifier)
    if row is None and requester.role == "SUBJECT":
        await conn.execute(SQL["enrol_subject"], requester.identifier)
        row = await conn.fetchrow(SQL["requester"], requester.role, requester.identifier)
    if row is None:
        return KnownRequester(requester, None, None)
    return KnownRequester(requester, int(row["id"]), str(row["name"]))


@dataclass(frozen=True, slots=True)
class LiveGrant:
    """A grant from a subject to the requester for one purpose that is live now (ACTIVE and
    within its validity, on the database's clock), as `decide` reads it."""

    id: uuid.UUID
    edition: str
    valid_until: datetime
    data_period_months: int | None
    data_period_starts_on: date | None = None


def entitlement(
    who: KnownRequester,
    subject: str,
    purpose: str,
    *,
    grants: Sequence[LiveGrant] = (),
    mandate: int | None = None,
    lends: bool = False,
) -> Entitlement | None:
    """The decision table for one subject, from the facts read about it: the requester's
    live `grants` from the subject for `purpose`, the requester's `mandate` for it (a
    government body's), and whether the requester `lends` to the subject (an open account
    the subject authorised when it was made: gateway.post_loan_lending).

    Pure, so that the table can be read and tested apart from how the facts are read.
    With several live grants the one that shows most is used: BANK before SOCIAL, then the
    longest-lived.
    """
    requester = who.requester
    if requester.role == "SUBJECT" and requester.identifier == subject:
        return Entitlement("SUBJECT", SELF)
    if who.id is None or purpose == SELF:
        return None  # an unknown institution, or another's report asked for as one's own
    if requester.role == "GOVERNMENT":
        return None if mandate is None else Entitlement("GOVERNMENT", purpose, mandate_id=mandate)
    if grants:
        best = min(
            grants, key=lambda grant: (grant.edition != "BANK", -grant.valid_until.timestamp())
        )
        return Entitlement(
            best.edition,
            purpose,
            grant_id=best.id,
            data_period_months=best.data_period_months,
            data_period_starts_on=best.data_period_starts_on,
        )
    if requester.role == "BANK" and purpose == POST_LOAN and lends:
        return Entitlement("BANK", purpose)
    return None


async def decide(
    conn: DatabaseConnection, who: KnownRequester, identifiers: Sequence[str], purpose: str
) -> dict[str, Entitlement]:
    """Each subject the requester is entitled to see for `purpose`; the others are absent.

    Reads only the facts the table (`entitlement`) can use for this requester and purpose:
    a government body's mandate, else the live grants, and a bank's open accounts for
    post-loan management with the subjects no grant opens, each counted only when the
    subject authorised the bank before the credit began.
    """
    requester = who.requester
    others = _others(requester, identifiers)
    grants: dict[str, list[LiveGrant]] = {}
    if others and who.id is not None and _by_grants(requester, purpose):
        rows = await conn.fetch(
            SQL["live_grants"], requester.role, requester.identifier, others, purpose
        )
        grants = _grants(rows)
    return await _decided(conn, who, identifiers, purpose, grants)


async def known_and_decided(
    conn: DatabaseConnection, requester: Requester, identifiers: Sequence[str], purpose: str
) -> tuple[KnownRequester, dict[str, Entitlement]]:
    """`known_requester`, then `decide` for `identifiers` and `purpose`, as one would call
    them in turn; in one round trip where the decision rests on live grants alone (a look
    by a bank or a subject at others, for a purpose but post-loan management), since the
    grants are read with the requester's record.

    A token naming a representative is confirmed first, and a requester not on record (a
    subject signing in for the first time, an unknown institution) goes the long way,
    so `known_requester` enrols or refuses it as ever.
    """
    others = _others(requester, identifiers)
    if requester.representative is None and others and _by_grants(requester, purpose):
        rows = await conn.fetch(
            SQL["live_grants"], requester.role, requester.identifier, others, purpose
        )
        if rows:
            first = rows[0]
            who = KnownRequester(
                requester, int(first["requester_id"]), str(first["requester_name"])
            )
            return who, await _decided(conn, who, identifiers, purpose, _grants(rows))
    who = await known_requester(conn, requester)
    return who, await decide(conn, who, identifiers, purpose)


def _others(requester: Requester, identifiers: Sequence[str]) -> list[str]:
    """The subjects of `identifiers` that are not the requester themself, once each."""
    return [
        item
        for item in dict.fromkeys(identifiers)
        if not (requester.role == "SUBJECT" and item == requester.identifier)
    ]


def _by_grants(requester: Requester, purpose: str) -> bool:
    """Whether the requester's looks at others for `purpose` rest on grants (a government
    body's rest on its mandates; a look as one's own report on nothing but being oneself)."""
    return purpose != SELF and requester.role != "GOVERNMENT"


def _grants(rows: Sequence[asyncpg.Record]) -> dict[str, list[LiveGrant]]:
    """The live grants of `live_grants`' rows, by the subject who made them."""
    grants: dict[str, list[LiveGrant]] = {}
    for row in rows:
        if row["id"] is not None:
            grants.setdefault(row["subject_identifier"], []).append(
                LiveGrant(
                    row["id"],
                    row["edition"],
                    row["valid_until"],
                    row["data_period_months"],
                    row["data_period_starts_on"],
                )
            )
    return grants


async def _decided(
    conn: DatabaseConnection,
    who: KnownRequester,
    identifiers: Sequence[str],
    purpose: str,
    grants: Mapping[str, list[LiveGrant]],
) -> dict[str, Entitlement]:
    """The table applied to each subject, with `grants` already read and the other facts
    (a government body's mandate, a bank's post-loan lending) read here when they count."""
    requester = who.requester
    subjects = list(dict.fromkeys(identifiers))
    others = _others(requester, subjects)
    mandate: int | None = None
    lending: set[str] = set()
    if others and who.id is not None and purpose != SELF:
        if requester.role == "GOVERNMENT":
            mandate = await conn.fetchval(SQL["mandate"], who.id, purpose)
        elif requester.role == "BANK" and purpose == POST_LOAN:
            rest = [item for item in others if item not in grants]
            rows = await conn.fetch(SQL["post_loan_lending"], rest, requester.identifier)
            lending = {row["subject_identifier"] for row in rows}
    found: dict[str, Entitlement] = {}
    for subject in subjects:
        decided = entitlement(
            who,
            subject,
            purpose,
            grants=grants.get(subject, ()),
            mandate=mandate,
            lends=subject in lending,
        )
        if decided is not None:
            found[subject] = decided
    return found
