"""What the underwriting report costs under the edition policy, in fetches and statements.

The policy fetches in waves (access/enforcement.py): the subject asked for, then every
record reached from it, each seen as its owners' entitlements allow, and so on. A record
reached is fetched ahead with the record reaching it, in the view it is guessed to get,
and only when its owners decide a view that fetches otherwise is it in a wave of its own.
Each wave is one operation, so each subgraph gets one fetch a wave, however many kinds of
record and views the wave holds; and the statements a report sends do not grow with the
records it shows. These are the counts, held like Saleor's query-count tests: a change
that sends a fetch per record kind or per view again, or a statement per record, fails
here with the number it sends. The same report without the policy is counted alongside,
as the floor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import operations_root, policy_path, supergraph_path
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.graphql_helpers import StatementLog, counting_pool
from tests.policy_harness import HUSBAND, WESTLAKE, set_up_world

UNDERWRITING = (operations_root() / "bank_underwriting.graphql").read_text(encoding="utf-8")


class CountingTransport(InProcessTransport):
    """The in-process transport, counting each subgraph's fetches by the data period of the
    requester they act for (a fetch under one period cannot carry another's records)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sent: Counter[tuple[str, int | None]],
        requester: Requester | None = None,
    ):
        super().__init__({name: subgraph_schema(name) for name in SUBGRAPH_NAMES}, pool, requester)
        self.pool = pool
        self.sent = sent

    def acting_for(self, requester: Requester | None) -> CountingTransport:
        return CountingTransport(self.pool, self.sent, requester)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.sent[
            subgraph, None if self._requester is None else self._requester.history_months
        ] += 1
        return await super().send(subgraph, document, variables)


async def _leanest(
    run: Callable[[], Awaitable[dict[str, Any]]],
    sent: Counter[tuple[str, int | None]],
    log: StatementLog,
) -> tuple[Counter[tuple[str, int | None]], list[str]]:
    """The fetches and statements of the leanest of three runs, after a warm-up run.

    When a loader's batch goes out depends on when other fetches return, so a run can now
    and then split a batch in two; the leanest run shows the report's own cost.
    """
    answer = await run()
    assert "errors" not in answer, answer["errors"]
    assert answer["data"]["subject"]["identifier"] == HUSBAND
    runs = []
    for _ in range(3):
        sent.clear()
        log.clear()
        await run()
        runs.append((Counter(sent), list(log.statements)))
    return min(runs, key=lambda found: (found[1].__len__(), sum(found[0].values())))


async def test_the_policy_report_takes_one_fetch_a_subgraph_a_wave_and_no_statement_a_record(
    writable_seeded_database_url: str,
) -> None:
    async with counting_pool(writable_seeded_database_url) as (pool, log):
        await set_up_world(pool)
        sent: Counter[tuple[str, int | None]] = Counter()
        supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
        gateway = Gateway(supergraph, CountingTransport(pool, sent))
        policy = PolicyGateway(gateway, Policy.load(policy_path()), pool)
        variables = {"identifier": HUSBAND}

        async def plain() -> dict[str, Any]:
            prepared = gateway.prepare(UNDERWRITING, variables, "BankUnderwriting")
            return await gateway.run(prepared, dict(variables))

        async def enforced() -> dict[str, Any]:
            client = policy.prepare(UNDERWRITING, variables, "BankUnderwriting")
            return await policy.record(
                await policy.run(client, dict(variables), WESTLAKE, "counted")
            )

        plain_fetches, plain_statements = await _leanest(plain, sent, log)
        fetches, statements = await _leanest(enforced, sent, log)
        accounts = await pool.fetchval(
            """select count(*) from bureau.account_parties p
               join bureau.subjects s on s.id = p.subject_id where s.identifier = $1""",
            HUSBAND,
        )
    assert accounts >= 2, "the husband's report should reach more than one account"
    # without the policy: one fetch of each subgraph the report touches
    assert plain_fetches == Counter(
        {("consent", None): 1, ("bureau", None): 1, ("public", None): 1, ("scores", None): 1}
    )
    # under it: the subject's wave as without the policy (its root from the bureau, which
    # then answers the fields that need the other subgraphs' first), the records reached
    # from it (spouse, accounts and their parties, guarantees, the subjects of the
    # exposure chain) fetched with it, ahead, in the views their owners' entitlements give
    # them: no wave of their own. The bank's grant from the husband has the default period
    # (60 months); records it reaches under the wife's 6-month grant are fetched under that
    # period, which the bureau bounds them by: her subject record, then what it reaches
    assert fetches == Counter(
        {("bureau", 60): 2, ("public", 60): 1, ("scores", 60): 1, ("bureau", 6): 2}
    ), fetches
    # the report's own statements: each kind of record read once, a subject's accounts and
    # guarantees whole with their lists, its accounts with their lenders, parties and months,
    # its credit summary's facts in one statement
    assert len(plain_statements) <= 33, Counter(plain_statements).most_common(3)
    # the policy's own statements: who is asking read with their grants from the subject
    # asked for (one), the entitlements of the owners of the records reached decided (one),
    # the record (one: its inquiries and its chained audit entry written by one function,
    # in a transaction of its own), and the subject read again by the bureau for the
    # fields that need another subgraph's first: 4 in all; and the two fetches under the
    # wife's period read her record, her phones and employments and the record again: 4 more
    assert len(statements) <= len(plain_statements) + 4 + 4, (
        f"{len(statements)} statements under the policy, {len(plain_statements)} without: "
        + ", ".join(f"{text.split(chr(10))[0][:60]!r}" for text in statements)
    )
    # and none runs once per record
    assert max(Counter(statements).values()) <= 4, Counter(statements).most_common(3)
