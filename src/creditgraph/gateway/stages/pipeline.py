"""One configuration of the stages a request passes (see this package's docstring).

`Pipeline.open(gateway)` is the gateway with no edition policy: no one is authenticated,
limited or recorded, and everyone may see everything. `Access` is the configuration under
the policy, given by the deployment (commands.py): a token verifier, the policy, the
rate limits and the furnishers' verifier; `Access.pipeline()` is its pipeline.

The plan, execute and shape stages are the gateway's own objects in both (engine.py's
`Gateway.planning`, `executor`, `shaper`): the open authorise stage runs a prepared
operation through them (`Gateway.run`), the policy through the same objects, which it
holds, wave by wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol

from creditgraph.gateway.engine import Gateway
from creditgraph.gateway.operation import Operation
from creditgraph.gateway.stages.authorise import AuthoriseStage, Open, P
from creditgraph.gateway.stages.execute import ExecuteStage
from creditgraph.gateway.stages.limit import UNLIMITED, LimitStage
from creditgraph.gateway.stages.plan import PlanStage
from creditgraph.gateway.stages.record import NOT_RECORDED, RecordStage
from creditgraph.gateway.stages.shape import ShapeStage
from creditgraph.middleware.authentication import ANONYMOUS, Authenticator
from creditgraph.requester import FurnisherVerifier, RequesterVerifier


@dataclass(frozen=True, slots=True)
class Pipeline(Generic[P]):
    """The stages, in the order a request passes them."""

    authenticate: Authenticator
    limit: LimitStage
    authorise: AuthoriseStage[P]
    """Runs what it lets through the three stages after it (`AuthoriseStage.run`)."""
    plan: PlanStage
    execute: ExecuteStage
    shape: ShapeStage
    record: RecordStage

    @staticmethod
    def open(gateway: Gateway) -> Pipeline[Any]:
        """No policy: the open stages around the gateway's plan, execute and shape stages."""
        return Pipeline(
            ANONYMOUS,
            UNLIMITED,
            Open(gateway),
            gateway.planning,
            gateway.executor,
            gateway.shaper,
            NOT_RECORDED,
        )


class PolicyStage(AuthoriseStage[Operation], RecordStage, Protocol):
    """The edition policy (access/enforcement.py's `PolicyGateway`): it authorises operations
    and runs them through the plan, execute and shape stages it holds, a wave of records at a
    time, and records every request, refusals included."""

    @property
    def planning(self) -> PlanStage: ...

    @property
    def executor(self) -> ExecuteStage: ...

    @property
    def shaper(self) -> ShapeStage: ...


@dataclass(frozen=True, slots=True)
class Access:
    """Who is asking (the token verifier) and what they may see (the policy layer)."""

    verifier: RequesterVerifier
    policy: PolicyStage
    furnishing: FurnisherVerifier | None = None
    """Checks furnishers' tokens (their own audience) for `POST /furnish` and the furnishing
    mutations; None: no furnishing."""
    limits: LimitStage | None = None
    """The limit stage: each requester's rate (access/rate_limits.py); None: no limit."""

    def pipeline(self) -> Pipeline[Operation]:
        """The stages under the policy: the token proven (a reading one, then a furnishing
        one when there is furnishing), the rate limited, the policy authorising, running
        and recording."""
        return Pipeline(
            Authenticator(self.verifier, self.furnishing),
            self.limits or UNLIMITED,
            self.policy,
            self.policy.planning,
            self.policy.executor,
            self.policy.shaper,
            self.policy,
        )
