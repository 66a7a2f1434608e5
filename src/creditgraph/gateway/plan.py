"""A query plan: the subgraph fetches one operation needs, and their order.

A plan is a list of stages run one after another (a query has one stage; a
mutation has one per run of root fields on the same subgraph, because the
spec runs mutation fields in order). A stage is a set of `Fetch`es forming a
directed acyclic graph: a fetch starts when every fetch it depends on is
done. A root fetch asks a subgraph for root fields; an entity fetch finds the
objects at its `path` in the merged response, sends their representations to
the subgraph's `_entities` field and merges what comes back into them.

A plan holds only text and small structures: it is built once per
(document, operation, conditions) and shared by every request that matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import ArgumentNode, VariableNode, print_ast
from graphql.language import Visitor, visit


@dataclass(frozen=True, slots=True)
class PathStep:
    """One step down the response: read `key`; when `only` is set, from objects of those types."""

    key: str
    only: frozenset[str] | None = None


@dataclass(slots=True, eq=False)
class Shape:
    """Where a representation's fields live in the merged response.

    The planner requests key and `@requires` fields under their own names,
    or under an internal alias when the client already uses that name for
    something else; the shape remembers which, so representations are built
    from the right keys.
    """

    fields: list[tuple[str, str, Shape | None]] = field(default_factory=list)
    by_type: dict[str, Shape] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class BuiltField:
    name: str
    arguments: tuple[ArgumentNode, ...]
    child: Builder | None
    # the key the subgraph is asked to answer under, when it is not the response key: two
    # type conditions may select one response key with types the subgraph cannot merge
    wire_key: str | None = None


@dataclass(slots=True, eq=False)
class Builder:
    """The selection set one fetch sends for one object position."""

    fields: dict[str, BuiltField] = field(default_factory=dict)
    fragments: dict[str, Builder] = field(default_factory=dict)
    # a type condition's selection, beside others on other types under the same position
    exclusive: bool = False

    def field(
        self,
        response_key: str,
        name: str,
        arguments: tuple[ArgumentNode, ...],
        composite: bool,
        wire_key: str | None = None,
    ) -> BuiltField:
        found = self.fields.get(response_key)
        if found is None:
            found = BuiltField(name, arguments, Builder() if composite else None, wire_key)
            self.fields[response_key] = found
        return found

    def typename(self) -> None:
        self.field("__typename", "__typename", (), composite=False)

    def fragment(self, type_condition: str) -> Builder:
        found = self.fragments.get(type_condition)
        if found is None:
            found = self.fragments[type_condition] = Builder(exclusive=True)
        return found

    def print(self) -> str:
        parts: list[str] = []
        for key, built in self.fields.items():
            wire_key = built.wire_key or key
            text = wire_key if wire_key == built.name else f"{wire_key}: {built.name}"
            if built.arguments:
                text += (
                    "("
                    + ", ".join(
                        f"{argument.name.value}: {print_ast(argument.value)}"
                        for argument in built.arguments
                    )
                    + ")"
                )
            if built.child is not None:
                text += " " + built.child.print_or_typename()
            parts.append(text)
        for type_condition, builder in self.fragments.items():
            parts.append(f"... on {type_condition} {builder.print_or_typename()}")
        return "{ " + " ".join(parts) + " }"

    def print_or_typename(self) -> str:
        """A selection set that is never empty (a position the client asked nothing of)."""
        if not self.fields and not self.fragments:
            self.typename()
        return self.print()

    def renames(self) -> bool:
        """Whether any field here or below answers under a wire key of its own."""
        return any(
            built.wire_key is not None or (built.child is not None and built.child.renames())
            for built in self.fields.values()
        ) or any(builder.renames() for builder in self.fragments.values())

    def restore(self, answer: Any) -> None:
        """Put the fields of a subgraph's answer that came under wire keys back under their
        response keys, so that everything downstream reads one naming."""
        if isinstance(answer, list):
            for item in answer:
                self.restore(item)
            return
        if not isinstance(answer, dict):
            return
        for key, built in self.fields.items():
            if built.wire_key is not None and built.wire_key in answer:
                answer[key] = answer.pop(built.wire_key)
            if built.child is not None:
                built.child.restore(answer.get(key))
        for builder in self.fragments.values():
            builder.restore(answer)

    def variables(self) -> set[str]:
        found: set[str] = set()
        for built in self.fields.values():
            for argument in built.arguments:
                found |= _variables_in(argument)
            if built.child is not None:
                found |= built.child.variables()
        for builder in self.fragments.values():
            found |= builder.variables()
        return found


@dataclass(slots=True, eq=False)
class EntityTarget:
    """How objects of one type at a fetch's path become representations."""

    representation_type: str
    key: Shape
    requires: Shape | None = None


@dataclass(eq=False)
class Fetch:
    id: int
    graph: str
    path: tuple[PathStep, ...]
    builder: Builder = field(default_factory=Builder)
    entity: bool = False
    targets: dict[str, EntityTarget] = field(default_factory=dict)
    depends_on: set[Fetch] = field(default_factory=set)
    operation_kind: str = "query"
    document: str = ""
    variable_names: tuple[str, ...] = ()
    # the client's variables this fetch uses, declared as the operation declares them
    variable_definitions: tuple[str, ...] = ()
    selection_text: str = ""
    # whether the answer must have wire keys renamed back (`Builder.restore`)
    renames: bool = False

    def __hash__(self) -> int:
        return self.id

    def ancestors(self) -> set[Fetch]:
        seen: set[Fetch] = set()
        stack = list(self.depends_on)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(current.depends_on)
        return seen


@dataclass(eq=False)
class Plan:
    stages: list[list[Fetch]]

    def fetches(self) -> list[Fetch]:
        return [fetch for stage in self.stages for fetch in stage]

    def describe(self) -> str:
        """The plan as text, one fetch per line: for tests and for people reading logs."""
        lines = []
        for number, stage in enumerate(self.stages):
            lines.append(f"stage {number}")
            for fetch in stage:
                after = ",".join(
                    str(other.id) for other in sorted(fetch.depends_on, key=lambda other: other.id)
                )
                where = ".".join(step.key for step in fetch.path) or "root"
                kind = "entities" if fetch.entity else fetch.operation_kind
                lines.append(
                    f"  #{fetch.id} {fetch.graph} {kind} at {where}"
                    + (f" after {after}" if after else "")
                    + f": {fetch.selection_text}"
                )
        return "\n".join(lines)


class _VariableFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.found.add(node.name.value)


def _variables_in(argument: ArgumentNode) -> set[str]:
    finder = _VariableFinder()
    visit(argument, finder)
    return finder.found
