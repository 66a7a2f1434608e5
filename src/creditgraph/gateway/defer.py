"""`@defer`: a query's deferred fragments delivered after the rest, over `multipart/mixed`.

A client that sends `Accept: multipart/mixed` (Apollo Client, graphql-http's and meros'
readers) with a query using `@defer` gets its answer in parts, in the incremental format
those clients read (`deferSpec=20220824`): first the response without the deferred
fragments, `{"data": …, "hasNext": true}`, then one payload with an entry per deferred
fragment and place it applies, `{"incremental": [{"data": …, "path": […], "label": …}],
"hasNext": false}`. A client that does not accept `multipart/mixed` gets the whole answer
at once, as the spec allows (`@defer` is a hint).

The deferred part is planned as a later operation, not carved out of a running one: the
first part is the client's operation with the deferred fragments removed (`initial`), run
and answered as any operation is; the later part is the whole operation, run the same way,
from whose answer each deferred fragment's fields are taken (`increments`) at each path it
applies to. Each run goes through everything any request goes through, the edition
policy above all, so no part carries a field, or a value, the requester may not see: the
deferred data is what the policy let through for the whole operation, masks applied.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from graphql import (
    DefinitionNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLString,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    print_ast,
)
from graphql.language import Visitor, visit
from graphql.utilities import value_from_ast

from creditgraph.gateway.operation import select_operation

MULTIPART = "multipart/mixed"
#: The answer's type: the boundary every part starts with, and the format of its payloads.
CONTENT_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824'
_PART = b"\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
_END = b"\r\n-----\r\n"

Fragments = Mapping[str, FragmentDefinitionNode]


def part(payload: Mapping[str, Any]) -> bytes:
    """One part of the multipart answer: its boundary, its header and its JSON."""
    return _PART + orjson.dumps(payload)


def end() -> bytes:
    """The closing boundary, after the last part."""
    return _END


def deferring(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> bool:
    """Whether the operation defers anything, its variables deciding `if:`."""
    operation = select_operation(document, operation_name)
    fragments = _fragments(document)
    return operation.operation.value == "query" and any(
        True for _ in _deferred(operation.selection_set, fragments, variables, set())
    )


def _deferred(
    selection_set: SelectionSetNode | None,
    fragments: Fragments,
    variables: Mapping[str, Any],
    seen: set[str],
) -> Iterator[SelectionNode]:
    """Every deferred fragment in the selection set and below it."""
    for selection in selection_set.selections if selection_set else ():
        if not _included(selection, variables):
            continue
        if _defers(selection, variables):
            yield selection
        if isinstance(selection, FieldNode | InlineFragmentNode):
            yield from _deferred(selection.selection_set, fragments, variables, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            found = fragments.get(selection.name.value)
            if found is not None:
                yield from _deferred(found.selection_set, fragments, variables, seen)


def initial(document: DocumentNode, variables: Mapping[str, Any]) -> str:
    """The document without its deferred fragments: what the first part answers.

    A selection set left empty asks for `__typename`; fragments and variable definitions
    only the deferred fragments used are dropped, so the document still validates.
    """
    trimmed = visit(document, _WithoutDeferred(variables))
    used = _used_fragments(trimmed)
    definitions: list[DefinitionNode] = []
    for definition in trimmed.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            if definition.name.value in used:
                definitions.append(definition)
        elif isinstance(definition, OperationDefinitionNode):
            definitions.append(_without_unused_variables(definition, trimmed))
        else:
            definitions.append(definition)
    return print_ast(replace(trimmed, definitions=tuple(definitions)))


class _WithoutDeferred(Visitor):
    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.variables = variables

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> object:
        return self.REMOVE if _defers(node, self.variables) else None

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> object:
        return self.REMOVE if _defers(node, self.variables) else None

    def leave_selection_set(self, node: SelectionSetNode, *_: object) -> object:
        if node.selections:
            return None
        return replace(node, selections=(FieldNode(name=NameNode(value="__typename")),))


def _used_fragments(document: DocumentNode) -> set[str]:
    """The fragments the document's operations spread, directly or through each other."""
    fragments = _fragments(document)
    used: set[str] = set()
    pending = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    while pending:
        for name in _spreads(pending.pop()):
            if name not in used and name in fragments:
                used.add(name)
                pending.append(fragments[name].selection_set)
    return used


def _spreads(selection_set: SelectionSetNode | None) -> Iterator[str]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            yield from _spreads(selection.selection_set)


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.found.add(node.name.value)


def _without_unused_variables(
    operation: OperationDefinitionNode, document: DocumentNode
) -> OperationDefinitionNode:
    finder = _Variables()
    fragments = _fragments(document)
    visit(operation.selection_set, finder)
    for name in _used_fragments(replace(document, definitions=(operation, *fragments.values()))):
        visit(fragments[name], finder)
    kept = tuple(
        definition
        for definition in operation.variable_definitions or ()
        if definition.variable.name.value in finder.found
    )
    return replace(operation, variable_definitions=kept)


def increments(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    answer: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The incremental entries of the whole operation's `answer`: one per deferred fragment
    and place it applies, with its fields' data there, its label, and the errors raised
    under those fields."""
    operation = select_operation(document, operation_name)
    fragments = _fragments(document)
    entries: list[dict[str, Any]] = []
    data = answer.get("data")
    if isinstance(data, dict):
        _collect(operation.selection_set, data, [], fragments, variables, entries)
    errors = [item for item in answer.get("errors") or () if isinstance(item, dict)]
    for entry in entries:
        path = entry["path"]
        keys = entry["data"].keys()
        under = [
            item
            for item in errors
            if isinstance(item.get("path"), list)
            and item["path"][: len(path)] == path
            and len(item["path"]) > len(path)
            and item["path"][len(path)] in keys
        ]
        if under:
            entry["errors"] = under
    return entries


def unplaced(
    answer: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    delivered: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The whole answer's errors that neither an entry carries nor the first part delivered.

    An error that nulled the object a deferred fragment applies to leaves that fragment no
    entry to travel in; it goes at the last payload's top level instead of being lost."""
    carried = {id(item) for entry in entries for item in entry.get("errors", ())}
    said = {_said(item) for item in delivered}
    return [
        item
        for item in answer.get("errors") or ()
        if isinstance(item, dict) and id(item) not in carried and _said(item) not in said
    ]


def _said(item: Mapping[str, Any]) -> tuple[str, str]:
    """An error as a client tells it from another: its message at its path."""
    return str(item.get("message")), repr(item.get("path"))


def _collect(
    selection_set: SelectionSetNode | None,
    value: Any,
    path: list[str | int],
    fragments: Fragments,
    variables: Mapping[str, Any],
    into: list[dict[str, Any]],
) -> None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            _collect(selection_set, item, [*path, index], fragments, variables, into)
        return
    if not isinstance(value, dict) or selection_set is None:
        return
    for selection in selection_set.selections:
        if not _included(selection, variables):
            continue
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            _collect(
                selection.selection_set, value.get(key), [*path, key], fragments, variables, into
            )
            continue
        if isinstance(selection, InlineFragmentNode):
            inner: SelectionSetNode | None = selection.selection_set
        else:
            assert isinstance(selection, FragmentSpreadNode)
            found = fragments.get(selection.name.value)
            inner = None if found is None else found.selection_set
        if _defers(selection, variables):
            keys = _keys(inner, fragments, variables)
            data = {key: value[key] for key in keys if key in value}
            if data:
                entry: dict[str, Any] = {"data": data, "path": path}
                label = _argument(selection, "defer", "label", variables)
                if isinstance(label, str):
                    entry["label"] = label
                into.append(entry)
        _collect(inner, value, path, fragments, variables, into)


def _keys(
    selection_set: SelectionSetNode | None, fragments: Fragments, variables: Mapping[str, Any]
) -> list[str]:
    """The response keys a selection set gives its object, through its fragments."""
    keys: list[str] = []
    for selection in selection_set.selections if selection_set else ():
        if not _included(selection, variables):
            continue
        if isinstance(selection, FieldNode):
            keys.append((selection.alias or selection.name).value)
        elif isinstance(selection, InlineFragmentNode):
            keys += _keys(selection.selection_set, fragments, variables)
        elif isinstance(selection, FragmentSpreadNode):
            found = fragments.get(selection.name.value)
            if found is not None:
                keys += _keys(found.selection_set, fragments, variables)
    return list(dict.fromkeys(keys))


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _defers(selection: SelectionNode, variables: Mapping[str, Any]) -> bool:
    """Whether a fragment is deferred: `@defer` on it, its `if:` not false."""
    if not isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
        return False
    return _argument(selection, "defer", "if", variables, absent=False) is not False


def _included(selection: SelectionNode, variables: Mapping[str, Any]) -> bool:
    if _argument(selection, "skip", "if", variables) is True:
        return False
    return _argument(selection, "include", "if", variables) is not False


def _argument(
    selection: SelectionNode,
    directive: str,
    name: str,
    variables: Mapping[str, Any],
    *,
    absent: object = None,
) -> Any:
    """A directive's argument on `selection`, its variable read from the (coerced)
    `variables`; `absent` when the directive is not there, None when the argument is not
    (so `@defer`'s `if` then reads as not false)."""
    for found in selection.directives or ():
        if found.name.value != directive:
            continue
        for argument in found.arguments or ():
            if argument.name.value == name:
                kind = GraphQLString if name == "label" else GraphQLBoolean
                return value_from_ast(argument.value, kind, dict(variables))
        return None
    return absent
