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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
    (`repayments(months:)`, `repaymentGrid(months:)`) and its default."""


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
            best.edition, purpose, grant_id=best.id, data_period_months=best.data_period_months
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
    subjects = list(dict.fromkeys(identifiers))
    others = [
        item
        for item in subjects
        if not (requester.role == "SUBJECT" and item == requester.identifier)
    ]
    grants: dict[str, list[LiveGrant]] = {}
    mandate: int | None = None
    lending: set[str] = set()
    if others and who.id is not None and purpose != SELF:
        if requester.role == "GOVERNMENT":
            mandate = await conn.fetchval(SQL["mandate"], who.id, purpose)
        else:
            for row in await conn.fetch(SQL["live_grants"], others, who.id, purpose):
                grants.setdefault(row["subject_identifier"], []).append(
                    LiveGrant(
                        row["id"], row["edition"], row["valid_until"], row["data_period_months"]
                    )
                )
            if requester.role == "BANK" and purpose == POST_LOAN:
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
