"""The plan stage's seam (gateway/stages/plan.py), without a database or a subgraph.

The stage is the query planner as a request meets it: a plan for an operation it can
answer, and for one it cannot, the request error QUERY_PLANNING_FAILED the client is told,
never the planner's own exception; each plan is a trace span saying how many fetches it
took, or that it failed. (The plans themselves: tests/test_plan.py.)
"""

from __future__ import annotations

import pytest
from graphql import parse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from creditgraph.gateway import Supergraph
from creditgraph.gateway.errors import RequestError
from creditgraph.gateway.operation import Operation, normalize
from creditgraph.gateway.planning import Planner
from creditgraph.gateway.stages.plan import Planning, PlanStage
from tests.test_stages_authorise import NO_PLAN
from tests.test_tracing import spans

__all__ = ["spans"]  # the fixture: tracing on, every finished span kept

# as NO_PLAN, but A resolves the key B's `text` is fetched by
PLANNABLE = NO_PLAN.replace("@join__field(graph: A, external: true)", "@join__field(graph: A)")


def _stage(supergraph: str = PLANNABLE) -> PlanStage:
    return Planning(Planner(Supergraph(supergraph)))


def _operation(query: str) -> Operation:
    return normalize(parse(query), None, {})


def test_a_plan_fetches_the_root_then_the_entity_by_the_key_the_root_gave() -> None:
    plan = _stage().plan(_operation("{ chat { text } }"))
    assert [(fetch.graph, fetch.entity) for fetch in plan.fetches()] == [
        ("A", False),
        ("B", True),
    ]


def test_an_operation_with_no_plan_is_a_request_error_with_its_code() -> None:
    with pytest.raises(RequestError) as refused:
        _stage(NO_PLAN).plan(_operation("{ chat { text } }"))
    assert refused.value.code == "QUERY_PLANNING_FAILED"
    assert refused.value.formatted()[0]["extensions"]["code"] == "QUERY_PLANNING_FAILED"


def test_each_plan_is_a_span_with_its_fetches_or_the_code_it_failed_with(
    spans: InMemorySpanExporter,
) -> None:
    _stage().plan(_operation("{ chat { text } }"))
    with pytest.raises(RequestError):
        _stage(NO_PLAN).plan(_operation("{ chat { text } }"))
    planned, failed = spans.get_finished_spans()
    assert planned.name == failed.name == "plan"
    assert planned.attributes is not None
    assert planned.attributes["creditgraph.fetches"] == 2
    assert failed.status.status_code is StatusCode.ERROR
    assert "creditgraph.fetches" not in (failed.attributes or {})
    # the code, never the exception's message (it may hold what the client sent)
    assert failed.status.description == "QUERY_PLANNING_FAILED"
    assert not failed.events
