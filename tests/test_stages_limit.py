"""The limit stage's seam (gateway/stages/limit.py), without a database.

The handler asks the stage once per request, before it reads the body; under the policy
the stage is the rate limits (access/rate_limits.py, whose buckets have tests of their
own), with no policy the open stage, which serves every request.
"""

from __future__ import annotations

from creditgraph.access.rate_limits import ProcessBuckets, RateLimits, Rule
from creditgraph.gateway.stages.limit import UNLIMITED, LimitStage
from creditgraph.requester import Requester

BANK = Requester("BANK", "91110000MA01EB0013", "loan officer 7")


def _limits() -> RateLimits:
    still = 0.0
    rule = Rule(per_second=1.0, burst=2)
    rules = dict.fromkeys(("anonymous", "subject", "bank", "government", "furnisher"), rule)
    return RateLimits(rules, ProcessBuckets(clock=lambda: still))


async def _answers(stage: LimitStage, times: int) -> list[tuple[int, list[str]] | None]:
    answers: list[tuple[int, list[str]] | None] = []
    for _ in range(times):
        refused = await stage.check(BANK, "10.0.0.7")
        answers.append(
            None
            if refused is None
            else (
                refused.retry_after,
                [item["extensions"]["code"] for item in refused.errors()],
            )
        )
    return answers


async def test_over_its_rate_a_requester_is_refused_with_when_to_come_back() -> None:
    assert await _answers(_limits(), 3) == [None, None, (1, ["RATE_LIMITED"])]


async def test_the_open_stage_serves_what_a_rate_would_refuse() -> None:
    assert await _answers(UNLIMITED, 3) == [None, None, None]
    assert await UNLIMITED.check(None, None) is None
