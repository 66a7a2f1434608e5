"""One path: the demo seed's records, furnished, make the same database as the seed.

The seed writes its accounts, repayment months and public records straight into their tables,
at the speed a demo needs. This test holds it to the furnishing path: it exports every record
the seed wrote that a furnisher reports (accounts with their parties, monthly statements, the
courts' and agencies' records) as the furnishers would send them, each by the institution the
seed says made it, furnishes them into a fresh database through the pipeline a batch file
takes, and compares the tables the two give, row for row. So whatever the seed writes, a
furnisher could have written: the checks accept all of it, and the merge makes the same rows.

What no furnisher reports is copied as it is: the register of institutions and the subjects'
identity data (the seed's people and firms, which an account's record only names). The seed
keeps no day on which a subject was told of negative information, which a furnisher must give:
the export gives each negative record its own first day (a month its first day, an account its
data date, a case the day it was filed). The furnishing path's own books (submissions, keys,
notices) are what the seed lacks by design, and are not compared.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final

import asyncpg

from creditgraph.furnishing.kinds import public_book, record_kinds
from creditgraph.furnishing.pipeline import OnRejection, Rejection, furnish
from creditgraph.requester import Furnisher

#: Copied, not furnished: what no furnisher reports.
REGISTERS: Final = ("bureau.institutions", "bureau.subjects")

ACCOUNTS = """
select i.code as furnisher, a.*,
       b.identifier as borrower_identifier, b.name as borrower_name,
       cb.identifier as co_borrower_identifier, cb.name as co_borrower_name
from bureau.credit_accounts a
join bureau.institutions i on i.id = a.lender_id
join bureau.account_parties bp on bp.account_id = a.id and bp.role = 'PRIMARY_BORROWER'
join bureau.subjects b on b.id = bp.subject_id
left join bureau.account_parties cp on cp.account_id = a.id and cp.role = 'CO_BORROWER'
left join bureau.subjects cb on cb.id = cp.subject_id
order by a.id
"""
STATEMENTS = """
select i.code as furnisher, a.account_number, r.*
from bureau.repayments r
join bureau.credit_accounts a on a.id = r.account_id
join bureau.institutions i on i.id = a.lender_id
order by a.id, r.month
"""
ACCOUNT_FIELDS: Final = {
    "accountNumber": "account_number",
    "accountType": "kind",
    "purpose": "purpose",
    "currency": "currency",
    "principal": "principal",
    "creditLimit": "credit_limit",
    "balance": "balance",
    "termMonths": "term_months",
    "repaymentMethod": "repayment_method",
    "collateral": "collateral",
    "openedOn": "opened_on",
    "maturesOn": "matures_on",
    "closedOn": "closed_on",
    "status": "status",
    "classification": "classification",
    "reportedOn": "reported_on",
    "borrowerIdentifier": "borrower_identifier",
    "borrowerName": "borrower_name",
    "coBorrowerIdentifier": "co_borrower_identifier",
    "coBorrowerName": "co_borrower_name",
}
STATEMENT_FIELDS: Final = {
    "accountNumber": "account_number",
    "status": "status",
    "amountDue": "amount_due",
    "amountPaid": "amount_paid",
    "overdueAmount": "overdue_amount",
    "balance": "balance",
}
#: The day each public record's subject is taken to have been told of it: its own first date.
NOTIFIED: Final = {
    "ENFORCEMENT_CASE": "filed_on",
    "DISHONEST_LISTING": "published_on",
    "CONSUMPTION_RESTRICTION": "issued_on",
    "ADMINISTRATIVE_ACTION": "decided_on",
    "TAX_ARREAR": "recorded_on",
    "LIST_ENTRY": "notice_starts_on",
}

#: The tables the furnishing path writes, each compared without its surrogate keys: an
#: account by its lender and number, a month by its account's, a party by identifier.
COMPARED: Final = {
    "bureau.subjects": "select to_jsonb(s) - 'created_at' from bureau.subjects s",
    "bureau.credit_accounts": """
        select to_jsonb(a) - 'id' - 'lender_id' || jsonb_build_object('lender', i.code)
        from bureau.credit_accounts a join bureau.institutions i on i.id = a.lender_id""",
    "bureau.account_parties": """
        select jsonb_build_object('lender', i.code, 'account', a.account_number,
                                  'subject', s.identifier, 'role', p.role)
        from bureau.account_parties p
        join bureau.credit_accounts a on a.id = p.account_id
        join bureau.institutions i on i.id = a.lender_id
        join bureau.subjects s on s.id = p.subject_id""",
    "bureau.repayments": """
        select to_jsonb(r) - 'account_id'
               || jsonb_build_object('lender', i.code, 'account', a.account_number)
        from bureau.repayments r
        join bureau.credit_accounts a on a.id = r.account_id
        join bureau.institutions i on i.id = a.lender_id""",
    **{
        book["table"]: f"select to_jsonb(t) - 'id' from {book['table']} t"
        for book in json.loads(public_book()).values()
    },
}


def _value(value: object) -> object:
    """A column's value as a furnishing line carries it: amounts and dates as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _record(kind: str, row: asyncpg.Record, fields: Mapping[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {"kind": kind}
    for field, column in fields.items():
        if row[column] is not None:
            record[field] = _value(row[column])
    return record


async def exported(seeded: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every record the seed wrote that a furnisher reports, by furnisher, in the order a
    furnisher sends them: accounts, then their months in order, then public records."""
    lines: dict[str, list[dict[str, Any]]] = {}
    for row in await seeded.fetch(ACCOUNTS):
        record = _record("ACCOUNT", row, ACCOUNT_FIELDS)
        if row["status"] in ("OVERDUE", "BAD_DEBT"):
            record["subjectNotifiedOn"] = _value(row["reported_on"])
        lines.setdefault(row["furnisher"], []).append(record)
    for row in await seeded.fetch(STATEMENTS):
        record = _record("STATEMENT", row, STATEMENT_FIELDS)
        record["period"] = row["month"].strftime("%Y-%m")
        if row["status"] in "1234567":
            record["subjectNotifiedOn"] = _value(row["month"])
        lines.setdefault(row["furnisher"], []).append(record)
    kinds = record_kinds()
    for kind, book in json.loads(public_book()).items():
        fields = dict(book["columns"])
        code = book["furnisherColumns"]["code"]
        rows = await seeded.fetch(f"select * from {book['table']} order by id")
        for row in rows:
            record = _record(kind, row, fields)
            record["key"] = f"{kind}-{row['id']}"
            if "subjectNotifiedOn" in kinds[kind].schema["properties"]:
                record["subjectNotifiedOn"] = _value(row[NOTIFIED[kind]])
            lines.setdefault(row[code], []).append(record)
    return lines


def collecting(into: list[Rejection]) -> OnRejection:
    async def heard(rejection: Rejection) -> None:
        into.append(rejection)

    return heard


async def _lines(records: list[dict[str, Any]]) -> AsyncIterator[tuple[int, str]]:
    for number, record in enumerate(records, start=1):
        yield number, json.dumps(record)


async def contents(conn: asyncpg.Connection, sql: str) -> list[str]:
    return sorted(json.dumps(row[0], sort_keys=True) for row in await conn.fetch(sql))


async def test_the_seed_furnished_makes_the_same_database(
    seeded_database_url: str, database_url: str
) -> None:
    seeded = await asyncpg.connect(seeded_database_url)
    fresh = await asyncpg.connect(database_url)
    try:
        for table in REGISTERS:
            rows = await seeded.fetch(f"select * from {table} order by id")
            await fresh.copy_records_to_table(
                table.split(".")[1], schema_name="bureau", records=[tuple(r) for r in rows]
            )
        batches = await exported(seeded)
        assert {kind for records in batches.values() for kind in (r["kind"] for r in records)} == (
            set(record_kinds())
        ), "the seed writes every kind a furnisher reports"
        for code, records in batches.items():
            rejected: list[Rejection] = []
            summary = await furnish(
                fresh,
                Furnisher(code, "one-path test"),
                _lines(records),
                channel="FILE",
                request_id=f"one-path-{code}",
                on_rejection=collecting(rejected),
            )
            assert [(records[r.line - 1], r.field, r.reason) for r in rejected[:5]] == [], (
                f"{code}: {summary.rejected} of {summary.lines} lines refused"
            )
            assert summary.accepted == len(records)
        for table, sql in COMPARED.items():
            furnished = await contents(fresh, sql)
            assert furnished, f"{table}: the seed writes some"
            assert furnished == await contents(seeded, sql), table
    finally:
        await seeded.close()
        await fresh.close()
