"""The consent subgraph's batch functions; the statements are in queries.sql beside this file."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from creditgraph.db.queries import load_queries
from creditgraph.subgraphs.batching import rows_per_key
from creditgraph.subgraphs.context import Statements

SQL = load_queries(Path(__file__).with_name("queries.sql"))


async def grants_by_subject(db: Statements, identifiers: list[str]) -> list[list[asyncpg.Record]]:
    return await rows_per_key(db, SQL["grants_by_subject"], identifiers, "subject_identifier")


async def shares_by_subject(db: Statements, identifiers: list[str]) -> list[list[asyncpg.Record]]:
    return await rows_per_key(db, SQL["shares_by_subject"], identifiers, "subject_identifier")


async def answers_by_subject(
    db: Statements, keys: list[tuple[str, int]]
) -> list[list[asyncpg.Record]]:
    """The newest answers per (subject, how many)."""
    identifiers, sizes = zip(*keys, strict=True)
    found: list[list[asyncpg.Record]] = [[] for _ in keys]
    for row in await db.fetch(SQL["answers_by_subject"], identifiers, sizes):
        found[row["ord"] - 1].append(row)
    return found
