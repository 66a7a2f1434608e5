"""A grant's data period holds every subgraph fetch made under it, whatever the plan's shape.

The limit travels with the requester the gateway names to each fetch (in its credential,
over HTTP), not as an argument of the bureau's internal root fields: a plan that reaches
the bureau through `_entities` after another subgraph is held to it as a root field is.
What the subgraphs answered is read where it leaves them (the HTTP exchange, or the
in-process transport's answer), not only in the gateway's final answer, which the policy
shapes again.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import orjson
import pytest

from creditgraph.commands import http_gateway, in_process_gateway
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import Transport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import PERSONA, WESTLAKE_BANK
from creditgraph.subgraphs import credential
from tests.test_requester_forwarding import Stack, running_stack

HUSBAND = PERSONA["husband"].identifier
SELF = Requester("SUBJECT", HUSBAND, None)
LOAN_OFFICER = Requester("BANK", WESTLAKE_BANK.code, "operator-9")
MONTHS = 6

GRANT = """
mutation($bank: String!, $months: Int) {
  grantConsent(grantee: $bank, purpose: LOAN_APPROVAL, dataPeriodMonths: $months) { id }
}
"""
# creditSummary requires the public subgraph's `blacklisted`: the plan goes bureau, public,
# then the bureau again through `_entities`
REPORT = """
query($id: String!) {
  subject(identifier: $id, purpose: LOAN_APPROVAL) {
    creditSummary { badDebt }
    accounts { nodes { account {
      repaymentGrid(months: 60) { months }
      repayments(months: 60) { nodes { month } }
    } } }
  }
}
"""
# `me` is the consent subgraph's: every bureau field comes through `_entities` after it
OWN_HISTORY = """
{ me { accounts { nodes { account {
  repaymentGrid(months: 60) { months }
  repayments(months: 60) { totalCount nodes { month } }
} } } } }
"""


@pytest.fixture
def stack(writable_seeded_database_url: str, tmp_path: Path) -> Iterator[Stack]:
    yield from running_stack(writable_seeded_database_url, tmp_path / "home")


def _histories(answer: Any) -> list[int]:
    """The months of every history in a subgraph's answer: each grid's count and each list
    of repayment months' length, wherever they lie."""
    found: list[int] = []
    if isinstance(answer, dict):
        grid = answer.get("repaymentGrid")
        if isinstance(grid, dict):
            found.append(grid["months"])
        listed = answer.get("repayments")
        if isinstance(listed, dict):
            found.append(len(listed["nodes"]))
        for value in answer.values():
            found += _histories(value)
    elif isinstance(answer, list):
        for item in answer:
            found += _histories(item)
    return found


async def test_every_bureau_fetch_of_a_report_carries_the_grants_data_period(
    stack: Stack,
) -> None:
    granted = await stack.ask(SELF, GRANT, {"bank": WESTLAKE_BANK.code, "months": MONTHS})
    assert "errors" not in granted, granted
    bureau = stack.exchanges["bureau"]
    bureau.clear()
    seen = await stack.ask(LOAN_OFFICER, REPORT, {"id": HUSBAND})
    assert "errors" not in seen, seen
    assert seen["data"]["subject"]["creditSummary"] is not None

    assert any(b"_entities" in exchange.sent for exchange in bureau), "no entity fetch"
    shown: list[int] = []
    for exchange in bureau:
        named = credential.verify(stack.secret, "bureau", exchange.headers[credential.HEADER])
        assert named == Requester(
            LOAN_OFFICER.role,
            LOAN_OFFICER.identifier,
            LOAN_OFFICER.operator,
            history_months=MONTHS,
        )
        shown += _histories(orjson.loads(exchange.answered))
    assert shown
    assert max(shown) == MONTHS


class _Answers:
    """A transport keeping a copy of every answer a subgraph gave, as it gave it."""

    def __init__(self, inner: Transport, log: list[tuple[str, str, dict[str, Any]]]) -> None:
        self._inner = inner
        self.log = log

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = await self._inner.send(subgraph, document, variables)
        self.log.append((subgraph, document, copy.deepcopy(answer)))
        return answer

    def acting_for(self, requester: Requester | None) -> Transport:
        return _Answers(self._inner.acting_for(requester), self.log)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize("over", ["http", "in-process"])
@pytest.mark.parametrize("limit", [MONTHS, None])
async def test_an_entity_fetch_after_another_subgraph_shows_no_month_past_the_limit(
    stack: Stack, over: str, limit: int | None
) -> None:
    """The subject's own graph through `me` reaches the bureau only through `_entities`,
    after the consent subgraph; under a requester carrying a limit, no history the bureau
    answers is longer, over HTTP subgraphs and in process alike."""
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    pool = await asyncpg.create_pool(stack.dsn, min_size=1, max_size=4)
    gateway: Gateway = (
        in_process_gateway(supergraph, pool)
        if over == "in-process"
        else http_gateway(supergraph, overrides=stack.subgraphs, secret=stack.secret)
    )
    try:
        log: list[tuple[str, str, dict[str, Any]]] = []
        requester = Requester(SELF.role, SELF.identifier, None, history_months=limit)
        prepared = gateway.prepare(OWN_HISTORY, {}, None)
        execution = await gateway.executor.execute(
            prepared.plan, {}, requester, transport=_Answers(gateway.executor.transport, log)
        )
    finally:
        await gateway.aclose()
        await pool.close()
    assert not execution.errors, execution.errors
    assert [subgraph for subgraph, _, _ in log] == ["consent", "bureau"]
    _, document, answer = log[1]
    assert "_entities" in document
    shown = _histories(answer)
    assert shown
    # the husband's accounts have five years of history: unlimited, a grid shows all 60
    assert max(shown) == (60 if limit is None else limit)


@pytest.mark.parametrize("history", [0, -3, "6", 6.5, True])
def test_a_credential_with_a_bad_history_limit_is_refused(history: object) -> None:
    """A history limit is a whole number of months from 1; anything else in a credential is
    refused as a forged one would be, never read as no limit."""
    secret = secrets.token_bytes(32)
    token = credential.issue(secret, "bureau", requester=SELF)
    claims = jwt.decode(token, secret, algorithms=["HS256"], audience=credential.audience("bureau"))
    claims["history_months"] = history
    forged = jwt.encode(claims, secret, algorithm="HS256")
    with pytest.raises(credential.CredentialRefused):
        credential.verify(secret, "bureau", forged)


def test_a_history_limit_without_a_requester_is_refused() -> None:
    secret = secrets.token_bytes(32)
    token = credential.issue(secret, "bureau")
    claims = jwt.decode(token, secret, algorithms=["HS256"], audience=credential.audience("bureau"))
    claims["history_months"] = MONTHS
    forged = jwt.encode(claims, secret, algorithm="HS256")
    with pytest.raises(credential.CredentialRefused):
        credential.verify(secret, "bureau", forged)


def test_the_limit_survives_the_credential() -> None:
    secret = secrets.token_bytes(32)
    limited = Requester(LOAN_OFFICER.role, LOAN_OFFICER.identifier, "clerk", history_months=12)
    token = credential.issue(secret, "bureau", requester=limited)
    assert credential.verify(secret, "bureau", token) == limited
