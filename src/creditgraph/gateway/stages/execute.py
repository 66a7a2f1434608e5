"""The execute stage's seam: a plan's fetches run and their answers merged, unshaped.

The executor (gateway/executor.py's `Execution`) runs one plan; what this stage adds is
which transport it runs over: the gateway's own (its timeouts, retries, breakers and
deduplication: transports/resilient.py), told on whose behalf each fetch is made when
there is a requester, so that a subgraph can check the requester itself.
"""

from __future__ import annotations

from typing import Any, Protocol

from creditgraph.gateway.executor import Execution
from creditgraph.gateway.plan import Plan
from creditgraph.gateway.supergraph import Supergraph
from creditgraph.gateway.transports import Transport
from creditgraph.requester import Requester


class ExecuteStage(Protocol):
    async def execute(
        self, plan: Plan, variables: dict[str, Any], requester: Requester | None = None
    ) -> Execution:
        """The plan run with `variables`: the merged data and the errors, not yet shaped;
        with `requester`, on whose behalf."""
        ...


class Executor:
    """The execute stage over a supergraph's subgraphs, through `transport`."""

    def __init__(self, supergraph: Supergraph, transport: Transport) -> None:
        self.supergraph = supergraph
        self.transport = transport

    async def execute(
        self,
        plan: Plan,
        variables: dict[str, Any],
        requester: Requester | None = None,
        *,
        transport: Transport | None = None,
    ) -> Execution:
        """`transport`: another way to the subgraphs for this run (a test's counting one)."""
        chosen = transport or self.transport
        if requester is not None:
            chosen = chosen.acting_for(requester)
        execution = Execution(plan, self.supergraph, chosen, variables)
        await execution.run()
        return execution
