"""The planner as the gateway calls it (gateway/planning/), without a database or a subgraph.

`Planner.plan` turns an operation into a plan, or a `PlanningError` when the
supergraph gives no way to answer it. Each part of the planner has its own test
module: tests/test_planning_fetch_graph.py, tests/test_planning_selection.py, and
the others named after their module.
"""

from __future__ import annotations

import pytest
from graphql import parse

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.operation import normalize
from creditgraph.gateway.planning import Planner, PlanningError
from tests.test_plan import _gateway


def test_a_field_no_subgraph_resolves_is_a_planning_error() -> None:
    planner = Planner(_gateway().supergraph)
    with pytest.raises(PlanningError, match=r"no subgraph resolves Query\.nothing"):
        planner.plan(normalize(parse("{ nothing }"), None, {}))


def test_a_key_the_client_aliased_is_asked_under_the_planners_own_name() -> None:
    gateway = _gateway()
    plan = gateway.prepare('{ review(id: "r1") { author { id: name unread } } }', {}, None).plan
    root, *_ = plan.fetches()
    assert alias(PLAN, "id") in root.selection_text
    assert alias(PLAN, "id") not in root.visible_keys
