"""Each subgraph request reads on one connection of the pool, given back when it ends.

A request takes a connection at its first statement and keeps it (context.py); it never
waits for a second one of the same pool while it holds one, so any number of requests
share a pool of any size without deadlock: the policy's reports (several waves of fetches,
the policy's own statements between them) and mutations (whose writes run on the
gateway's open transaction, held while they run) side by side, many more of them than the
pool has connections. A deadlock here would show as requests answered with errors once
the pool's acquire timeout gives up, or as a test that never ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.db.connect import create_pool
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import operations_root, policy_path, supergraph_path
from creditgraph.settings import DatabaseLimits
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.execution import LevelExecution
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.policy_harness import HUSBAND, SUBJECT_HUSBAND, WESTLAKE, set_up_world

UNDERWRITING = (operations_root() / "bank_underwriting.graphql").read_text(encoding="utf-8")
STATEMENT = "mutation($text: String!) { addStatement(text: $text) { text } }"

CONNECTIONS = 2
"""The pool's size: every test here runs several times as many requests at once."""


@pytest.fixture
async def small_pool(writable_seeded_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(
        writable_seeded_database_url,
        limits=DatabaseLimits(acquire=10.0),
        min_size=1,
        max_size=CONNECTIONS,
    )
    await set_up_world(pool)
    try:
        yield pool
    finally:
        await pool.close()


def _all_given_back(pool: asyncpg.Pool) -> bool:
    return pool.get_idle_size() == pool.get_size()


async def test_many_more_requests_than_connections_are_all_answered_in_full(
    small_pool: asyncpg.Pool,
) -> None:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    gateway = Gateway(
        Supergraph(supergraph_path().read_text(encoding="utf-8")),
        InProcessTransport(schemas, small_pool),
    )
    policy = PolicyGateway(gateway, Policy.load(policy_path()), small_pool)
    variables = {"identifier": HUSBAND}

    async def plain() -> dict[str, Any]:
        prepared = gateway.prepare(UNDERWRITING, variables, "BankUnderwriting")
        return await gateway.run(prepared, dict(variables))

    async def enforced(requester: Requester, document: str, given: dict[str, Any]) -> Any:
        client = policy.prepare(document, given, None)
        return await policy.record(await policy.run(client, dict(given), requester, "many"))

    alone = await plain()
    assert "errors" not in alone, alone["errors"]
    bank_alone = await enforced(WESTLAKE, UNDERWRITING, variables)
    assert "errors" not in bank_alone, bank_alone["errors"]
    texts = [f"Statement {number} of many at once." for number in range(4)]

    answers = await asyncio.gather(
        *(plain() for _ in range(6)),
        *(enforced(WESTLAKE, UNDERWRITING, variables) for _ in range(6)),
        *(enforced(SUBJECT_HUSBAND, STATEMENT, {"text": text}) for text in texts),
    )

    plains, banks, writes = answers[:6], answers[6:12], answers[12:]
    # the banks' inquiries and the statements being added change those parts of the report
    # while it runs; every account, month and party is the same as when it ran alone
    for answer, first in [(answer, alone) for answer in plains] + [
        (answer, bank_alone) for answer in banks
    ]:
        assert "errors" not in answer, answer["errors"]
        assert answer["data"]["subject"]["accounts"] == first["data"]["subject"]["accounts"]
    assert [answer.get("errors") for answer in writes] == [None] * len(texts)
    assert [answer["data"]["addStatement"]["text"] for answer in writes] == texts
    stored = await small_pool.fetch(
        """select t.text from bureau.statements t join bureau.subjects s on s.id = t.subject_id
           where s.identifier = $1""",
        HUSBAND,
    )
    assert set(texts) <= {row["text"] for row in stored}
    assert _all_given_back(small_pool)


@pytest.mark.parametrize(
    "execution",
    [LevelExecution, StrawberryGraphQLCoreExecutionContext],
    ids=["a-level-at-a-time", "graphql-core"],
)
async def test_a_request_gives_its_connection_back_however_it_ends(
    small_pool: asyncpg.Pool, execution: type[StrawberryGraphQLCoreExecutionContext]
) -> None:
    """A request whose answer a failure nulled while its statements still ran gives its
    connection back once they are done, never in the middle of one: the requests after it
    on the same connections are answered in full. (A connection left taken would leave
    them waiting for one in vain; one given back mid-statement would refuse theirs.)
    graphql-core, which executes a mutation's fields, leaves the siblings of a failure
    running when it answers; creditgraph's executor answers after them."""
    bureau = subgraph_schema("bureau")
    bureau.execution_context_class = execution
    try:
        await _nulled_then_answered(bureau, small_pool)
    finally:
        bureau.execution_context_class = LevelExecution


async def _nulled_then_answered(bureau: strawberry.Schema, small_pool: asyncpg.Pool) -> None:
    # the first identifier is refused, which nulls the answer, while the second one's
    # phones and accounts are being read
    nulled = """query($who: [String!]!) { subjects(identifiers: $who) {
        identifier phones { number } accounts { totalCount } } }"""
    for _ in range(3 * CONNECTIONS):
        result = await bureau.execute(
            nulled,
            variable_values={"who": ["not an identifier", HUSBAND]},
            context_value=SubgraphContext(small_pool),
        )
        assert result.data is None
        assert [error.extensions for error in result.errors or []] == [
            {"code": "BAD_USER_INPUT", "argument": "identifier"}
        ]
    answered = await asyncio.gather(
        *(
            bureau.execute(
                nulled,
                variable_values={"who": [HUSBAND]},
                context_value=SubgraphContext(small_pool),
            )
            for _ in range(4 * CONNECTIONS)
        )
    )
    assert [result.errors for result in answered] == [None] * 4 * CONNECTIONS
    assert all(result.data and result.data["subjects"][0]["phones"] for result in answered)
    if bureau.execution_context_class is LevelExecution:
        assert _all_given_back(small_pool)
        return
    # graphql-core answered each failure with its siblings still running: the last ones may
    # have queued for a connection behind the answered requests, and give it back when done
    for _ in range(1000):
        if _all_given_back(small_pool):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a connection was never given back")
