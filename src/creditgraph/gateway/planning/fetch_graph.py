"""The fetch dependency graph, as the planner grows it.

Each stage of a plan is a set of fetches with the fetches each depends on.
Root fields of one subgraph share the stage's root fetch of that subgraph;
entity fetches are indexed by (subgraph, path), so every jump to one
subgraph at one path joins the same fetch, and each plan step calls
`_entities` once per subgraph, unless joining would make a cycle or
representations would need one `@requires` field with two sets of arguments.
The graph holds `FetchNode`s, the planner's working state; planning/documents.py
turns them into the plan's frozen `Fetch`es.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from creditgraph.gateway.plan import FieldSet, PathStep
from creditgraph.gateway.planning.selection import SelectionBuilder


@dataclass(slots=True, eq=False)
class TargetBuilder:
    """How objects of one type become representations, while `@requires` may still grow."""

    representation_type: str
    key: FieldSetBuilder
    requires: FieldSetBuilder | None = None


@dataclass(slots=True, eq=False)
class FieldSetBuilder:
    """A field set's places in the merged response, while the planner collects them."""

    fields: list[tuple[str, str, FieldSetBuilder | None]] = field(default_factory=list)
    by_type: dict[str, FieldSetBuilder] = field(default_factory=dict)

    def frozen(self) -> FieldSet:
        return FieldSet(
            tuple(
                (name, key, None if below is None else below.frozen())
                for name, key, below in self.fields
            ),
            MappingProxyType(
                {type_name: found.frozen() for type_name, found in self.by_type.items()}
            ),
        )

    def conflicts(self, other: FieldSetBuilder) -> bool:
        """Whether two field sets put different selections of one field under one name."""
        keys = {name: (response_key, child) for name, response_key, child in self.fields}
        for name, response_key, child in other.fields:
            found = keys.get(name)
            if found is None:
                continue
            if found[0] != response_key:
                return True
            if found[1] is not None and child is not None and found[1].conflicts(child):
                return True
        return any(
            type_name in self.by_type and self.by_type[type_name].conflicts(inner)
            for type_name, inner in other.by_type.items()
        )

    def merge(self, other: FieldSetBuilder) -> None:
        names = {name for name, _, _ in self.fields}
        self.fields.extend(entry for entry in other.fields if entry[0] not in names)
        for type_name, inner in other.by_type.items():
            found = self.by_type.get(type_name)
            if found is None:
                self.by_type[type_name] = inner
            else:
                found.merge(inner)


@dataclass(eq=False)
class FetchNode:
    id: int
    graph: str
    path: tuple[PathStep, ...]
    operation_kind: str
    entity: bool = False
    selection: SelectionBuilder = field(default_factory=SelectionBuilder)
    targets: dict[str, TargetBuilder] = field(default_factory=dict)
    depends_on: set[FetchNode] = field(default_factory=set)

    def __hash__(self) -> int:
        return self.id

    def ancestors(self) -> set[FetchNode]:
        seen: set[FetchNode] = set()
        stack = list(self.depends_on)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(current.depends_on)
        return seen

    def target(self, data_type: str, target: TargetBuilder) -> None:
        """Objects of `data_type` go as `target` says; a second `@requires` joins the first."""
        found = self.targets.get(data_type)
        if found is None:
            self.targets[data_type] = target
        elif target.requires is not None:
            if found.requires is None:
                found.requires = target.requires
            else:
                found.requires.merge(target.requires)


class FetchGraph:
    """The stages and fetches of one plan being built."""

    def __init__(self, operation_kind: str) -> None:
        self.operation_kind = operation_kind
        self.stages: list[list[FetchNode]] = []
        # the current stage's fetches, and its root fetch per subgraph
        self.current: list[FetchNode] = []
        self.roots: dict[str, FetchNode] = {}
        self._entities: dict[tuple[str, tuple[PathStep, ...]], list[FetchNode]] = {}
        self._next_id = 0

    def start_stage(self) -> None:
        self.current = []
        self.roots = {}
        self.stages.append(self.current)

    def root(self, graph: str) -> FetchNode:
        """The stage's fetch of root fields from `graph`, shared by all of them."""
        found = self.roots.get(graph)
        if found is None:
            found = self.roots[graph] = self._new(graph, (), self.operation_kind)
        return found

    def graphs_at(self, path: tuple[PathStep, ...]) -> set[str]:
        """The subgraphs that already have an entity fetch at `path`."""
        return {graph for graph, at in self._entities if at == path}

    def entity(
        self,
        graph: str,
        path: tuple[PathStep, ...],
        suppliers: set[FetchNode],
        data_type: str,
        requires: FieldSetBuilder | None,
    ) -> FetchNode:
        """The entity fetch of `graph` at `path` the new fields join, after `suppliers`.

        An existing one serves when joining it makes no cycle and its representations
        can carry the new `@requires` fields: one representation has one `price`, so
        `price(currency: "USD")` and `price(currency: "EUR")` need two fetches.
        """
        for candidate in self._entities.get((graph, path), []):
            if any(
                candidate is supplier or candidate in supplier.ancestors() for supplier in suppliers
            ):
                continue
            target = candidate.targets.get(data_type)
            earlier = target.requires if target is not None else None
            if requires is not None and earlier is not None and earlier.conflicts(requires):
                continue
            found = candidate
            break
        else:
            found = self._new(graph, path, "query", entity=True)
            self._entities.setdefault((graph, path), []).append(found)
        found.depends_on |= suppliers
        return found

    def _new(
        self, graph: str, path: tuple[PathStep, ...], kind: str, *, entity: bool = False
    ) -> FetchNode:
        fetch = FetchNode(id=self._next_id, graph=graph, path=path, operation_kind=kind)
        fetch.entity = entity
        self._next_id += 1
        self.current.append(fetch)
        return fetch
