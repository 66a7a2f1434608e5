"""The authorisation a subject gave a lender when applying for credit, as a test's setup.

Post-loan management rests on it (gateway.post_loan_lending), and it is dated before the
account opened: a date the product cannot give a grant it records, since every grant begins
when it is made. So tests that furnish an account dated in the past and then manage it
record the application's authorisation here, as the bank's confirmed written one.
"""

from __future__ import annotations

from datetime import date

import asyncpg


async def authorised_application(
    pool: asyncpg.Pool,
    subject: str,
    bank: str,
    purpose: str,
    given: date,
    *,
    revoked: date | None = None,
) -> None:
    """`subject`'s authorisation of `bank` for `purpose`, recorded by the bank on `given`,
    confirmed by the subject the same day, live 90 days; revoked by them on `revoked`."""
    await pool.execute(
        """
        insert into gateway.consent_grants
            (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
             valid_from, valid_until, recorded_via, recorded_by, evidence, created_at,
             answered_at, status, revoked_at, revocation_channel)
        select gen_random_uuid(), $1, $1, r.id, $3, 'BANK', $4::date, $4::date + 90,
               'GRANTEE', 'loan officer', 'signed application form', $4::date, $4::date,
               case when $5::date is null then 'ACTIVE' else 'REVOKED' end, $5::date,
               case when $5::date is null then null else 'SUBJECT' end
        from gateway.requesters r where r.role = 'BANK' and r.identifier = $2
        """,
        subject,
        bank,
        purpose,
        given,
        revoked,
    )
