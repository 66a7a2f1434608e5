"""The planner as the gateway calls it (gateway/planning/), without a database or a subgraph.

`Planner.plan` turns an operation into a plan, or a `PlanningError` when the
supergraph gives no way to answer it. Each part of the planner has its own test
module, tests/test_planning_<module>.py.
"""

from __future__ import annotations

import pytest
from graphql import parse

from creditgraph.gateway.operation import normalize
from creditgraph.gateway.planning import Planner, PlanningError
from tests.test_plan import _gateway


def test_a_field_no_subgraph_resolves_is_a_planning_error() -> None:
    planner = Planner(_gateway().supergraph)
    with pytest.raises(PlanningError, match=r"no subgraph resolves Query\.nothing"):
        planner.plan(normalize(parse("{ nothing }"), None, {}))
