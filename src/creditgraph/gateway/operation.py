"""A client operation reduced to what planning and response shaping need.

Named fragments are inlined, `@skip` and `@include` are decided from the
variables, and the result is a small tree of `Field`s and `Fragment`s. Each
named fragment is normalised once and that one `Fragment` stands for every
spread of it (the tree shares it rather than copying it), so normalising is
linear in the document even when fragments spread each other many times over;
the limits (limits.py) have already bounded what the expansion would be. The
decisions depend only on the boolean values of the variables that `@skip`
and `@include` read, so a plan made for one request serves every request
whose document, operation name and those booleans are the same: that tuple
is the plan cache's key (`condition_key`).

`collect` is the GraphQL spec's CollectFields for one concrete type: which
response keys an object of that type gets, with their merged selections (a
named fragment met again is skipped, as the spec's visitedFragments says). The
planner and the response shaper both use it, and it is memoised on the
operation, so a cached operation pays for it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
)

from creditgraph.gateway.errors import OPERATION_NOT_FOUND, RequestError


@dataclass(slots=True, eq=False)
class Field:
    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    selections: list[Selection] | None


@dataclass(slots=True, eq=False)
class Fragment:
    type_condition: str | None
    selections: list[Selection]


Selection = Field | Fragment


@dataclass(slots=True, eq=False)
class CollectedField:
    """One response key of an object: the field and every selection merged under it."""

    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    selections: list[Selection] | None

    def sub_selections(self) -> list[Selection]:
        return self.selections or []


PossibleTypes = Callable[[str], set[str]]


@dataclass(eq=False)
class Operation:
    """One operation of a document, with its conditions decided."""

    kind: str  # "query" | "mutation" | "subscription"
    name: str | None
    selections: list[Selection]
    variable_definitions: dict[str, VariableDefinitionNode]
    definition: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    _collected: dict[tuple[int, str], list[CollectedField]] = field(default_factory=dict)

    def collect(
        self, selections: list[Selection], type_name: str, possible: PossibleTypes
    ) -> list[CollectedField]:
        key = (id(selections), type_name)
        found = self._collected.get(key)
        if found is None:
            found = collect(selections, type_name, possible)
            self._collected[key] = found
        return found


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        raise RequestError(
            "the document holds several operations: say which one with operationName",
            OPERATION_NOT_FOUND,
        )
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise RequestError(f"unknown operation named {operation_name!r}", OPERATION_NOT_FOUND)


def condition_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables any `@skip`/`@include` in the document reads, in a fixed order."""
    found: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            found.add(argument.value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode):
                visit(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            visit(definition.selection_set)
    return tuple(sorted(found))


def condition_key(names: tuple[str, ...], variables: Mapping[str, Any]) -> tuple[bool, ...]:
    return tuple(bool(variables.get(name)) for name in names)


def normalize(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> Operation:
    definition = select_operation(document, operation_name)
    fragments = {
        item.name.value: item
        for item in document.definitions
        if isinstance(item, FragmentDefinitionNode)
    }

    def included(directives: Iterable[DirectiveNode] | None) -> bool:
        for directive in directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = False
            for argument in directive.arguments or ():
                if argument.name.value != "if":
                    continue
                value = argument.value
                if isinstance(value, BooleanValueNode):
                    condition = value.value
                elif isinstance(value, VariableNode):
                    condition = bool(variables.get(value.name.value))
            if (name == "skip") == condition:
                return False
        return True

    # each named fragment, normalised once (the variables are fixed for this operation)
    spread: dict[str, Fragment] = {}

    def convert(selection_set: SelectionSetNode) -> list[Selection]:
        converted: list[Selection] = []
        for selection in selection_set.selections:
            if not included(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                converted.append(
                    Field(
                        response_key=(selection.alias or selection.name).value,
                        name=selection.name.value,
                        arguments=tuple(selection.arguments or ()),
                        selections=(
                            convert(selection.selection_set) if selection.selection_set else None
                        ),
                    )
                )
            elif isinstance(selection, InlineFragmentNode):
                converted.append(
                    Fragment(
                        type_condition=(
                            selection.type_condition.name.value
                            if selection.type_condition
                            else None
                        ),
                        selections=convert(selection.selection_set),
                    )
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                found = spread.get(name)
                if found is None:
                    fragment = fragments[name]
                    found = Fragment(
                        type_condition=fragment.type_condition.name.value,
                        selections=convert(fragment.selection_set),
                    )
                    spread[name] = found
                converted.append(found)
        return converted

    return Operation(
        kind=definition.operation.value,
        name=definition.name.value if definition.name else None,
        selections=convert(definition.selection_set),
        variable_definitions={
            item.variable.name.value: item for item in definition.variable_definitions or ()
        },
        definition=definition,
        fragments=fragments,
    )


def collect(
    selections: list[Selection], type_name: str, possible: PossibleTypes
) -> list[CollectedField]:
    """The fields an object of concrete type `type_name` gets, merged by response key."""
    merged: dict[str, CollectedField] = {}
    visited: set[int] = set()

    def visit(items: list[Selection]) -> None:
        for item in items:
            if isinstance(item, Field):
                found = merged.get(item.response_key)
                if found is None:
                    merged[item.response_key] = CollectedField(
                        response_key=item.response_key,
                        name=item.name,
                        arguments=item.arguments,
                        selections=list(item.selections) if item.selections is not None else None,
                    )
                elif item.selections is not None and found.selections is not None:
                    found.selections.extend(item.selections)
            elif id(item) not in visited and (
                item.type_condition is None
                or item.type_condition == type_name
                or type_name in possible(item.type_condition)
            ):
                visited.add(id(item))
                visit(item.selections)

    visit(selections)
    return list(merged.values())
