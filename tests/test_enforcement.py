"""The authorise stage under the edition policy (access/enforcement.py), through its seam.

`prepare` validates and normalises the client's operation; `run` answers it for a requester.
What the policy reads of the request (whose report, for what purpose) comes from the
variables `run` is given for this request, and nowhere else.
"""

from __future__ import annotations

import asyncpg
import pytest

from creditgraph.access.enforcement import PolicyGateway
from creditgraph.access.policy import Policy
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import InProcessTransport
from creditgraph.requester import Requester
from creditgraph.resources import policy_path, supergraph_path
from creditgraph.seed.personas import PERSONA
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
SELF = Requester("SUBJECT", HUSBAND, None)
WHOSE = """
query($id: String!, $purpose: InquiryPurpose!) {
  subject(identifier: $id, purpose: $purpose) { identifier }
}
"""


@pytest.fixture
def guarded(writable_pool: asyncpg.Pool) -> PolicyGateway:
    schemas = {name: subgraph_schema(name) for name in SUBGRAPH_NAMES}
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = Gateway(supergraph, InProcessTransport(schemas, writable_pool))
    return PolicyGateway(gateway, Policy.load(policy_path()), writable_pool)


async def test_the_subject_asked_for_is_read_from_the_variables_run_is_given(
    guarded: PolicyGateway, writable_pool: asyncpg.Pool
) -> None:
    """An operation prepared with one subject's identifier and run with another's answers,
    and records, the one run with: never a report the variables passed did not ask for."""
    operation = guarded.prepare(WHOSE, {"id": WIFE, "purpose": "SELF"}, None)
    ran = await guarded.run(operation, {"id": HUSBAND, "purpose": "SELF"}, SELF, "one-source")
    answer = await guarded.record(ran)
    assert answer == {"data": {"subject": {"identifier": HUSBAND}}}
    subjects = await writable_pool.fetchval(
        "select subjects from gateway.audit_log where request_id = 'one-source'"
    )
    assert subjects == [HUSBAND]


async def test_variables_that_do_not_fit_at_run_are_refused_and_recorded(
    guarded: PolicyGateway, writable_pool: asyncpg.Pool
) -> None:
    operation = guarded.prepare(WHOSE, {"id": HUSBAND, "purpose": "SELF"}, None)
    ran = await guarded.run(operation, {"id": HUSBAND, "purpose": "GOSSIP"}, SELF, "misfit")
    answer = await guarded.record(ran)
    assert answer["data"] is None
    assert [item["extensions"]["code"] for item in answer["errors"]] == ["BAD_USER_INPUT"]
    decision = await writable_pool.fetchval(
        "select decision from gateway.audit_log where request_id = 'misfit'"
    )
    assert decision == "DENIED"
