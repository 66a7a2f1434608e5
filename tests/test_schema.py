"""The data model's own guarantees: constraints reject what the domain forbids.

Each test tries to store something a real bureau must never hold and checks
the database itself refuses it, whatever code path wrote it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest

from creditgraph.identifiers import make_resident_id, make_uscc

HUSBAND = make_resident_id("110105", date(1985, 3, 14), 13)
WIFE = make_resident_id("110105", date(1987, 7, 2), 24)
OTHER = make_resident_id("330106", date(1990, 1, 1), 35)
BANK = make_uscc("9", "1", "110000", "MA0000001")


async def _person(db: asyncpg.Connection, identifier: str, name: str) -> int:
    return int(
        await db.fetchval(
            "insert into bureau.subjects (kind, identifier, name, birth_date, gender) "
            "values ('PERSON', $1, $2, common.resident_id_birth_date($1), "
            "case substr($1, 17, 1)::int % 2 when 1 then 'M' else 'F' end) returning id",
            identifier,
            name,
        )
    )


async def _bank(db: asyncpg.Connection) -> int:
    return int(
        await db.fetchval(
            "insert into bureau.institutions (code, name, kind) values ($1, 'Test Bank', 'BANK') "
            "returning id",
            BANK,
        )
    )


async def _mortgage(db: asyncpg.Connection, lender: int) -> int:
    return int(
        await db.fetchval(
            "insert into bureau.credit_accounts (lender_id, account_number, kind, purpose,"
            " principal, balance, term_months, opened_on, status, reported_on) values"
            " ($1, 'M-0001', 'MORTGAGE', 'HOME', 1200000.00, 980000.00, 360, '2019-05-01',"
            " 'NORMAL', '2026-10-31') returning id",
            lender,
        )
    )


async def test_invalid_identifiers_are_refused(db: asyncpg.Connection) -> None:
    bad_check = HUSBAND[:-1] + ("0" if HUSBAND[-1] != "0" else "1")
    with pytest.raises(asyncpg.CheckViolationError, match="person_identity"):
        await _person(db, bad_check, "Bad Check")
    with pytest.raises(asyncpg.CheckViolationError, match="institutions_code_check"):
        await db.execute(
            "insert into bureau.institutions (code, name, kind)"
            " values ('91110000600037341X', 'x y', 'BANK')"
        )
    with pytest.raises(asyncpg.CheckViolationError, match="subject_identifier_check"):
        await db.execute(
            "insert into public_records.tax_arrears (subject_identifier, subject_name,"
            " authority_code, authority_name, tax_type, amount, period_start, period_end,"
            " recorded_on) values"
            " ('123', 'x', $1, 'y', 'VAT', 1, '2020-01-01', '2020-12-31', '2021-01-01')",
            BANK,
        )


async def test_a_persons_birth_date_and_gender_must_match_the_identifier(
    db: asyncpg.Connection,
) -> None:
    with pytest.raises(asyncpg.CheckViolationError, match="person_identity"):
        await db.execute(
            "insert into bureau.subjects (kind, identifier, name, birth_date, gender) "
            "values ('PERSON', $1, 'Wrong Gender', '1985-03-14', 'F')",
            HUSBAND,
        )


async def test_joint_account_belongs_to_both_spouses(db: asyncpg.Connection) -> None:
    husband, wife = await _person(db, HUSBAND, "Zhang Wei"), await _person(db, WIFE, "Li Na")
    account = await _mortgage(db, await _bank(db))
    await db.execute(
        "insert into bureau.account_parties"
        " values ($1, $2, 'PRIMARY_BORROWER'), ($1, $3, 'CO_BORROWER')",
        account,
        husband,
        wife,
    )
    for subject in (husband, wife):
        held = await db.fetchval(
            "select array_agg(account_id) from bureau.account_parties where subject_id = $1",
            subject,
        )
        assert held == [account]
    other = await _person(db, OTHER, "Wang Fang")
    with pytest.raises(asyncpg.UniqueViolationError, match="one_primary"):
        await db.execute(
            "insert into bureau.account_parties values ($1, $2, 'PRIMARY_BORROWER')", account, other
        )


async def test_nobody_is_married_twice_at_once(db: asyncpg.Connection) -> None:
    husband, wife = await _person(db, HUSBAND, "Zhang Wei"), await _person(db, WIFE, "Li Na")
    other = await _person(db, OTHER, "Wang Fang")

    async def marry(a: int, b: int, start: str, end: str | None) -> None:
        row = await db.fetchrow(
            "insert into bureau.marriages (started_on, ended_on, end_reason) values"
            " ($1::text::date, $2::text::date, case when $2 is null then null else 'DIVORCE' end)"
            " returning id, during",
            start,
            end,
        )
        assert row is not None
        marriage, during = row["id"], row["during"]
        await db.execute(
            "insert into bureau.marriage_partners values ($1, $2, $4), ($1, $3, $4)",
            marriage,
            a,
            b,
            during,
        )

    await marry(husband, other, "2010-05-01", "2014-02-01")
    await marry(husband, wife, "2015-06-01", None)
    with pytest.raises(asyncpg.ExclusionViolationError):
        await marry(wife, other, "2020-01-01", None)


async def test_money_is_exact(db: asyncpg.Connection) -> None:
    account = await _mortgage(db, await _bank(db))
    await db.execute(
        "insert into bureau.repayments values ($1, '2026-09-01', 'N', 0.10, 0.20, 0, 979999.70)",
        account,
    )
    total = await db.fetchval(
        "select amount_due + amount_paid from bureau.repayments where account_id = $1", account
    )
    assert total == Decimal("0.30")


async def test_repayment_status_symbols_and_overdue_amounts_agree(db: asyncpg.Connection) -> None:
    account = await _mortgage(db, await _bank(db))
    insert = "insert into bureau.repayments values ($1, $2, $3, 100, $4, $5, 1000)"
    await db.execute(insert, account, date(2026, 8, 1), "2", Decimal(0), Decimal(200))
    with pytest.raises(asyncpg.CheckViolationError):  # not a symbol of the grid
        await db.execute(insert, account, date(2026, 9, 1), "X", Decimal(100), Decimal(0))
    with pytest.raises(asyncpg.CheckViolationError, match="overdue_status_has_amount"):
        await db.execute(insert, account, date(2026, 9, 1), "3", Decimal(0), Decimal(0))
    with pytest.raises(asyncpg.CheckViolationError):  # months are first days
        await db.execute(insert, account, date(2026, 9, 15), "N", Decimal(100), Decimal(0))


async def test_closed_accounts_are_settled(db: asyncpg.Connection) -> None:
    lender = await _bank(db)
    insert = (
        "insert into bureau.credit_accounts (lender_id, account_number, kind, credit_limit,"
        " balance, opened_on, closed_on, status, reported_on) values"
        " ($1, 'C-0001', 'CREDIT_CARD', 5000, $2, '2020-01-01', $3, 'CLOSED', '2026-10-31')"
    )
    with pytest.raises(asyncpg.CheckViolationError, match="closed_has_date"):
        await db.execute(insert, lender, Decimal(0), None)
    with pytest.raises(asyncpg.CheckViolationError, match="closed_is_settled"):
        await db.execute(insert, lender, Decimal(10), date(2025, 1, 1))
    await db.execute(insert, lender, Decimal(0), date(2025, 1, 1))


async def test_consent_grants_are_capped_at_twelve_months(db: asyncpg.Connection) -> None:
    bank = await db.fetchval(
        "insert into gateway.requesters (role, identifier, name) values ('BANK', $1, 'Test Bank') "
        "returning id",
        BANK,
    )
    insert = (
        "insert into gateway.consent_grants (id, subject_identifier, grantor_identifier,"
        " grantee_id, purpose, edition, valid_from, valid_until, recorded_via)"
        " values (gen_random_uuid(), $1, $1, $2, 'LOAN_APPROVAL', 'BANK',"
        " '2026-03-01T00:00Z', '2026-03-01T00:00Z'::timestamptz + $3::interval, 'SUBJECT')"
    )
    await db.execute(insert, HUSBAND, bank, timedelta(days=365))
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(insert, HUSBAND, bank, timedelta(days=366))


async def test_audit_log_is_append_only(db: asyncpg.Connection) -> None:
    await db.execute(
        "insert into gateway.audit_log (request_id, decision, prev_hash, hash)"
        " values ('r1', 'ALLOWED', $1, $2)",
        bytes(32),
        bytes(range(32)),
    )
    for statement in (
        "update gateway.audit_log set decision = 'DENIED'",
        "delete from gateway.audit_log",
        "truncate gateway.audit_log",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute(statement)
    assert await db.fetchval("select count(*) from gateway.audit_log") == 1


ACCESS_PATHS = {
    # table: the leading column an index must start with
    "bureau.phones": "subject_id",
    "bureau.addresses": "subject_id",
    "bureau.employments": "subject_id",
    "bureau.educations": "subject_id",
    "bureau.marriage_partners": "subject_id",
    "bureau.account_parties": "subject_id",
    "bureau.repayments": "account_id",
    "bureau.guarantees": "guarantor_id",
    "bureau.disputes": "subject_id",
    "bureau.statements": "subject_id",
    "bureau.fraud_alerts": "subject_id",
    "bureau.subjects": "identifier",
    "public_records.enforcement_cases": "subject_identifier",
    "public_records.dishonest_listings": "subject_identifier",
    "public_records.consumption_restrictions": "subject_identifier",
    "public_records.administrative_actions": "subject_identifier",
    "public_records.tax_arrears": "subject_identifier",
    "public_records.list_entries": "subject_identifier",
    "scores.observations": "subject_identifier",
    "gateway.inquiries": "subject_identifier",
    "gateway.consent_grants": "subject_identifier",
}


async def test_every_access_path_has_an_index(db: asyncpg.Connection) -> None:
    rows = await db.fetch(
        """
        select n.nspname || '.' || t.relname as table_name, a.attname as leading_column
        from pg_index i
        join pg_class t on t.oid = i.indrelid
        join pg_namespace n on n.oid = t.relnamespace
        join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
        where i.indpred is null  -- a partial index does not serve every read
        """
    )
    indexed = {(r["table_name"], r["leading_column"]) for r in rows}
    missing = {t: c for t, c in ACCESS_PATHS.items() if (t, c) not in indexed}
    assert missing == {}
