"""The scores subgraph's batch functions: one statement per kind of thing per request.

Each function answers a dataloader batch (see `SubgraphContext.loader`); the
statements are in queries.sql beside this file.
"""

from __future__ import annotations

from pathlib import Path

from creditgraph.db.queries import load_queries
from creditgraph.subgraphs.batching import row_per_key, rows_per_key
from creditgraph.subgraphs.context import Statements
from creditgraph.subgraphs.records import Row

SQL = load_queries(Path(__file__).with_name("queries.sql"))


async def all_models(db: Statements) -> list[Row]:
    return await db.fetch(SQL["all_models"])


async def model_by_id(db: Statements, ids: list[int]) -> list[Row | None]:
    return await row_per_key(db, SQL["models_by_id"], ids, "id")


async def bands(db: Statements, model_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["bands_by_model"], model_ids, "model_id")


async def observations(db: Statements, identifiers: list[str]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["observations_by_subject"], identifiers, "subject_identifier")


async def reasons(db: Statements, observation_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(db, SQL["reasons_by_observation"], observation_ids, "observation_id")


async def dimensions(db: Statements, observation_ids: list[int]) -> list[list[Row]]:
    return await rows_per_key(
        db, SQL["dimensions_by_observation"], observation_ids, "observation_id"
    )
