"""Moving the one clock in a test: the bureau's day, `common.today()`, set for the database.

The setting `creditgraph.today` (migration common/0005) is set on the test's own database and
read by each new connection, so the pool's connections are replaced: every subgraph, the
scorer and the gateway then read the reports on that day together.
"""

from __future__ import annotations

from datetime import date

import asyncpg


async def set_bureau_day(pool: asyncpg.Pool, day: date) -> None:
    """From the next connection on, the bureau's day is `day`."""
    async with pool.acquire() as conn:
        statement: str = await conn.fetchval(
            "select format('alter database %I set creditgraph.today = %L',"
            " current_database(), $1::text)",
            day.isoformat(),
        )
        await conn.execute(statement)
    await pool.expire_connections()
    async with pool.acquire() as conn:
        assert await conn.fetchval("select common.today()") == day
