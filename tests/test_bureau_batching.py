"""No N+1: the statements a bureau query sends do not grow with the data it returns.

The counts are of SQL statements seen by the connections (asyncpg's query
logger), compared between a small and a large case of the same query.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

from creditgraph.bureau.schema import schema
from tests.graphql_helpers import StatementLog, counting_pool, data_of

EVERYTHING = """
fragment Person on Subject {
  id identifier name kind birthDate gender
  phones { number reportedOn reportedBy }
  addresses { kind address } employments { employerName employer { name } }
  educations { level } principals { role person { name } } principalRoles { organisation { name } }
  marriages { startedOn partner { name phones { number } } }
}
fragment Everything on Subject {
  ...Person
  spouse { ...Person accounts { totalCount } }
  accounts(first: 100) { totalCount nodes { role joint account {
      id kind status balance lender { code name }
      parties { role subject { ...Person } }
      guarantees { amount guarantor { name } borrower { name } }
      repayments(months: 60) { totalCount nodes { month status overdueAmount } }
      repaymentGrid(months: 60) { statuses } } } }
  guaranteesGiven { amount account { lender { name } } borrower { name } }
  creditSummary { accountCount seriousDelinquency hardInquiries6m guaranteedAmount
                  fourNots { passed } }
  guaranteeExposure(maxDepth: 6) { totalExposure links { guarantor { name } borrower { name } }
                                   circles { members { name } } }
  inquiries(first: 100) { totalCount nodes { requesterName purpose } }
  disputes { status } statements { text } fraudAlerts { active }
}
"""

BY_IDENTIFIER = (
    EVERYTHING
    + """query($id: String!, $first: Int!, $months: Int!) { subjects(identifiers: [$id]) {
        ...Everything
        history: accounts(first: $first) { nodes { account {
            repayments(months: $months) { nodes { month } }
            parties { subject { ...Person } } } } } } }"""
)

# one level of entity fields, each from its own loader
FLAT = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Subject {
    identifier name phones { number } addresses { kind } employments { employerName }
    marriages { startedOn } accounts { totalCount } creditSummary { accountCount }
    inquiries { totalCount } disputes { status } statements { text } fraudAlerts { active }
} } }"""
ENTITIES = (
    EVERYTHING + "query($reps: [_Any!]!) { _entities(representations: $reps) { ...Everything } }"
)


async def _count(
    pool: asyncpg.Pool, log: StatementLog, query: str, variables: dict[str, Any]
) -> list[str]:
    """The statements of the leanest of three runs of `query`, after a warm-up run.

    When a loader's batch goes out depends on when other fetches return, so a
    run can now and then split a wave in two; the leanest run shows the
    query's own cost.
    """
    await data_of(schema, pool, query, variables)  # warm: codecs, prepared statements
    runs = []
    for _ in range(3):
        log.clear()
        await data_of(schema, pool, query, variables)
        runs.append(list(log.statements))
    return min(runs, key=len)


async def _identifiers(pool: asyncpg.Pool, sql: str) -> list[str]:
    return [row[0] for row in await pool.fetch(sql)]


async def test_statement_count_does_not_grow_with_accounts_or_months(
    seeded_database_url: str,
) -> None:
    async with counting_pool(seeded_database_url) as (pool, log):
        (busiest,) = await _identifiers(
            pool,
            """select s.identifier from bureau.subjects s
               join bureau.account_parties p on p.subject_id = s.id
               group by s.identifier order by count(*) desc, s.identifier limit 1""",
        )
        small = await _count(pool, log, BY_IDENTIFIER, {"id": busiest, "first": 1, "months": 1})
        large = await _count(pool, log, BY_IDENTIFIER, {"id": busiest, "first": 100, "months": 60})
        accounts = await pool.fetchval(
            """select count(*) from bureau.account_parties p
               join bureau.subjects s on s.id = p.subject_id where s.identifier = $1""",
            busiest,
        )
    assert accounts >= 4, "the busiest subject should hold several accounts"
    # the same statements whatever the size; each runs once per place the query asks
    # for its kind of record (two at most here), and a wave can now and then split in
    # two when another fetch returns late, never once per account or month
    assert set(large) == set(small)
    assert max(Counter(large).values()) <= 3
    # a subject's accounts and guarantees come whole with their lists, not as ids and then the
    # records, its accounts with their lenders, parties and months, and its credit summary's
    # facts (accounts, hard inquiries, guarantees) in one statement: 27 statements, five fewer
    # than with a statement for each of those (tests/test_policy_counts.py counts too)
    assert len(large) <= 27, f"{len(large)} statements for one report"


async def test_entities_cost_the_same_for_1_and_100_representations(
    seeded_database_url: str,
) -> None:
    async with counting_pool(seeded_database_url) as (pool, log):
        identifiers = await _identifiers(
            pool, "select identifier from bureau.subjects order by id limit 100"
        )

        def reps(count: int) -> dict[str, Any]:
            return {
                "reps": [{"__typename": "Subject", "identifier": i} for i in identifiers[:count]]
            }

        one = await _count(pool, log, FLAT, reps(1))
        hundred = await _count(pool, log, FLAT, reps(100))
        deep_one = await _count(pool, log, ENTITIES, reps(1))
        deep_hundred = await _count(pool, log, ENTITIES, reps(100))
        data = await data_of(schema, pool, ENTITIES, reps(100))
    assert [e["identifier"] for e in data["_entities"]] == identifiers
    # the first subject (the husband) has a record of every kind FLAT asks for
    assert len(hundred) == len(one)
    assert len(set(hundred)) == len(hundred), "a loader ran more than once"
    # deeper, more kinds of record turn up among 100 subjects than in one
    assert len(deep_one) <= len(deep_hundred)
    # a statement runs once per wave of the query's shape that asks for its kind of
    # record (EVERYTHING reaches subjects from several places, and how loaders' waves
    # fall depends on timing), never once per subject
    assert len(deep_hundred) < len(identifiers) / 2
    assert max(Counter(deep_hundred).values()) < 10
