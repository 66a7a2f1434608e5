"""Plans as text: `Plan.describe()` for every federation case, against its snapshot.

The federation cases (tests/test_gateway_federation.py over tests/federation_fixtures)
check what the client gets; these snapshots pin how the gateway gets it: the
stages, the fetches of each, which subgraph, at which path, after which others,
with which selection. A change of plan shape shows up here as a readable diff,
even when every answer stays right. After a deliberate change, write the
snapshots again with `CREDITGRAPH_WRITE_PLAN_SNAPSHOTS=1` and read the diff.
No database and no subgraph is needed: planning is pure.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from types import MappingProxyType

import pytest

from creditgraph.gateway import plan
from creditgraph.gateway.composition import compose
from creditgraph.gateway.engine import Gateway
from creditgraph.gateway.errors import RequestError
from creditgraph.gateway.supergraph import Supergraph
from creditgraph.gateway.transports import InProcessTransport
from tests.federation_fixtures import SCHEMAS
from tests.test_gateway_federation import (
    _SPOTLIGHT_AS_APOLLO_COMPOSES,
    _SPOTLIGHT_AS_COMPOSED,
    CASES,
)

SNAPSHOTS = Path(__file__).parent / "federation_fixtures" / "plans.txt"
WRITE = os.environ.get("CREDITGRAPH_WRITE_PLAN_SNAPSHOTS") == "1"


def _gateway() -> Gateway:
    composed = compose(
        {name: schema.as_str() for name, schema in SCHEMAS.items()},
        {name: f"http://{name}.invalid/graphql" for name in SCHEMAS},
    )
    composed = composed.replace(_SPOTLIGHT_AS_COMPOSED, _SPOTLIGHT_AS_APOLLO_COMPOSES)
    return Gateway(Supergraph(composed), InProcessTransport(SCHEMAS, pool=None))  # type: ignore[arg-type]


def _described(gateway: Gateway, query: str, variables: dict[str, object] | None) -> str:
    try:
        return gateway.prepare(query, variables or {}, None).plan.describe()
    except RequestError as exc:
        return f"refused: {exc.code}"


def _snapshots() -> dict[str, str]:
    found: dict[str, str] = {}
    for block in SNAPSHOTS.read_text(encoding="utf-8").split("\n## ")[1:]:
        case_id, _, text = block.partition("\n")
        found[case_id] = text.rstrip("\n")
    return found


def _written(described: dict[str, str]) -> str:
    header = "# Plan.describe() of each federation case (tests/test_plan.py)\n"
    return header + "".join(f"\n## {key}\n{text}\n" for key, text in described.items())


def test_every_case_plans_as_its_snapshot_says() -> None:
    gateway = _gateway()
    described = {case.id: _described(gateway, case.query, case.variables) for case in CASES}
    if WRITE:
        SNAPSHOTS.write_text(_written(described), encoding="utf-8")
    expected = _snapshots()
    assert expected.keys() == described.keys(), "cases and snapshots differ: write them again"
    for case_id, text in described.items():
        assert text == expected[case_id], case_id


def test_the_snapshots_are_plans_with_stages_and_fetches() -> None:
    # a snapshot file of empty or refused plans would pass the test above and pin nothing
    snapshots = _snapshots()
    planned = [text for text in snapshots.values() if text.startswith("stage 0\n  #0 ")]
    assert len(planned) >= 0.9 * len(snapshots)
    assert any(" entities at " in text and " after " in text for text in planned)


def _plain(value: object, seen: set[int]) -> list[str]:
    """What in `value` is not frozen plain data: the executor must not be able to change a
    plan, and nothing in one may point back at the planner's working state."""
    if isinstance(value, str | int | bool | type(None)):
        return []
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, tuple | frozenset):
        return [problem for item in value for problem in _plain(item, seen)]
    if isinstance(value, MappingProxyType):
        return [problem for item in value.items() for problem in _plain(item, seen)]
    if dataclasses.is_dataclass(value) and type(value).__module__ == plan.__name__:
        if not getattr(type(value), "__dataclass_params__").frozen:  # noqa: B009
            return [type(value).__name__]
        return [
            problem
            for item in dataclasses.fields(value)
            for problem in _plain(getattr(value, item.name), seen)
        ]
    return [type(value).__name__]


def test_every_plan_is_frozen_plain_data() -> None:
    gateway = _gateway()
    for case in CASES:
        try:
            prepared = gateway.prepare(case.query, case.variables or {}, None)
        except RequestError:
            continue
        assert _plain(prepared.plan, set()) == [], case.id
    fetch = gateway.prepare(CASES[0].query, {}, None).plan.fetches()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fetch.document = "{ everything }"  # type: ignore[misc]
