"""Answering a dataloader's batch with one statement.

A batch function gets the keys one request asked for and must return one
answer per key, in the keys' order. Both helpers run a named statement that
takes all the keys as one array parameter and sort the rows back to their
keys by the column that holds the key.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

import asyncpg

from creditgraph.subgraphs.context import Statements

K = TypeVar("K", bound=Hashable)


async def rows_per_key(
    db: Statements, sql: str, keys: Sequence[K], column: str, *more: object
) -> list[list[asyncpg.Record]]:
    """Every row for each key (in the statement's order); an empty list when none. `more`:
    the statement's parameters after the keys (a data period's months)."""
    found: dict[object, list[asyncpg.Record]] = {}
    for row in await db.fetch(sql, list(keys), *more):
        found.setdefault(row[column], []).append(row)
    return [found.get(key, []) for key in keys]


async def row_per_key(
    db: Statements, sql: str, keys: Sequence[K], column: str, *more: object
) -> list[asyncpg.Record | None]:
    """The row for each key, or None when there is none (`more` as for rows_per_key)."""
    found = {row[column]: row for row in await db.fetch(sql, list(keys), *more)}
    return [found.get(key) for key in keys]
