"""A query plan: the subgraph fetches one operation needs, and their order, as plain data.

A plan is a tuple of stages run one after another (a query has one stage; a
mutation has one per run of root fields on the same subgraph, because the
spec runs mutation fields in order). A stage is a set of `Fetch`es forming a
directed acyclic graph: a fetch starts when every fetch it depends on is
done. A root fetch asks a subgraph for root fields; an entity fetch finds the
objects at its `path` in the merged response, sends their representations to
the subgraph's `_entities` field and merges what comes back into them.

Everything here is frozen: the planner (gateway/planning/) builds a plan once
per (document, operation, conditions), and every request that matches runs
the same plan, so nothing that runs it may change it, and nothing in it points
back at the planner's working state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NO_TYPES: Mapping[str, FieldSet] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PathStep:
    """One step down the response: read `key`; when `only` is set, from objects of those types."""

    key: str
    only: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class FieldSet:
    """Where a representation's fields (a key, a `@requires`) live in the merged response.

    The planner requests key and `@requires` fields under their own names, or under
    an internal alias when the client already uses that name for something else;
    each entry is (field name, response key, the field set below it), so
    representations are built from the right keys. An abstract position has one
    field set per concrete type instead (`by_type`).
    """

    fields: tuple[tuple[str, str, FieldSet | None], ...] = ()
    by_type: Mapping[str, FieldSet] = field(default_factory=lambda: _NO_TYPES)


@dataclass(frozen=True, slots=True)
class WireKeys:
    """The fields of a fetch's selection that a subgraph answers under a key of their own.

    Two type conditions may select one response key with types a subgraph cannot
    merge, so the planner asks for one of them under a wire key; `restore` puts the
    answers back under their response keys, so that everything downstream reads
    one naming. Entries: (response key, wire key or None, what lies below).
    """

    fields: tuple[tuple[str, str | None, WireKeys | None], ...]
    fragments: tuple[WireKeys, ...]

    def restore(self, answer: Any) -> None:
        if isinstance(answer, list):
            for item in answer:
                self.restore(item)
            return
        if not isinstance(answer, dict):
            return
        for key, wire_key, below in self.fields:
            if wire_key is not None and wire_key in answer:
                answer[key] = answer.pop(wire_key)
            if below is not None:
                below.restore(answer.get(key))
        for fragment in self.fragments:
            fragment.restore(answer)


@dataclass(frozen=True, slots=True)
class EntityTarget:
    """How objects of one type at a fetch's path become representations."""

    representation_type: str
    key: FieldSet
    requires: FieldSet | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Fetch:
    """One request's worth of work for one subgraph, ready to send."""

    id: int
    graph: str
    path: tuple[PathStep, ...]
    entity: bool
    operation_kind: str
    # the ids of the fetches of the same stage that must be done first
    depends_on: frozenset[int]
    # for an entity fetch: per type of object at `path`, how it becomes a representation
    targets: Mapping[str, EntityTarget]
    # the selection set sent (under `_entities` for an entity fetch), and the whole document
    selection_text: str
    document: str
    # the client's variables this fetch uses, and their definitions as the operation has them
    variable_names: tuple[str, ...]
    variable_definitions: tuple[str, ...]
    # the client's response keys this fetch answers: where a SUBGRAPH_UNAVAILABLE error goes
    visible_keys: tuple[str, ...]
    # None when the subgraph answers everything under its response key
    wire_keys: WireKeys | None


@dataclass(frozen=True, slots=True)
class Plan:
    stages: tuple[tuple[Fetch, ...], ...]

    def fetches(self) -> tuple[Fetch, ...]:
        return tuple(fetch for stage in self.stages for fetch in stage)

    def describe(self) -> str:
        """The plan as text, one fetch per line: for tests and for people reading logs."""
        lines = []
        for number, stage in enumerate(self.stages):
            lines.append(f"stage {number}")
            for fetch in stage:
                after = ",".join(str(other) for other in sorted(fetch.depends_on))
                where = ".".join(step.key for step in fetch.path) or "root"
                kind = "entities" if fetch.entity else fetch.operation_kind
                lines.append(
                    f"  #{fetch.id} {fetch.graph} {kind} at {where}"
                    + (f" after {after}" if after else "")
                    + f": {fetch.selection_text}"
                )
        return "\n".join(lines)
