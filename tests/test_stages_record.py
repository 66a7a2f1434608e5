"""The record stage's seam (gateway/stages/record.py) in its open configuration, without a
database.

Under the policy every request is an audit entry written before its answer leaves
(tests/test_every_request_recorded.py, tests/test_write_with_record.py for a mutation's);
with no policy there is no audit log: an answer leaves as the authorise stage gave it, and
a refusal is answered with its own errors, never with "could not be recorded".
"""

from __future__ import annotations

from typing import Any

from creditgraph.gateway.stages.record import NOT_RECORDED, Ran
from creditgraph.requester import Requester


async def test_with_no_audit_log_a_refusal_is_answered_as_it_is() -> None:
    errors: list[dict[str, Any]] = [
        {"message": "the request body is not valid JSON", "extensions": {"code": "BAD_USER_INPUT"}}
    ]
    who = Requester("SUBJECT", "11010519491231002X", None)
    for requester in (None, who):
        answered = await NOT_RECORDED.refuse("r-1", requester, "Report", list(errors))
        assert answered == errors


async def test_with_no_audit_log_an_answer_leaves_as_it_ran() -> None:
    answer: dict[str, Any] = {"data": {"me": {"name": "Zhang Wei"}}}
    assert await NOT_RECORDED.record(Ran(answer)) is answer
    partial: dict[str, Any] = {
        "errors": [{"message": "down", "extensions": {"code": "SUBGRAPH_UNAVAILABLE"}}],
        "data": {"me": None},
    }
    assert await NOT_RECORDED.record(Ran(partial, account="kept by no one")) == partial
