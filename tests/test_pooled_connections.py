"""Pooled connections are given back without asyncpg's reset statement, and still clean."""

from __future__ import annotations

import asyncpg

from creditgraph.db.connect import create_pool


async def test_a_transaction_left_open_is_rolled_back_before_reuse(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("create table scratch (n int)")
            await conn.execute("begin")
            await conn.execute("insert into scratch values (1)")
            await conn.execute("set local statement_timeout = '1ms'")
        # the one connection of the pool, reused
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("select count(*) from scratch") == 0
            assert await conn.fetchval("show statement_timeout") != "1ms"
    finally:
        await pool.close()


async def test_a_release_sends_no_statement(database_url: str) -> None:
    """Each pooled query is one round trip: the server sees only the statements we send."""
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            backend = await conn.fetchval("select pg_backend_pid()")
        for _ in range(3):
            await pool.fetchval("select 1")
        # another connection reads what the pooled one ran last: our statement, no reset
        other = await asyncpg.connect(database_url)
        try:
            last = await other.fetchval(
                "select query from pg_stat_activity where pid = $1", backend
            )
        finally:
            await other.close()
    finally:
        await pool.close()
    assert last == "select 1"
