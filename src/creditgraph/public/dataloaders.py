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
from creditgraph.subgraphs.context import BatchFunction
from creditgraph.subgraphs.records import Row

SQL = load_queries(Path(__file__).with_name("queries.sql"))
Batch: TypeAlias = BatchFunction[str, list[Row]]
KEY = "subject_identifier"


async def enforcement_cases(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["enforcement_cases_by_subject"], identifiers, KEY)


async def dishonest_listings(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["dishonest_listings_by_subject"], identifiers, KEY)


async def consumption_restrictions(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    sql = SQL["consumption_restrictions_by_subject"]
    return await rows_per_key(pool, sql, identifiers, "bound_identifier")


async def administrative_actions(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["administrative_actions_by_subject"], identifiers, KEY)


async def tax_arrears(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["tax_arrears_by_subject"], identifiers, KEY)


async def list_entries(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["list_entries_by_subject"], identifiers, KEY)


async def civil_judgments(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["civil_judgments_by_subject"], identifiers, KEY)


async def utility_arrears(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["utility_arrears_by_subject"], identifiers, KEY)


async def social_insurance(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["social_insurance_by_subject"], identifiers, KEY)


async def housing_fund(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["housing_fund_by_subject"], identifiers, KEY)


async def licences(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["licences_by_subject"], identifiers, KEY)


async def notice_recipients(pool: asyncpg.Pool, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["notice_recipients_by_subject"], identifiers, KEY)


async def list_objections(pool: asyncpg.Pool, entry_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["list_objections_by_entry"], entry_ids, "entry_id")


async def repair_applications(pool: asyncpg.Pool, entry_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(pool, SQL["repair_applications_by_entry"], entry_ids, "entry_id")


async def subjects_coming_into_force(pool: asyncpg.Pool, day: date) -> list[str]:
    """The subjects with a list entry that takes effect on `day` by its dates alone."""
    rows = await pool.fetch(SQL["subjects_coming_into_force"], day)
    return [str(row["subject_identifier"]) for row in rows]


async def today(conn: asyncpg.Pool | asyncpg.Connection) -> date:
    """The bureau's day (common.today()): the one clock the records' reads compare with."""
    day: date = await conn.fetchval(SQL["today"])
    return day
