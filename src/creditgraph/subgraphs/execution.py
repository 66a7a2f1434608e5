"""Queries executed a level at a time: each field resolved once for all objects of a level.

graphql-core executes a query depth-first, one object at a time: every field of
every item is its own `execute_field` with its own path, resolve info and, for an
async resolver, its own chain of coroutines, and a dataloader's keys reach it over
as many event-loop turns as the items take to get there. For a subgraph answering a
report that was most of its CPU (`bench/subgraph_report.py`).

`LevelExecution` executes a query a level at a time instead. The objects known so far
are grouped by their runtime type and selection; each field of a group is worked out
once (its definition, arguments, sub-selection), then resolved for every object of
the group. Objects a group's fields give at once (read off attributes) form the next
groups, which run straight away; then all the awaitable results of the round are
awaited together (stepped in the request's own task, not a task each: `_settled`), so
every dataloader hears all of a round's keys in one batch, and their objects make the
next round. A field strawberry resolves by reading the
attribute (no resolver, no extension) is read without building resolve info or a
path; a path is built only where a resolver, a type check or an error needs one. A
field that names a level resolver (per_level.py) is resolved by one call for all the
objects of its group, one awaitable for the group instead of a coroutine, a task and a
resolve info per object; an `Exception` in its answer is that object's error, and its
own failure every object's, as each would have failed alone.

What it leaves to graphql-core, executed as if this module did not exist: mutations
(their root fields run one after another), a schema with `@defer` or `@stream`, an
operation that turns error propagation off, and middleware. Everything else is
graphql-core's own code: field collection (fragments, type conditions,
`@include`/`@skip`), argument coercion, leaf coercion, abstract type resolution and
its errors, the resolve info strawberry builds.

Errors and null propagation follow the spec as graphql-core does: an error is
located at the field or list item that raised it; a null or error where the type
forbids one nulls the nearest nullable position above it, and errors from inside a
nulled position are dropped (graphql-core's `CollectedErrors` drops the ones that
come after the null). When several fields below one position fail, each executor
reports the first it meets, graphql-core depth-first and this one a level at a
time, so not always the same one: the spec leaves the order open. The data are
graphql-core's exactly; tests/test_subgraph_execution.py holds them to it, errors
and nulls included, over documents a property test generates.
"""

from __future__ import annotations

from asyncio import Future, get_running_loop, sleep
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from functools import partial
from operator import attrgetter
from typing import Any, Final

from graphql import (
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_abstract_type,
    is_leaf_type,
    located_error,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import invalid_return_type_error, to_nodes
from graphql.execution.values import get_argument_values
from graphql.language import FieldNode
from graphql.pyutils import AwaitableOrValue, Path, Undefined, is_iterable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from creditgraph.subgraphs.per_level import LEVEL_RESOLVER, LevelResolver

_TYPENAME: Final = "__typename"
# where strawberry keeps its own definition of a GraphQL field
_DEFINITION: Final = "strawberry-definition"
# strawberry's resolver for a field it answers by reading the attribute: no resolver of
# ours, no field extension, no error handler; it takes neither info nor arguments
_ATTRIBUTE_READ: Final = "_get_basic_result"


class _Place:
    """A position of the answer that a null can land on: `container[key]`, at `path`.

    `up` is the position a null goes on to when this one may not hold it (`non_null`);
    None above a root field, where it nulls the whole answer."""

    __slots__ = ("container", "dead", "key", "non_null", "path", "up")

    def __init__(
        self,
        container: dict[str, Any] | list[Any],
        key: Any,
        non_null: bool,
        up: _Place | None,
        path: Path,
    ) -> None:
        self.container = container
        self.key = key
        self.non_null = non_null
        self.up = up
        self.path = path
        self.dead = False


class _Field:
    """One field of one group of objects, worked out once for the whole group."""

    __slots__ = ("details", "field", "key", "name", "nodes", "parent", "returns")

    def __init__(
        self,
        parent: GraphQLObjectType,
        key: str,
        details: FieldDetailsList,
        field: GraphQLField,
    ) -> None:
        self.parent = parent
        self.key = key
        self.details = details
        self.nodes: list[FieldNode] = to_nodes(details)
        self.name = self.nodes[0].name.value
        self.field = field
        self.returns: GraphQLOutputType = field.type


# one object of a level: what its fields resolve on, the dict they go in, where it sits
_Entry = tuple[Any, dict[str, Any], "_Place | None"]


class LevelExecution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, executing queries a level at a time."""

    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        manager = self.middleware_manager
        schema = self.schema
        if (
            serially
            or not self.error_propagation
            or (manager is not None and manager.middlewares)
            or schema.get_directive("defer") is not None
            or schema.get_directive("stream") is not None
        ):
            return super().execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )
        return self._levels(root_type, root_value, grouped_field_set)

    async def _levels(
        self, root_type: GraphQLObjectType, root_value: Any, grouped: GroupedFieldSet
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        # (depth of where the null landed, error, that position's path): added to
        # graphql-core's collected errors shallowest first once the answer is complete
        self._failures: list[tuple[int, GraphQLError, Path | None]] = []
        self._nulled = False  # whether any position was nulled (then entries are checked)
        self._answer_nulled = False
        self._next: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, list[_Entry]]] = {}
        self._waiting: list[tuple[Any, Callable[[Any], None]]] = []
        self._execute_group(root_type, grouped, [(root_value, data, None)])
        while True:
            # every group whose objects are known runs before anything is awaited, those
            # reached through plain attributes included, so each loader hears all their keys
            while self._next:
                ready, self._next = self._next, {}
                for (object_type, _), (details, entries) in ready.items():
                    fields = self.collect_subfields(object_type, details)[0]
                    self._execute_group(object_type, fields, entries)
            if not self._waiting:
                break
            waiting, self._waiting = self._waiting, []
            results = await _settled([pending for pending, _ in waiting])
            for (_, then), result in zip(waiting, results, strict=True):
                then(result)
        self._failures.sort(key=lambda failure: failure[0])
        if self._answer_nulled:
            raise self._failures[0][1]  # graphql-core's answer: no data, this error
        for _, error, landed in self._failures:
            self.collected_errors.add(error, landed)
        return data

    # -- a level ---------------------------------------------------------------------

    def _execute_group(
        self, object_type: GraphQLObjectType, fields: GroupedFieldSet, entries: list[_Entry]
    ) -> None:
        if self._nulled:
            entries = [entry for entry in entries if _alive(entry[2])]
        if not entries:
            return
        schema = self.schema
        for key, details in fields.items():
            first = details[0].node
            name = first.name.value
            if name == _TYPENAME:
                for _, result, _ in entries:
                    result[key] = object_type.name
                continue
            definition = schema.get_field(object_type, name)
            if definition is None:
                continue
            field = _Field(object_type, key, details, definition)
            resolve = definition.resolve or self.field_resolver
            if getattr(resolve, "__name__", None) == _ATTRIBUTE_READ and not first.arguments:
                read = _reader(definition, resolve)
                returns = field.returns
                shown = _leaf_serializer(returns)
                for source, result, place in entries:
                    try:
                        value = read(source)
                    except Exception as raw:
                        self._fail_field(field, result, place, raw)
                        continue
                    if shown is not None and value is not None:
                        # a leaf shown as it serialises; anything else (a null, a value
                        # that does not serialise) is completed the long way, with its error
                        try:
                            serialised = shown(value)
                        except Exception:  # completed again below, where its error is located
                            serialised = None
                        if serialised is not None and serialised is not Undefined:
                            result[key] = serialised
                            continue
                    self._complete(field, None, returns, result, key, place, value)
                continue
            try:
                args: dict[str, Any] | Exception = (
                    get_argument_values(
                        definition,
                        first,
                        self.variable_values,
                        details[0].fragment_variable_values,
                        self.hide_suggestions,
                    )
                    if definition.args or first.arguments
                    else {}
                )
            except Exception as raw:
                args = raw
            level = _level_resolver(definition)
            if level is not None and not isinstance(args, Exception):
                self._resolve_level(field, level, args, entries)
                continue
            for source, result, place in entries:
                path = Path(None if place is None else place.path, key, object_type.name)
                if isinstance(args, Exception):
                    self._fail_field(field, result, place, args, path)
                    continue
                info = self.build_resolve_info(definition, field.nodes, object_type, path)
                try:
                    value = resolve(source, info, **args)
                except Exception as raw:
                    self._fail_field(field, result, place, raw, path)
                    continue
                if self.is_awaitable(value):
                    result[key] = None  # holds the field's place in the answer's order
                    self._waiting.append(
                        (value, partial(self._resolved, field, info, result, place, path))
                    )
                else:
                    self._complete(field, info, field.returns, result, key, place, value, path)

    def _resolve_level(
        self,
        field: _Field,
        level: tuple[LevelResolver, StrawberryField],
        args: dict[str, Any],
        entries: list[_Entry],
    ) -> None:
        """The field of every object of the group from one call of its level resolver."""
        resolver, strawberry_field = level
        place = entries[0][2]
        path = Path(None if place is None else place.path, field.key, field.parent.name)
        info = self.build_resolve_info(field.field, field.nodes, field.parent, path)
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        config = strawberry_schema.config
        strawberry_info = config.info_class(_raw_info=info, _field=strawberry_field)
        try:
            arguments = convert_arguments(
                args,
                strawberry_field.arguments,
                scalar_registry=strawberry_schema.schema_converter.scalar_registry,
                config=config,
                info=strawberry_info,
            )
            pending = resolver([source for source, _, _ in entries], strawberry_info, **arguments)
        except Exception as raw:
            for _, result, at in entries:
                self._fail_field(field, result, at, raw)
            return
        for _, result, _ in entries:
            result[field.key] = None  # holds the field's place in the answer's order
        self._waiting.append((pending, partial(self._level_resolved, field, entries)))

    def _level_resolved(self, field: _Field, entries: list[_Entry], values: Any) -> None:
        """Each object's value from its place in the level resolver's answer (one per object,
        in order: anything else is the resolver's bug, and fails the request); its failure
        every object's error."""
        if isinstance(values, Exception):
            values = [values] * len(entries)
        for (_, result, place), value in zip(entries, values, strict=True):
            if self._nulled and not _alive(place):
                continue
            self._complete(field, None, field.returns, result, field.key, place, value)

    def _resolved(
        self,
        field: _Field,
        info: GraphQLResolveInfo[Any],
        result: dict[str, Any],
        place: _Place | None,
        path: Path,
        value: Any,
    ) -> None:
        if self._nulled and not _alive(place):
            return
        self._complete(field, info, field.returns, result, field.key, place, value, path)

    # -- completing a value ----------------------------------------------------------

    def _complete(
        self,
        field: _Field,
        info: GraphQLResolveInfo[Any] | None,
        type_: GraphQLOutputType,
        container: dict[str, Any] | list[Any],
        key: Any,
        up: _Place | None,
        value: Any,
        path: Path | None = None,
    ) -> None:
        """Puts `value`, completed as `type_`, at `container[key]`, or the null its failure
        calls for. `up` is the object or list it goes in; `path` is built when needed."""
        non_null = isinstance(type_, GraphQLNonNull)
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(value, Exception):
            self._fail(field, non_null, container, key, up, value, path)
            return
        try:
            if value is None:
                if non_null:
                    raise TypeError(  # noqa: TRY301 - graphql-core's error, located below
                        f"Cannot return null for non-nullable field {field.parent}.{field.name}."
                    )
                container[key] = None
                return
            if is_leaf_type(named):
                container[key] = self.complete_leaf_value(named, value)
                return
        except Exception as raw:
            self._fail(field, non_null, container, key, up, raw, path)
            return
        if path is None:
            path = _path_of(up, key, field)
        place = _Place(container, key, non_null, up, path)
        try:
            if isinstance(named, GraphQLList):
                self._complete_list(field, info, named, place, value)
            elif is_abstract_type(named):
                self._complete_abstract(field, info, named, place, value)
            else:
                self._complete_object(field, info, named, place, value)  # type: ignore[arg-type]
        except Exception as raw:
            self._null(place, located_error(raw, field.nodes, path.as_list()))

    def _complete_list(
        self,
        field: _Field,
        info: GraphQLResolveInfo[Any] | None,
        list_type: GraphQLList[GraphQLOutputType],
        place: _Place,
        value: Any,
    ) -> None:
        if self.is_async_iterable(value):
            self._wait(
                field,
                _collected(value),
                lambda items: self._complete_list(field, info, list_type, place, items),
                place,
            )
            return
        if not is_iterable(value):
            raise GraphQLError(
                f"Expected Iterable, but did not find one for field '{field.parent}.{field.name}'."
            )
        items = list(value)
        completed: list[Any] = [None] * len(items)
        place.container[place.key] = completed
        item_type = list_type.of_type
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        # items of an object type with no type check (most lists): each object goes straight
        # into the next level's group, as `_complete` would put it there, with fewer steps
        objects: list[_Entry] | None = None
        if items and isinstance(named, GraphQLObjectType) and named.is_type_of is None:
            group = self._next.get((named, id(field.details)))
            if group is None:
                group = self._next[(named, id(field.details))] = (field.details, [])
            objects = group[1]
        non_null = named is not item_type
        for index, item in enumerate(items):
            if (
                objects is not None
                and item is not None
                and not isinstance(item, Exception)
                and not self.is_awaitable(item)
            ):
                result: dict[str, Any] = {}
                completed[index] = result
                item_place = _Place(
                    completed, index, non_null, place, Path(place.path, index, None)
                )
                objects.append((item, result, item_place))
                continue
            if self.is_awaitable(item):
                item_path = Path(place.path, index, None)
                self._waiting.append(
                    (
                        item,
                        partial(
                            self._item_resolved,
                            field,
                            info,
                            item_type,
                            completed,
                            index,
                            place,
                            item_path,
                        ),
                    )
                )
                continue
            self._complete(field, info, item_type, completed, index, place, item)

    def _item_resolved(
        self,
        field: _Field,
        info: GraphQLResolveInfo[Any] | None,
        item_type: GraphQLOutputType,
        completed: list[Any],
        index: int,
        place: _Place,
        path: Path,
        value: Any,
    ) -> None:
        if self._nulled and not _alive(place):
            return
        self._complete(field, info, item_type, completed, index, place, value, path)

    def _complete_abstract(
        self,
        field: _Field,
        info: GraphQLResolveInfo[Any] | None,
        abstract: GraphQLAbstractType,
        place: _Place,
        value: Any,
    ) -> None:
        info = info or self._info(field, place)
        resolve_type = abstract.resolve_type or self.type_resolver
        runtime = resolve_type(value, info, abstract)

        def then(name: Any) -> None:
            runtime_type = self.ensure_valid_runtime_type(
                name, abstract, field.details, info, value
            )
            self._complete_object(field, info, runtime_type, place, value)

        if self.is_awaitable(runtime):
            self._wait(field, runtime, then, place)
        else:
            then(runtime)

    def _complete_object(
        self,
        field: _Field,
        info: GraphQLResolveInfo[Any] | None,
        object_type: GraphQLObjectType,
        place: _Place,
        value: Any,
    ) -> None:
        if object_type.is_type_of is not None:
            info = info or self._info(field, place)
            matches = object_type.is_type_of(value, info)

            def then(matched: Any) -> None:
                if not matched:
                    raise invalid_return_type_error(object_type, value, field.details)
                self._enqueue(field, object_type, place, value)

            if self.is_awaitable(matches):
                self._wait(field, matches, then, place)
            else:
                then(matches)
            return
        self._enqueue(field, object_type, place, value)

    def _enqueue(
        self, field: _Field, object_type: GraphQLObjectType, place: _Place, value: Any
    ) -> None:
        """The object goes in its place now; its fields are the next level's."""
        result: dict[str, Any] = {}
        place.container[place.key] = result
        group = self._next.get((object_type, id(field.details)))
        if group is None:
            group = self._next[(object_type, id(field.details))] = (field.details, [])
        group[1].append((value, result, place))

    def _wait(
        self, field: _Field, pending: Any, then: Callable[[Any], None], place: _Place
    ) -> None:
        """Completes `place` with `then` once `pending` is settled, with the rest of the level."""
        place.container[place.key] = None

        def settled(value: Any) -> None:
            if self._nulled and not _alive(place.up):
                return
            if isinstance(value, Exception):
                self._null(place, located_error(value, field.nodes, place.path.as_list()))
                return
            try:
                then(value)
            except Exception as raw:
                self._null(place, located_error(raw, field.nodes, place.path.as_list()))

        self._waiting.append((pending, settled))

    # -- errors and nulls ------------------------------------------------------------

    def _fail_field(
        self,
        field: _Field,
        result: dict[str, Any],
        place: _Place | None,
        raw: Exception,
        path: Path | None = None,
    ) -> None:
        self._fail(
            field, isinstance(field.returns, GraphQLNonNull), result, field.key, place, raw, path
        )

    def _fail(
        self,
        field: _Field,
        non_null: bool,
        container: dict[str, Any] | list[Any],
        key: Any,
        up: _Place | None,
        raw: Exception,
        path: Path | None,
    ) -> None:
        if path is None:
            path = _path_of(up, key, field)
        error = located_error(raw, field.nodes, path.as_list())
        self._null(_Place(container, key, non_null, up, path), error)

    def _null(self, place: _Place | None, error: GraphQLError) -> None:
        """The error's null goes to the nearest position that may hold one."""
        while place is not None and place.non_null:
            place = place.up
        self._nulled = True
        if place is None:
            self._answer_nulled = True
            self._failures.append((-1, error, None))
            return
        place.container[place.key] = None
        place.dead = True
        self._failures.append((len(place.path.as_list()), error, place.path))

    def _info(self, field: _Field, place: _Place) -> GraphQLResolveInfo[Any]:
        """The field's resolve info (for a type check), at the field's own path."""
        path = place.path
        while isinstance(path.key, int):
            path = path.prev  # type: ignore[assignment]
        return self.build_resolve_info(field.field, field.nodes, field.parent, path)


_READERS: dict[int, tuple[GraphQLField, Callable[[Any], Any]]] = {}
_LEVELS: dict[int, tuple[GraphQLField, tuple[LevelResolver, StrawberryField] | None]] = {}


def _level_resolver(
    definition: GraphQLField,
) -> tuple[LevelResolver, StrawberryField] | None:
    """The field's level resolver (per_level.py) with its strawberry field, worked out once
    per field; None when it has none, or has field extensions (permissions among them) that
    its own resolver runs and a level resolver would skip."""
    found = _LEVELS.get(id(definition))
    if found is not None and found[0] is definition:
        return found[1]
    strawberry_field = (definition.extensions or {}).get(_DEFINITION)
    level: tuple[LevelResolver, StrawberryField] | None = None
    if isinstance(strawberry_field, StrawberryField) and not strawberry_field.extensions:
        metadata: Mapping[Any, Any] = strawberry_field.metadata or {}
        resolver = metadata.get(LEVEL_RESOLVER)
        if resolver is not None:
            level = (resolver, strawberry_field)
    _LEVELS[id(definition)] = (definition, level)
    return level


def _reader(definition: GraphQLField, resolve: Callable[..., Any]) -> Callable[[Any], Any]:
    """How a field strawberry answers by reading an attribute reads it, worked out once per
    field: the attribute read directly (strawberry's resolver does the same, through two
    more calls a value); `resolve` itself where the field says nothing of its attribute."""
    found = _READERS.get(id(definition))
    if found is not None and found[0] is definition:
        return found[1]
    strawberry_field = (definition.extensions or {}).get(_DEFINITION)
    name = getattr(strawberry_field, "python_name", None)
    default = getattr(strawberry_field, "default_resolver", None)
    reader: Callable[[Any], Any]
    if isinstance(name, str) and default is getattr:
        reader = attrgetter(name)
    else:
        reader = partial(resolve, info=None)
    _READERS[id(definition)] = (definition, reader)
    return reader


def _leaf_serializer(type_: GraphQLOutputType) -> Callable[[Any], Any] | None:
    """The serialiser of a leaf type (nullable or not), None for any other type."""
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if is_leaf_type(named):
        serialize: Callable[[Any], Any] = named.serialize
        return serialize
    return None


def _alive(place: _Place | None) -> bool:
    """Whether no null has landed on `place` or any position above it."""
    while place is not None:
        if place.dead:
            return False
        place = place.up
    return True


def _path_of(up: _Place | None, key: Any, field: _Field) -> Path:
    """The path of `key` in `up`: an item of a list, or a field of an object."""
    if isinstance(key, int):
        assert up is not None
        return Path(up.path, key, None)
    return Path(None if up is None else up.path, key, field.parent.name)


async def _settled(awaitables: list[Any]) -> list[Any]:
    """Each awaitable's result, or the exception it raised, as `gather(...,
    return_exceptions=True)` answers, without a task for each.

    A round's awaitables are mostly resolvers' coroutines waiting on a dataloader's future:
    a task each (its creation, its steps scheduled through the event loop, its callbacks)
    cost more than the resolver's own work. Here each coroutine is stepped directly, in the
    request's own task and context, and woken when the future it waits on is done, as a
    task would be. A failure that is not an `Exception` (cancellation, an interrupt) closes
    the coroutines still running and is raised, as it ends the request."""
    loop = get_running_loop()
    results: list[Any] = [None] * len(awaitables)
    steps: dict[int, Coroutine[Any, Any, Any]] = {}
    ready: list[int] = []
    for index, awaitable in enumerate(awaitables):
        if isinstance(awaitable, Coroutine):
            steps[index] = awaitable
        else:  # a future or another awaitable: wrapped, as gather would
            steps[index] = _awaited(awaitable)
        ready.append(index)
    woken: list[int] = []
    wake: Future[None] | None = None

    def done(index: int, _: Future[Any]) -> None:
        woken.append(index)
        if wake is not None and not wake.done():
            wake.set_result(None)

    try:
        while steps:
            later: list[int] = []
            for index in ready:
                step = steps[index]
                try:
                    yielded = step.send(None)
                except StopIteration as stop:
                    results[index] = stop.value
                    del steps[index]
                    continue
                except Exception as failure:
                    results[index] = failure
                    del steps[index]
                    continue
                if yielded is None:  # a bare yield (asyncio.sleep(0)): again after a turn
                    later.append(index)
                elif getattr(yielded, "_asyncio_future_blocking", False):
                    yielded._asyncio_future_blocking = False
                    yielded.add_done_callback(partial(done, index))
                else:
                    step.close()
                    del steps[index]
                    results[index] = RuntimeError(f"a resolver awaited {yielded!r}, not a future")
            if later:
                await sleep(0)
            elif steps and not woken:
                wake = loop.create_future()
                await wake
                wake = None
            ready, woken = later + woken, []
    except BaseException:
        for step in steps.values():
            step.close()
        raise
    return results


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


async def _collected(items: Any) -> list[Any]:
    return [item async for item in items]
