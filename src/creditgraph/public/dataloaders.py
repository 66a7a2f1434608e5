"""The public subgraph's batch functions: one statement per kind of record per request.

Each function answers a dataloader batch (see `SubgraphContext.loader`) keyed
by subject identifier, as the courts and agencies key their records; the
statements are in queries.sql beside this file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TypeAlias

import asyncpg

from creditgraph.db.queries import load_queries
from creditgraph.subgraphs.batching import rows_per_key
from creditgraph.subgraphs.context import DatedBatchFunction, Statements
from creditgraph.subgraphs.records import Row

SQL = load_queries(Path(__file__).with_name("queries.sql"))
# every kind of public record is dated: read under the request's data period
Batch: TypeAlias = DatedBatchFunction[str, list[Row]]
KEY = "subject_identifier"


async def enforcement_cases(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["enforcement_cases_by_subject"], identifiers, KEY, months)


async def dishonest_listings(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["dishonest_listings_by_subject"], identifiers, KEY, months)


async def consumption_restrictions(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    sql = SQL["consumption_restrictions_by_subject"]
    return await rows_per_key(db, sql, identifiers, "bound_identifier", months)


async def administrative_actions(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(
        db, SQL["administrative_actions_by_subject"], identifiers, KEY, months
    )


async def tax_arrears(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["tax_arrears_by_subject"], identifiers, KEY, months)


async def list_entries(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["list_entries_by_subject"], identifiers, KEY, months)


async def civil_judgments(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["civil_judgments_by_subject"], identifiers, KEY, months)


async def utility_arrears(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["utility_arrears_by_subject"], identifiers, KEY, months)


async def social_insurance(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["social_insurance_by_subject"], identifiers, KEY, months)


async def housing_fund(
    db: Statements, months: int | None, identifiers: list[str]
) -> list[list[Row]]:
    return await rows_per_key(db, SQL["housing_fund_by_subject"], identifiers, KEY, months)


async def licences(db: Statements, months: int | None, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["licences_by_subject"], identifiers, KEY, months)


async def notice_recipients(db: Statements, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["notice_recipients_by_subject"], identifiers, KEY)


async def list_objections(db: Statements, entry_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["list_objections_by_entry"], entry_ids, "entry_id")


async def repair_applications(db: Statements, entry_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["repair_applications_by_entry"], entry_ids, "entry_id")


async def subjects_coming_into_force(pool: asyncpg.Pool, day: date) -> list[str]:
    """The subjects with a list entry that takes effect on `day` by its dates alone."""
    rows = await pool.fetch(SQL["subjects_coming_into_force"], day)
    return [str(row["subject_identifier"]) for row in rows]


async def today(conn: asyncpg.Pool | asyncpg.Connection) -> date:
    """The bureau's day (common.today()): the one clock the records' reads compare with."""
    day: date = await conn.fetchval(SQL["today"])
    return day
