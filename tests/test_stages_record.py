"""The record stage's seam for refusals (gateway/stages/record.py), without a database.

Under the policy every refusal is an audit entry (tests/test_every_request_recorded.py);
with no policy there is no audit log, and a refusal is answered with its own errors, never
with "could not be recorded".
"""

from __future__ import annotations

from typing import Any

from creditgraph.gateway.stages.record import NOT_RECORDED
from creditgraph.requester import Requester


async def test_with_no_audit_log_a_refusal_is_answered_as_it_is() -> None:
    errors: list[dict[str, Any]] = [
        {"message": "the request body is not valid JSON", "extensions": {"code": "BAD_USER_INPUT"}}
    ]
    who = Requester("SUBJECT", "11010519491231002X", None)
    for requester in (None, who):
        answered = await NOT_RECORDED.refuse("r-1", requester, "Report", list(errors))
        assert answered == errors
