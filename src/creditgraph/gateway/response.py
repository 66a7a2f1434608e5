"""Shaping the merged subgraph answers into exactly the response the client asked for.

This is the gateway's fast path. The subgraphs already completed and
serialised every value, so nothing is resolved again: one walk over the
client's selections copies the requested keys in the requested order,
answers `__typename`, picks fragments by each object's concrete type, drops
whatever the planner fetched for itself (keys, `@requires` fields), and
applies the spec's null propagation: a null in a non-null position nulls
the nearest nullable parent, with an error unless one already explains it.
It costs a dictionary lookup or two per field, where re-running graphql-core's
execution would cost ~12 µs per field.

What the walk needs of the schema and the selections is compiled once per
operation (the operation is cached with its plan, so a repeated request finds
it compiled): each object type under each selection becomes a tuple of
entries (response key, what answers it, how its value completes), with every
type wrapper, enum and abstract type read once. The walk then does no
CollectFields, no isinstance chain over GraphQL types and no path copies: an
object's place is a (parent, step) chain (gateway/tree.py), spelled out only
for an error.

Nor does it copy what is already right. The merged answers belong to the request
(decoded from the subgraphs' answers, merged in place) and nothing changes them once
shaped, so an object whose keys are already the client's, in the client's order, whose
non-null scalars are all there and whose values need nothing completed, goes into the
response as it is; likewise a list whose items all do. Most objects are: a subgraph
answers the fields it was asked in the order asked, and the planner asks them in the
client's. Only an object that needs a change is copied (from the first change up, its
parents copied in turn), and the input is never written to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Final
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationType,
    is_abstract_type,
    is_leaf_type,
)

from creditgraph.gateway.errors import INTERNAL_SERVER_ERROR, Path, error, response
from creditgraph.gateway.introspection import is_introspection
from creditgraph.gateway.operation import Operation, PossibleTypes, Selection
from creditgraph.gateway.tree import Where, spelled


class _Null(Exception):
    """A null reached a non-null position: unwind to the nearest nullable one."""

    __slots__ = ()


_NULL = _Null()

# what a position's value is, decided once per operation instead of once per value
_SCALAR, _ENUM, _LIST, _OBJECT, _ABSTRACT = range(5)
# what answers an entry of an object: the type's name, introspection, or the merged answer
_TYPENAME, _INTROSPECTION, _FIELD = range(3)
# at an abstract position: a `__typename` that names no possible type of it
_UNKNOWN: Final = "unknown"


@dataclass(slots=True, eq=False)
class _Completion:
    """How the value at one position completes: its wrappers and kind, read once.

    An object position's shape is compiled when an answer first reaches it (one per
    concrete type at an abstract position), so only what answers reach is compiled."""

    non_null: bool
    kind: int
    type_: GraphQLNamedType | None = None
    item: _Completion | None = None
    enum_values: frozenset[str] = frozenset()
    selections: list[Selection] = field(default_factory=list)
    shape: _ObjectShape | None = None
    by_type: dict[str, _ObjectShape | str] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class _ObjectShape:
    """One object type under one selection.

    `keys`: every response key in the client's order, each first copied from the merged
    answer as it is (all a nullable scalar or an introspection field needs); `rest`: the
    entries that need more, each (response key, what answers it, the type's name or how
    the value completes), whose results overwrite the copies in place (a dict keeps a
    key's position when its value is replaced).

    For an answer whose keys are `keys` already, in order: `required` reads the non-null
    scalars at once (a null among them sends it the copying way, which says where), and
    `checks` are the rest of `rest`."""

    keys: tuple[str, ...]
    rest: tuple[tuple[str, int, Any], ...]
    required: itemgetter[tuple[Any, ...]] | None
    checks: tuple[tuple[str, int, Any], ...]


class ResponseShaper:
    """Knows the API schema's field types; holds nothing per request but the compiled
    shapes of the operations still in use."""

    def __init__(self, schema: GraphQLSchema, possible: PossibleTypes) -> None:
        self.schema = schema
        self.possible = possible
        self.enum_values: dict[str, frozenset[str]] = {
            name: frozenset(type_.values)
            for name, type_ in schema.type_map.items()
            if isinstance(type_, GraphQLEnumType)
        }
        self._compiled: WeakKeyDictionary[Operation, _ObjectShape] = WeakKeyDictionary()

    def respond(
        self, operation: Operation, data: dict[str, Any], errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The GraphQL response for `data` (the shape stage: gateway/stages/shape.py)."""
        return response(self.shape(operation, data, errors), errors)

    def shape(
        self,
        operation: Operation,
        data: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        """The response's `data`: null when a null reached the root."""
        compiled = self._compiled.get(operation)
        if compiled is None:
            root = self.schema.get_root_type(OperationType(operation.kind))
            assert root is not None
            compiled = self._compiled[operation] = self._object_shape(
                operation, root, operation.selections
            )
        shaping = _Shaping(self, operation, errors)
        try:
            return shaping.object(compiled, data, None)
        except _Null:
            return None

    def _object_shape(
        self,
        operation: Operation,
        type_: GraphQLObjectType | GraphQLInterfaceType,
        selections: list[Selection],
    ) -> _ObjectShape:
        entries: list[tuple[str, int, Any]] = []
        fields = type_.fields
        for collected in operation.collect(selections, type_.name, self.possible):
            name = collected.name
            if name == "__typename":
                entries.append((collected.response_key, _TYPENAME, type_.name))
            elif is_introspection(name):
                entries.append((collected.response_key, _INTROSPECTION, None))
            else:
                completion = self._completion(fields[name].type, collected.selections or [])
                entries.append((collected.response_key, _FIELD, completion))
        rest = tuple(
            entry
            for entry in entries
            if entry[1] is _TYPENAME
            or (entry[1] is _FIELD and (entry[2].non_null or entry[2].kind is not _SCALAR))
        )
        required = tuple(
            entry[0] for entry in rest if entry[1] is _FIELD and entry[2].kind is _SCALAR
        )
        checks = tuple(
            entry for entry in rest if entry[1] is not _FIELD or entry[2].kind is not _SCALAR
        )
        # a second key, repeated, so that one alone is read as a tuple too
        getter = itemgetter(*required, required[0]) if required else None
        return _ObjectShape(tuple(entry[0] for entry in entries), rest, getter, checks)

    def _completion(self, type_: GraphQLOutputType, selections: list[Selection]) -> _Completion:
        non_null = isinstance(type_, GraphQLNonNull)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            return _Completion(non_null, _LIST, item=self._completion(type_.of_type, selections))
        if is_leaf_type(type_):
            if isinstance(type_, GraphQLEnumType):
                return _Completion(non_null, _ENUM, type_, enum_values=self.enum_values[type_.name])
            return _Completion(non_null, _SCALAR, type_)
        kind = _ABSTRACT if is_abstract_type(type_) else _OBJECT
        assert isinstance(type_, GraphQLNamedType)
        return _Completion(non_null, kind, type_, selections=selections)

    def object_shape(self, operation: Operation, completion: _Completion) -> _ObjectShape:
        """The shape of an object position's type, compiled on first use."""
        shape = completion.shape
        if shape is None:
            assert isinstance(completion.type_, GraphQLObjectType)
            shape = completion.shape = self._object_shape(
                operation, completion.type_, completion.selections
            )
        return shape

    def concrete_shape(
        self, operation: Operation, completion: _Completion, typename: str
    ) -> _ObjectShape | str:
        """The shape of an abstract position's object whose `__typename` is `typename`,
        or `_UNKNOWN` when that names no possible type of the position."""
        found = completion.by_type.get(typename)
        if found is None:
            abstract = completion.type_
            concrete = self.schema.type_map.get(typename)
            if concrete is abstract and isinstance(abstract, GraphQLInterfaceType):
                # an `@interfaceObject`'s answer, asked only for the interface's own fields
                found = self._object_shape(operation, abstract, completion.selections)
            elif (
                isinstance(concrete, GraphQLObjectType)
                and isinstance(abstract, GraphQLInterfaceType | GraphQLUnionType)
                and self.schema.is_sub_type(abstract, concrete)
            ):
                found = self._object_shape(operation, concrete, completion.selections)
            else:
                found = _UNKNOWN
            completion.by_type[typename] = found
        return found


class _Shaping:
    __slots__ = ("below", "errors", "explained", "holding", "operation", "shaper")

    def __init__(
        self, shaper: ResponseShaper, operation: Operation, errors: list[dict[str, Any]]
    ) -> None:
        self.shaper = shaper
        self.operation = operation
        self.errors = errors
        # paths with an error, and every path above one: a null there is already explained
        self.explained: set[tuple[str | int, ...]] = set()
        self.below: set[tuple[str | int, ...]] = set()
        # every object holding an error the subgraphs answered (the whole data included)
        self.holding: set[tuple[str | int, ...]] = set()
        for item in errors:
            if "path" in item:
                path = item["path"]
                self.explain(path)
                self.holding.update(tuple(path[:length]) for length in range(len(path)))

    def object(self, shape: _ObjectShape, source: dict[str, Any], where: Where) -> dict[str, Any]:
        """The completed object: `source` itself when it needs no change, else a copy."""
        if tuple(source) == shape.keys and (
            shape.required is None or None not in shape.required(source)
        ):
            return self._as_it_is(shape, source, where) if shape.checks else source
        get = source.get
        result = {key: get(key) for key in shape.keys}
        for key, what, payload in shape.rest:
            if what is _TYPENAME:
                result[key] = payload
                continue
            value = result[key]
            if value is not None and payload.kind is _SCALAR:
                continue
            try:
                result[key] = self.value(payload, value, where, key)
            except _Null:
                if payload.non_null:
                    raise
                result[key] = None
        return result

    def _as_it_is(
        self, shape: _ObjectShape, source: dict[str, Any], where: Where
    ) -> dict[str, Any]:
        """`source`, whose keys are the response's and whose non-null scalars are there,
        unless a value completes to something else: then a copy with the completed values."""
        changed: dict[str, Any] | None = None
        for key, what, payload in shape.checks:
            value = source[key]
            if what is _TYPENAME:
                if value == payload:
                    continue
                completed = payload
            else:
                try:
                    completed = self.value(payload, value, where, key)
                except _Null:
                    if payload.non_null:
                        raise
                    completed = None
                if completed is value:
                    continue
            if changed is None:
                changed = dict(source)
            changed[key] = completed
        return source if changed is None else changed

    def value(self, completion: _Completion, value: Any, parent: Where, key: str | int) -> Any:
        """The completed value at `key` under `parent`; raises `_NULL` for a null (or a
        value that completed to null) in a non-null position."""
        if value is None:
            if completion.non_null:
                self.null_error((parent, key))
                raise _NULL
            return None
        completed = self._non_null_value(completion, value, parent, key)
        if completed is None and completion.non_null:
            raise _NULL
        return completed

    def _non_null_value(
        self, completion: _Completion, value: Any, parent: Where, key: str | int
    ) -> Any:
        kind = completion.kind
        if kind is _SCALAR:
            return value
        if kind is _ENUM:
            if value not in completion.enum_values:
                name = completion.type_.name if completion.type_ is not None else "enum"
                self.errors.append(
                    error(
                        f"{name} has no value {value!r} here",
                        INTERNAL_SERVER_ERROR,
                        spelled((parent, key)),
                    )
                )
                return None
            return value
        if kind is _LIST:
            if not isinstance(value, list):
                self.errors.append(
                    error(
                        "a subgraph returned a non-list for a list field",
                        INTERNAL_SERVER_ERROR,
                        spelled((parent, key)),
                    )
                )
                return None
            return self._list(completion.item, value, (parent, key))
        if not isinstance(value, dict):
            return None
        if kind is _OBJECT:
            return self.object(
                self.shaper.object_shape(self.operation, completion), value, (parent, key)
            )
        typename = value.get("__typename")
        shape = (
            self.shaper.concrete_shape(self.operation, completion, typename)
            if isinstance(typename, str)
            else _UNKNOWN
        )
        if isinstance(shape, str):
            self.errors.append(
                error(
                    f"cannot tell which {completion.type_} this object is",
                    INTERNAL_SERVER_ERROR,
                    spelled((parent, key)),
                )
            )
            return None
        return self.object(shape, value, (parent, key))

    def _list(self, item: _Completion | None, value: list[Any], where: Where) -> list[Any]:
        """`value` itself when every item completes to itself, else a copy."""
        assert item is not None
        if item.kind is _SCALAR:
            # a list of scalars goes as it is; only a null in a non-null item is news
            if item.non_null and None in value:
                self.null_error((where, value.index(None)))
                raise _NULL
            return value
        shape = self.shaper.object_shape(self.operation, item) if item.kind is _OBJECT else None
        if shape is not None and not shape.checks:
            # objects of scalars only (a page of repayment months): when each is as it
            # should be, the list goes as it is, without a call per item
            keys, required = shape.keys, shape.required
            for element in value:
                if (
                    element.__class__ is not dict
                    or tuple(element) != keys
                    or (required is not None and None in required(element))
                ):
                    break
            else:
                return value
        items: list[Any] | None = None
        for index, element in enumerate(value):
            try:
                if shape is not None and element.__class__ is dict:
                    completed = self.object(shape, element, (where, index))
                else:
                    completed = self.value(item, element, where, index)
            except _Null:
                if item.non_null:
                    raise
                completed = None
            if items is not None:
                items.append(completed)
            elif completed is not element:
                items = value[:index]
                items.append(completed)
        return value if items is None else items

    def null_error(self, where: Where) -> None:
        """Explain a null in a non-null position, unless an error at, above or below it does,
        or an error a subgraph answered anywhere in the object holding it: that object is
        nulled by the null, and the subgraph's error there already tells the client why (a
        mutation's field whose sibling failed is not answered, as the subgraph stopped at
        the failure: its sibling's error is the one to read).

        What is left is a subgraph's fault (a null where its schema promised a value, with no
        error of its own): INTERNAL_SERVER_ERROR, like any other error of ours."""
        path = spelled(where)
        if (
            tuple(path) in self.below
            or tuple(path[:-1]) in self.holding
            or any(tuple(path[:length]) in self.explained for length in range(1, len(path)))
        ):
            return
        self.errors.append(
            error(
                f"Cannot return null for non-nullable field at {_dotted(path)}.",
                INTERNAL_SERVER_ERROR,
                path,
            )
        )
        self.explain(path)

    def explain(self, path: Path) -> None:
        self.explained.add(tuple(path))
        for length in range(1, len(path) + 1):
            self.below.add(tuple(path[:length]))


def _dotted(path: Path) -> str:
    return ".".join(str(step) for step in path)
