"""The seeded world the in-process benches time a report over, made one way for all of them.

Each bench migrates an empty database, seeds it with seed 1 and times the report of the
subject with the most accounts: the largest report the world holds, so the figures are for
the heavy end of what a bank asks.
"""

from __future__ import annotations

import asyncpg

from creditgraph.db.migrations import migrate
from creditgraph.resources import migrations_root
from creditgraph.seed import seed_database


async def seed_and_find_busiest(dsn: str, subjects: int = 200) -> str:
    """Migrate and seed the database at `dsn`; the identifier of the subject party to most
    accounts (ties broken by identifier, so every run picks the same one)."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        await seed_database(conn, subjects=subjects, seed=1)
        busiest: str = await conn.fetchval(
            """select s.identifier from bureau.subjects s
               join bureau.account_parties p on p.subject_id = s.id
               group by s.identifier order by count(*) desc, s.identifier limit 1"""
        )
    finally:
        await conn.close()
    return busiest
