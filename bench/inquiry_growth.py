"""Whether a report costs more once it has been looked at many times.

    python bench/inquiry_growth.py [--subjects 50] [--looks 5000] [--rounds 30]

Every look at a report is recorded as an inquiry, and the report shows the
subject its inquiries and counts the hard ones, so a report that read every
look would slow down as it is polled. This seeds a throwaway embedded
PostgreSQL, then times the subject's own report (the trusted `SubjectSelf`
operation, through the policy gateway with every subgraph in process, its
record written as for any request) for the demo model borrower: fresh, and
again after `--looks` more looks by one bank under one grant (written at once,
then analysed, as autovacuum would). It prints the
median of `--rounds` runs of each and their ratio, which stays near 1 when the
cost does not grow with the looks, and the subject's hard-inquiry count before
and after (one grant: one more, however many looks).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.db.embedded import EmbeddedPostgres
from creditgraph.db.migrations import migrate
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import migrations_root, policy_path, supergraph_path
from creditgraph.seed import seed_database
from creditgraph.seed.personas import PERSONA, WESTLAKE_BANK
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

OPERATION = Path(__file__).parents[1] / "graphql" / "operations" / "subject_self.graphql"
SUBJECT = Requester("SUBJECT", PERSONA["model_borrower"].identifier, None)
HARD = "{ me { creditSummary { hardInquiries6m } } }"

# the looks, written as the gateway records them, under one grant the subject gave
_POLL = """
with bank as (select id from gateway.requesters where identifier = $2 and role = 'BANK'),
grant_given as (
    insert into gateway.consent_grants
        (id, subject_identifier, grantor_identifier, grantee_id, purpose, edition,
         valid_from, valid_until, recorded_via)
    select gen_random_uuid(), $1, $1, bank.id, 'LOAN_APPROVAL', 'BANK',
           now(), now() + interval '30 days', 'SUBJECT'
    from bank
    returning id, grantee_id
)
insert into gateway.inquiries
    (subject_identifier, requester_id, operator, purpose, edition, grant_id, inquired_at)
select $1, g.grantee_id, 'loan officer 7', 'LOAN_APPROVAL', 'BANK', g.id,
       now() - n * interval '1 minute'
from grant_given g, generate_series(1, $3) as n
"""


async def _median(policy: PolicyGateway, query: str, rounds: int) -> float:
    client = policy.prepare(query, {}, None)
    timings = []
    for number in range(rounds):
        started = time.perf_counter()
        answer = await policy.record(await policy.run(client, {}, SUBJECT, f"bench-{number}"))
        timings.append(time.perf_counter() - started)
        assert "errors" not in answer, answer
    return statistics.median(timings)


async def _hard(policy: PolicyGateway) -> int:
    ran = await policy.run(policy.prepare(HARD, {}, None), {}, SUBJECT, "bench-hard")
    answer = await policy.record(ran)
    count: int = answer["data"]["me"]["creditSummary"]["hardInquiries6m"]
    return count


async def _run(dsn: str, subjects: int, looks: int, rounds: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, migrations_root())
        await seed_database(conn, subjects=subjects, seed=1)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    assert pool is not None
    try:
        schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
        supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
        gateway = Gateway(supergraph, InProcessTransport(schemas, pool))
        policy = PolicyGateway(gateway, Policy.load(policy_path()), pool)
        query = OPERATION.read_text(encoding="utf-8")
        await _median(policy, query, rounds)  # warm the caches and every pooled connection
        hard_before = await _hard(policy)
        fresh = await _median(policy, query, rounds)
        await pool.execute(_POLL, SUBJECT.identifier, WESTLAKE_BANK.code, looks)
        # what autovacuum does soon after a change this size; looks arriving one a request
        # keep the statistics current the same way
        await pool.execute("analyze gateway.inquiries")
        polled = await _median(policy, query, rounds)
        hard_after = await _hard(policy)
    finally:
        await pool.close()
    print(f"subject's own report, median of {rounds}:")
    print(f"  fresh:                 {fresh * 1000:8.1f} ms")
    print(f"  after {looks} more looks: {polled * 1000:8.1f} ms")
    print(f"  ratio:                 {polled / fresh:8.2f}")
    print(f"hard inquiries in 6 months: {hard_before} before, {hard_after} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=50)
    parser.add_argument("--looks", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as scratch,
        EmbeddedPostgres(Path(scratch) / "pgdata") as server,
    ):
        asyncio.run(_run(server.dsn, args.subjects, args.looks, args.rounds))


if __name__ == "__main__":
    main()
