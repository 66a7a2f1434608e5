"""The selection set a fetch sends, while the planner is still adding to it.

Each fetch has one `SelectionBuilder` per object position: fields by response
key, with what lies below them, and a branch per type condition. The planner
adds fields as it walks the operation (the client's, and the keys and
`@requires` fields it needs itself); when the plan is done, the builder is
printed once into the fetch's document (planning/documents.py) and the parts
the executor needs (which keys come back renamed, which belong to the client)
are frozen into the plan. Nothing reads a builder after that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ArgumentNode, VariableNode, print_ast
from graphql.language import Visitor, visit

from creditgraph.gateway.aliases import is_reserved
from creditgraph.gateway.plan import WireKeys

TYPENAME = "__typename"


@dataclass(slots=True, eq=False)
class BuiltField:
    name: str
    arguments: tuple[ArgumentNode, ...]
    child: SelectionBuilder | None
    # the key the subgraph is asked to answer under, when it is not the response key: two
    # type conditions may select one response key with types the subgraph cannot merge
    wire_key: str | None = None


@dataclass(slots=True, eq=False)
class SelectionBuilder:
    """The selection one fetch sends for one object position."""

    fields: dict[str, BuiltField] = field(default_factory=dict)
    fragments: dict[str, SelectionBuilder] = field(default_factory=dict)
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
            found = BuiltField(name, arguments, SelectionBuilder() if composite else None, wire_key)
            self.fields[response_key] = found
        return found

    def typename(self) -> None:
        self.field(TYPENAME, TYPENAME, (), composite=False)

    def fragment(self, type_condition: str) -> SelectionBuilder:
        found = self.fragments.get(type_condition)
        if found is None:
            found = self.fragments[type_condition] = SelectionBuilder(exclusive=True)
        return found

    # -- when the plan is done -----------------------------------------------------------

    def print_or_typename(self) -> str:
        """The selection as text, never empty (a position the client asked nothing of)."""
        if not self.fields and not self.fragments:
            self.typename()
        parts: list[str] = []
        for key, built in self.fields.items():
            wire_key = built.wire_key or key
            text = wire_key if wire_key == built.name else f"{wire_key}: {built.name}"
            if built.arguments:
                text += "(" + print_arguments(built.arguments, ordered=False) + ")"
            if built.child is not None:
                text += " " + built.child.print_or_typename()
            parts.append(text)
        for type_condition, builder in self.fragments.items():
            parts.append(f"... on {type_condition} {builder.print_or_typename()}")
        return "{ " + " ".join(parts) + " }"

    def wire_keys(self) -> WireKeys | None:
        """What comes back under a wire key, here or below; None when nothing does."""
        fields = tuple(
            (key, built.wire_key, None if built.child is None else built.child.wire_keys())
            for key, built in self.fields.items()
        )
        fragments = tuple(
            found for found in (item.wire_keys() for item in self.fragments.values()) if found
        )
        renamed = tuple(entry for entry in fields if entry[1] is not None or entry[2] is not None)
        if not renamed and not fragments:
            return None
        return WireKeys(renamed, fragments)

    def client_keys(self) -> tuple[str, ...]:
        """The client's response keys directly here and in the type conditions, in order."""
        keys: dict[str, None] = {}
        for builder in (self, *self.fragments.values()):
            keys.update(
                (key, None) for key in builder.fields if key != TYPENAME and not is_reserved(key)
            )
        return tuple(keys)

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


def print_arguments(arguments: tuple[ArgumentNode, ...], *, ordered: bool = True) -> str:
    """Arguments as text: sorted, to tell whether two selections of a field agree; else as
    written, for a document."""
    printed = [f"{argument.name.value}: {print_ast(argument.value)}" for argument in arguments]
    return ", ".join(sorted(printed) if ordered else printed)


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
