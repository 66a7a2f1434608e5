"""The gateway's public surface: document → operation → plan → execute → shape.

Each step has its own module (the plan, execute and shape stages: gateway/stages/); this
one only strings them together for a client's operation and owns the two caches.
Everything here is shared by all requests and immutable once built; the per-request state
lives in `Execution`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import OperationDefinitionNode
from graphql.execution.values import get_variable_values

from creditgraph import tracing
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.cache import LRUCache
from creditgraph.gateway.documents import DocumentCache
from creditgraph.gateway.errors import BAD_USER_INPUT, RequestError, request_errors
from creditgraph.gateway.introspection import introspect
from creditgraph.gateway.operation import (
    CollectedField,
    Operation,
    Selection,
    condition_key,
    normalize,
    select_operation,
)
from creditgraph.gateway.plan import Plan
from creditgraph.gateway.planning import Planner
from creditgraph.gateway.response import ResponseShaper
from creditgraph.gateway.stages.execute import Executor
from creditgraph.gateway.stages.plan import Planning
from creditgraph.gateway.supergraph import Supergraph
from creditgraph.gateway.transports import Transport
from creditgraph.gateway.transports.resilient import ResilientTransport
from creditgraph.requester import Requester
from creditgraph.settings import OperationLimits, Resilience

PlanKey = tuple[str, str | None, tuple[bool, ...]]


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    operation: Operation
    plan: Plan


class Gateway:
    """Plans and runs operations over the supergraph.

    Its stages after authorisation are objects of their own, shared by every request:
    `planning` (the plan stage), `executor` (execute) and `shaper` (shape), as the pipeline
    names them (gateway/stages/pipeline.py). An authorise stage in front of it (the edition
    policy, access/enforcement.py) runs operations through those stages and otherwise uses
    only its public surface: `operation` and `coerce` (validate and normalise), `collect`
    and `possible` (which fields an object gets) and `introspect`; never its planner or
    transport.
    """

    def __init__(
        self,
        supergraph: Supergraph,
        transport: Transport,
        *,
        resilience: Resilience | None = None,
        cache_size: int = 1000,
        limits: OperationLimits | None = None,
    ) -> None:
        """`limits`: how big an operation may be (gateway/limits.py); the defaults when None.

        `transport` is always called through the timeouts, retries, circuit breakers and
        deduplication `resilience` sets per subgraph (the defaults when None), so no
        deployment can leave a subgraph's fetches unbounded."""
        self.supergraph = supergraph
        resilience = resilience or Resilience()
        resilience.check(graph.name for graph in supergraph.graphs.values())
        self.transport: Transport = ResilientTransport(transport, resilience)
        self.schema = api_schema(supergraph)
        self.planner = Planner(supergraph)
        self.planning = Planning(self.planner)
        self.executor = Executor(supergraph, self.transport)
        self.shaper = ResponseShaper(self.schema, self.planner.possible)
        self.documents = DocumentCache(self.schema, limits or OperationLimits(), cache_size)
        self.operations: LRUCache[PlanKey, Operation] = LRUCache(cache_size)
        self.plans: LRUCache[PlanKey, PreparedOperation] = LRUCache(cache_size)

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """The GraphQL response for one request, as a JSON-ready dict."""
        try:
            prepared = self.prepare(query, variables or {}, operation_name)
        except RequestError as exc:
            return request_errors(exc.formatted())
        return await self.run(prepared, dict(variables or {}))

    def prepare(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None
    ) -> PreparedOperation:
        """Everything that depends on the document and the conditions, cached."""
        key, operation, _ = self.operation(query, variables, operation_name)
        prepared = self.plans.get(key)
        if prepared is None:
            prepared = PreparedOperation(operation, self.planning.plan(operation))
            self.plans.put(key, prepared)
        return prepared

    def operation(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None
    ) -> tuple[PlanKey, Operation, dict[str, Any]]:
        """The validated, normalised operation, the key of everything derived from it, and
        the variables coerced to their types (an absent one at its default)."""
        with tracing.span("prepare") as span:
            try:
                return self._operation(query, variables, operation_name)
            except RequestError as exc:
                tracing.failed(span, exc.code)
                raise

    def _operation(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None
    ) -> tuple[PlanKey, Operation, dict[str, Any]]:
        parsed = self.documents.get(query)
        definition = select_operation(parsed.document, operation_name)
        coerced = self._coerced(definition, variables)
        key: PlanKey = (query, operation_name, condition_key(parsed.conditions, coerced))
        operation = self.operations.get(key)
        if operation is None:
            operation = normalize(parsed.document, operation_name, coerced)
            if operation.kind == "subscription":
                raise RequestError("subscriptions are not supported", BAD_USER_INPUT)
            self.operations.put(key, operation)
        return key, operation, coerced

    def coerce(self, operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any]:
        """`variables` coerced to the types `operation` declares (an absent one at its
        default), for reading arguments as the subgraphs will; RequestError when they do not
        fit."""
        return self._coerced(operation.definition, variables)

    def _coerced(
        self, definition: OperationDefinitionNode, variables: Mapping[str, Any]
    ) -> dict[str, Any]:
        values = get_variable_values(
            self.schema, definition.variable_definitions or (), dict(variables)
        )
        if isinstance(values, list):
            raise RequestError(
                values[0].message,
                BAD_USER_INPUT,
                more=[problem.message for problem in values[1:]],
            )
        return values.coerced

    def possible(self, type_name: str) -> set[str]:
        """The concrete types an object of `type_name` may be."""
        return self.planner.possible(type_name)

    def collect(
        self, operation: Operation, selections: list[Selection], type_name: str
    ) -> list[CollectedField]:
        """The fields an object of concrete type `type_name` gets from `selections`."""
        return operation.collect(selections, type_name, self.planner.possible)

    async def run(
        self,
        prepared: PreparedOperation,
        variables: dict[str, Any],
        transport: Transport | None = None,
        *,
        requester: Requester | None = None,
    ) -> dict[str, Any]:
        """Run a prepared operation through the execute and shape stages, the root
        introspection fields answered in between; `variables` as the client sent them, for
        the subgraphs; with `requester`, on whose behalf; `transport`, another way to the
        subgraphs for this run."""
        execution = await self.executor.execute(
            prepared.plan, variables, requester, transport=transport
        )
        found, problems = await self.introspect(prepared.operation, variables)
        execution.data.update(found)
        execution.errors.extend(problems)
        return self.shaper.respond(prepared.operation, execution.data, execution.errors)

    async def introspect(
        self, operation: Operation, variables: dict[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The root `__schema` and `__type` fields' data, and their errors."""
        return await introspect(self.schema, operation, self.planner.possible, variables)

    async def aclose(self) -> None:
        await self.transport.aclose()
