"""The plan stage's seam: an operation's plan, the fetches that answer it.

The query planner (gateway/planning/) builds the plan; what this stage adds is what the
request sees of planning: a trace span per plan, and a plan that cannot be made answered
as the request error QUERY_PLANNING_FAILED instead of the planner's own exception. It
caches nothing: the gateway keeps a client operation's plan with the operation
(engine.py's `prepare`), the edition policy its wave operations' (access/enforcement.py).
"""

from __future__ import annotations

from typing import Protocol

from creditgraph import tracing
from creditgraph.gateway.errors import QUERY_PLANNING_FAILED, RequestError
from creditgraph.gateway.operation import Operation
from creditgraph.gateway.plan import Plan
from creditgraph.gateway.planning import Planner, PlanningError


class PlanStage(Protocol):
    def plan(self, operation: Operation) -> Plan:
        """The operation's plan; RequestError (QUERY_PLANNING_FAILED) when there is none."""
        ...


class Planning:
    """The plan stage over the query planner."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner

    def plan(self, operation: Operation) -> Plan:
        with tracing.span("plan", attributes={"graphql.operation.type": operation.kind}) as span:
            try:
                plan = self.planner.plan(operation)
            except PlanningError as exc:
                tracing.failed(span, QUERY_PLANNING_FAILED)
                raise RequestError(str(exc), QUERY_PLANNING_FAILED) from None
            span.set_attribute("creditgraph.fetches", len(plan.fetches()))
            return plan
