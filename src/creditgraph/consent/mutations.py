"""Writing consent grants: the checks that keep every grant within what the rules allow.

The gateway decides who may call each mutation (the policy file); these
functions check again from the requester the gateway attests, so a grant can
never be written for someone else, and they enforce the grant's own rules:
a real grantee, a purpose other than SELF, at most 12 months, evidence for a
written authorisation. Every write runs in the gateway's transaction, so it
commits with the request's audit entry or not at all (subgraphs/writing.py).

Only the subject gives consent. A bank's `recordAuthorisation` makes a PENDING
authorisation, which opens nothing: it becomes an ACTIVE grant only when the
subject confirms it from their own session (`confirmAuthorisation`), and the
subject may refuse it instead (`refuseAuthorisation`). So a bank can neither
create access, nor restore what the subject revoked, nor widen a SOCIAL grant
to BANK: each needs the subject's own answer. An organisation answers through
its legal representative, who is then recorded as the grantor.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Final

from creditgraph.bureau.enums import Edition, InquiryPurpose
from creditgraph.bureau.types import MAX_HISTORY_MONTHS
from creditgraph.consent.dataloaders import SQL
from creditgraph.consent.types import ConsentGrant, ConsentState, EligibilityShare
from creditgraph.db.connect import DatabaseConnection
from creditgraph.eligibility import catalogue
from creditgraph.subgraphs import writing
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.errors import BadUserInput, check_identifier, check_range
from creditgraph.subgraphs.records import build_record

GRANTABLE_EDITIONS: Final = frozenset({Edition.BANK, Edition.SOCIAL})
# government bodies act under a mandate, and SELF needs no one's consent
_NOT_BY_CONSENT: Final = frozenset(
    {
        InquiryPurpose.SELF,
        InquiryPurpose.PUBLIC_CREDIT_CHECK,
        InquiryPurpose.JUDICIAL_ENFORCEMENT,
        # a yes/no answer is shared (shareEligibility), never a report
        InquiryPurpose.ELIGIBILITY,
    }
)
_EVIDENCE_LENGTH: Final = (8, 500)


def twelve_months_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def _valid_until(now: datetime, asked: datetime | None) -> datetime:
    cap = twelve_months_after(now)
    if asked is None:
        return cap
    if asked.tzinfo is None:
        raise BadUserInput("validUntil needs a time zone", argument="validUntil")
    if asked <= now:
        raise BadUserInput("validUntil must be in the future", argument="validUntil")
    if asked > cap:
        raise BadUserInput(
            "a consent lasts at most 12 months: validUntil is too late", argument="validUntil"
        )
    return asked


def _data_period(months: int | None) -> int:
    """How far back the grant lets the bank look: all the history the bureau keeps unless said."""
    if months is None:
        return MAX_HISTORY_MONTHS
    return check_range("dataPeriodMonths", months, 1, MAX_HISTORY_MONTHS)


def _grant_id(grant: str) -> uuid.UUID:
    try:
        return uuid.UUID(grant)
    except ValueError:
        raise BadUserInput(f"{grant!r} is not a grant id", argument="id") from None


def _purpose(purpose: InquiryPurpose) -> InquiryPurpose:
    if purpose in _NOT_BY_CONSENT:
        raise BadUserInput(
            f"{purpose.value} is not a purpose consent is given for", argument="purpose"
        )
    return purpose


async def _bank_id(conn: DatabaseConnection, code: str) -> int:
    row = await conn.fetchrow(SQL["requester_by_code"], code, ["BANK"])
    if row is None:
        raise BadUserInput(f"no bank has the code {code}", argument="grantee")
    return int(row["id"])


async def _transaction_time(conn: DatabaseConnection) -> datetime:
    """Now, by the clock a grant's state is read with: the start of the writing transaction.

    In process that transaction is the gateway's, begun before the subgraph was called, so
    a grant dated by this process's clock would start after it and read as not yet valid.
    """
    moment: datetime = await conn.fetchval(SQL["transaction_time"])
    return moment


async def _grant(conn: DatabaseConnection, grant_id: uuid.UUID) -> ConsentGrant:
    row = await conn.fetchrow(SQL["grant_by_id"], grant_id)
    assert row is not None, "a grant just written or checked is there"
    return build_record(ConsentGrant, row)


async def grant_consent(
    context: SubgraphContext,
    grantee: str,
    purpose: InquiryPurpose,
    edition: Edition,
    valid_until: datetime | None,
    data_period_months: int | None = None,
) -> ConsentGrant:
    subject = context.acting_as("SUBJECT")
    if edition not in GRANTABLE_EDITIONS:
        raise BadUserInput("a grant gives the BANK or the SOCIAL edition", argument="edition")
    period = _data_period(data_period_months)
    grant_id = uuid.uuid4()
    async with writing.write(context) as conn:
        now = await _transaction_time(conn)
        until = _valid_until(now, valid_until)
        await conn.execute(
            SQL["insert_grant"],
            grant_id,
            subject.identifier,
            subject.person,
            await _bank_id(conn, grantee.strip().upper()),
            _purpose(purpose).value,
            edition.value,
            now,
            until,
            "SUBJECT",
            None,
            None,
            period,
            "ACTIVE",
        )
        return await _grant(conn, grant_id)


async def revoke_consent(context: SubgraphContext, grant: str) -> ConsentGrant:
    subject = context.acting_as("SUBJECT")
    grant_id = _grant_id(grant)
    async with writing.write(context) as conn:
        await conn.execute(
            SQL["revoke_grant"], grant_id, subject.identifier, datetime.now(UTC), "SUBJECT"
        )
        row = await conn.fetchrow(SQL["grant_by_id"], grant_id)
        if row is None or row["subject_identifier"] != subject.identifier:
            raise BadUserInput(f"you have no grant with id {grant}", argument="id")
        return build_record(ConsentGrant, row)


async def record_authorisation(
    context: SubgraphContext,
    subject: str,
    purpose: InquiryPurpose,
    evidence: str,
    valid_until: datetime | None,
    data_period_months: int | None = None,
) -> ConsentGrant:
    """A PENDING authorisation for the subject to confirm or refuse; it opens nothing itself.

    It is recorded whether or not the bureau knows a subject with the identifier: answering
    otherwise would tell a bank which identity numbers are on file, and an authorisation no
    one can confirm opens nothing and lapses with its validity.
    """
    bank = context.acting_as("BANK")
    identifier = check_identifier(subject, argument="subject")
    shortest, longest = _EVIDENCE_LENGTH
    evidence = evidence.strip()
    if not shortest <= len(evidence) <= longest:
        raise BadUserInput(
            f"evidence must be {shortest} to {longest} characters: a reference to the signed "
            "authorisation, e.g. its hash",
            argument="evidence",
        )
    period = _data_period(data_period_months)
    asked = _purpose(purpose).value
    grant_id = uuid.uuid4()
    async with writing.write(context) as conn:
        now = await _transaction_time(conn)
        until = _valid_until(now, valid_until)
        bank_id = await _bank_id(conn, bank.identifier)
        if await conn.fetchval(SQL["pending_exists"], identifier, bank_id, asked):
            raise BadUserInput(
                f"an authorisation of yours for {asked} already awaits this subject's answer",
                argument="purpose",
            )
        await conn.execute(
            SQL["insert_grant"],
            grant_id,
            identifier,
            identifier,
            bank_id,
            asked,
            Edition.BANK.value,
            now,
            until,
            "GRANTEE",
            bank.operator,
            evidence,
            period,
            "PENDING",
        )
        return await _grant(conn, grant_id)


async def answer_authorisation(
    context: SubgraphContext, grant: str, answer: ConsentState
) -> ConsentGrant:
    """The subject confirms (ACTIVE) or refuses (REFUSED) a bank's pending authorisation.

    Only a PENDING one that has not expired, and only the subject's own: anything else is
    refused with what state it is in, and nothing changes.
    """
    subject = context.acting_as("SUBJECT")
    grant_id = _grant_id(grant)
    async with writing.write(context) as conn:
        changed = await conn.execute(
            SQL["answer_authorisation"],
            grant_id,
            subject.identifier,
            answer.value,
            await _transaction_time(conn),
            subject.person,
        )
        row = await conn.fetchrow(SQL["grant_by_id"], grant_id)
        if row is None or row["subject_identifier"] != subject.identifier:
            raise BadUserInput(f"you have no grant with id {grant}", argument="id")
        if changed == "UPDATE 0":
            raise BadUserInput(
                f"grant {grant} is {row['state']}: only a PENDING authorisation can be answered",
                argument="id",
            )
        return build_record(ConsentGrant, row)


def _share_id(share: str) -> uuid.UUID:
    try:
        return uuid.UUID(share)
    except ValueError:
        raise BadUserInput(f"{share!r} is not a share id", argument="id") from None


def _listed(argument: str, code: str, known: Collection[str]) -> str:
    code = code.strip().upper()
    if code not in known:
        raise BadUserInput(
            f"{argument} must be one of {', '.join(known)}, got {code!r}", argument=argument
        )
    return code


async def _share(conn: DatabaseConnection, share_id: uuid.UUID) -> EligibilityShare:
    row = await conn.fetchrow(SQL["share_by_id"], share_id)
    assert row is not None, "a share just written or checked is there"
    return build_record(EligibilityShare, row)


async def share_eligibility(
    context: SubgraphContext,
    requester: str,
    predicate: str,
    purpose: str,
    valid_until: datetime | None,
) -> EligibilityShare:
    """The subject lets one institution ask one predicate for one purpose until validUntil.

    One live share per institution, predicate and purpose: a second is refused until the
    first is withdrawn or has expired, so what is live is always one row to read.
    """
    subject = context.acting_as("SUBJECT")
    known = catalogue.shipped()
    code = _listed("predicate", predicate, list(known.predicates))
    reason = _listed("purpose", purpose, list(known.purposes))
    share_id = uuid.uuid4()
    async with writing.write(context) as conn:
        now = await _transaction_time(conn)
        until = _valid_until(now, valid_until)
        row = await conn.fetchrow(
            SQL["requester_by_code"], requester.strip().upper(), ["BANK", "GOVERNMENT"]
        )
        if row is None:
            raise BadUserInput(
                f"no institution has the code {requester.strip()}", argument="requester"
            )
        if await conn.fetchval(
            SQL["live_share_exists"], subject.identifier, row["id"], code, reason
        ):
            raise BadUserInput(
                f"{code} is already shared with {row['name']} for {reason}: withdraw that "
                "share first",
                argument="predicate",
            )
        await conn.execute(
            SQL["insert_share"],
            share_id,
            subject.identifier,
            subject.person,
            row["id"],
            code,
            reason,
            now,
            until,
        )
        return await _share(conn, share_id)


async def withdraw_eligibility(context: SubgraphContext, share: str) -> EligibilityShare:
    """The subject withdraws a live share: from this moment it answers nothing."""
    subject = context.acting_as("SUBJECT")
    share_id = _share_id(share)
    async with writing.write(context) as conn:
        changed = await conn.execute(
            SQL["withdraw_share"], share_id, subject.identifier, await _transaction_time(conn)
        )
        row = await conn.fetchrow(SQL["share_by_id"], share_id)
        if row is None or row["subject_identifier"] != subject.identifier:
            raise BadUserInput(f"you have no share with id {share}", argument="id")
        if changed == "UPDATE 0":
            raise BadUserInput(
                f"share {share} is {row['state']}: only an ACTIVE share can be withdrawn",
                argument="id",
            )
        return build_record(EligibilityShare, row)
