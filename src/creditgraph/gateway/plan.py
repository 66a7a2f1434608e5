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


@dataclass(slots=True, eq=False)
class Builder:
    """The selection set one fetch sends for one object position."""

    fields: dict[str, BuiltField] = field(default_factory=dict)
    fragments: dict[str, Builder] = field(default_factory=dict)

    def field(
        self, response_key: str, name: str, arguments: tuple[ArgumentNode, ...], composite: bool
    ) -> BuiltField:
        found = self.fields.get(response_key)
        if found is None:
            found = BuiltField(name, arguments, Builder() if composite else None)
            self.fields[response_key] = found
        return found

    def typename(self) -> None:
        self.field("__typename", "__typename", (), composite=False)

    def fragment(self, type_condition: str) -> Builder:
        found = self.fragments.get(type_condition)
        if found is None:
            found = self.fragments[type_condition] = Builder()
        return found

    def print(self) -> str:
        parts: list[str] = []
        for key, built in self.fields.items():
            text = key if key == built.name else f"{key}: {built.name}"
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
    introspection: bool = False

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
