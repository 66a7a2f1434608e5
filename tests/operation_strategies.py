"""Random valid GraphQL operations for a schema, as a Hypothesis strategy.

Why: a gateway's hardest code (query planning, fragment and alias handling, variable
forwarding, `@skip`/`@include`, response shaping) is exercised by the *shape* of the
operation more than by the data. Hand-written queries cover the shapes their author
thought of; `operations(schema)` draws operations of every shape the schema allows, so a
differential test (our gateway against Apollo Gateway, same subgraphs, same operation)
or a property test finds the shapes nobody thought of, and Hypothesis shrinks a failure
to a small document.

Every operation drawn is valid: `graphql.validate` accepts the document against the
schema and its variables coerce. Validity is built in rather than filtered for, so no
example is thrown away. The one rule that takes care is OverlappingFieldsCanBeMerged
(two selections with one response key must be the same field with the same arguments
and the same shape); it is kept by construction:

* a field that is given arguments gets an alias unique in the document, except in an
  *exclusive* selection set (the operation's root, or the selection of a field whose
  response key is unique there), where its plain name is used at most once;
* a field without arguments may go unaliased when every field of that name in the
  schema has the same type, or, in an exclusive selection set, when no other selection
  there uses the name with another type;
* a named fragment's own top level is never exclusive (it is spread in many places),
  and it is spread only where none of its keys is one that must stay unique.

Values are *external* (JSON) values, as a client would send them in `variables`: enum
values are their names, input objects are dicts, custom scalars are what their
`parse_value` accepts. The same value is printed as a literal when an argument is
passed inline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    ConstValueNode,
    DirectiveNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_required_argument,
    is_required_input_field,
    parse_type,
    print_ast,
)
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

_T = TypeVar("_T")

__all__ = ["FEDERATION_ROOT_FIELDS", "ArgumentValues", "GeneratedOperation", "operations"]

ArgumentValues = Callable[[str, str, GraphQLInputType], SearchStrategy[Any] | None]
"""`(type_name, name, input_type) -> strategy of external values, or None`.

Called with `(parent type, "field.argument", argument type)` for a field's argument
(the parent is the type the field is selected on: an interface when selected on the
interface) and with `(input object type, "field", field type)` for an input object's
field. None means "generate any valid value". The strategy must give values valid for
the type (null only where the type is nullable).
"""

FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})
"""Federation's plumbing on a subgraph's Query: not part of any API schema, left out by default."""

_INLINE_NESTING = 2  # inline fragments directly inside inline fragments, at most
_INPUT_DEPTH = 3  # optional input object fields and list items stop below this depth
_LIST_SIZE = 3
_INPUT_DEPTH_LIMIT = 20  # a required input cycle (an invalid schema) fails instead of looping

# What a scalar's `parse_value` accepts, for the built-in scalars and the custom scalars
# commonly given these names (strawberry's Date, DateTime, Decimal, UUID, JSON). Any other
# custom scalar needs `argument_values`; without it, a required argument of that type
# keeps its field out of the operations and an optional one is only ever null.
_JSON_NAMES = st.from_regex(r"[a-z][a-zA-Z0-9]{0,5}", fullmatch=True)
_JSON: SearchStrategy[Any] = st.recursive(
    st.booleans() | st.integers(-5, 50) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_JSON_NAMES, children, max_size=3)
    ),
    max_leaves=6,
)
_SCALARS: Mapping[str, SearchStrategy[Any]] = {
    "Int": st.integers(-5, 50),
    "Float": st.integers(-5, 50) | st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    "String": st.text(max_size=8),
    "ID": st.integers(0, 999).map(str) | st.text(min_size=1, max_size=8) | st.integers(0, 999),
    "Boolean": st.booleans(),
    "Date": st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat),
    "DateTime": st.datetimes(
        dt.datetime(1950, 1, 1), dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC)
    ).map(dt.datetime.isoformat),
    "Decimal": st.decimals(-(10**6), 10**6, places=2, allow_nan=False, allow_infinity=False).map(
        str
    ),
    "UUID": st.uuids().map(str),
    "JSON": _JSON,
}

_OPERATION_NAMES = ("Report", "SubjectReport", "Differential", "Q", "op_1")

_FIELD = "field"
_TYPENAME = "typename"
_INLINE = "inline"
_SPREAD = "spread"
_TWICE = "twice"
# sampled_from shrinks towards the front: plain fields are both the commonest and simplest
_KINDS_WITH_FIELDS = (_FIELD,) * 5 + (_TYPENAME, _INLINE, _SPREAD, _TWICE)
_KINDS_WITHOUT_FIELDS = (_TYPENAME, _INLINE, _SPREAD)


@dataclass(frozen=True)
class GeneratedOperation:
    """One request: what a client would POST as `query`, `variables`, `operationName`."""

    document: str
    """The printed GraphQL document: a query, possibly with fragment definitions and, when
    `operation_name` is needed to pick it, a second trivial operation."""
    variables: dict[str, Any]
    """External (JSON) values; a nullable or defaulted variable is sometimes left out."""
    operation_name: str | None


def operations(
    schema: GraphQLSchema,
    *,
    root_fields: Mapping[str, Mapping[str, SearchStrategy[Any]]] | None = None,
    argument_values: ArgumentValues | None = None,
    max_depth: int = 4,
    max_fields: int = 6,
) -> SearchStrategy[GeneratedOperation]:
    """A strategy of valid query operations over `schema`.

    `root_fields` restricts the operation's root to the Query fields it names (anywhere
    Query is selected: the root, fragments on Query), mapping each to strategies for some
    of its arguments by argument name, e.g. `{"subject": {"identifier":
    st.sampled_from(known)}}`; arguments it does not name fall back to `argument_values`,
    then to generated values. None means every Query field except federation's
    `_entities` and `_service`.

    `argument_values` (see `ArgumentValues`) supplies meaningful values for arguments and
    input fields anywhere in the operation, e.g. real identifiers or a `first` in 1..100.

    `max_depth` bounds the nesting of selection sets (the root is depth 1; the deepest
    holds leaves only); `max_fields` bounds the selections in any one selection set.
    Composite fields always get a non-empty selection.
    """
    if max_depth < 1 or max_fields < 1:
        raise ValueError("max_depth and max_fields must be at least 1")
    plan = _Plan(schema, root_fields, argument_values, max_depth, max_fields)
    return _operation(plan)


# -- the schema, prepared once per strategy ---------------------------------------------


class _Plan:
    """What the generator needs to know about the schema, computed once and cached."""

    def __init__(
        self,
        schema: GraphQLSchema,
        root_fields: Mapping[str, Mapping[str, SearchStrategy[Any]]] | None,
        argument_values: ArgumentValues | None,
        max_depth: int,
        max_fields: int,
    ) -> None:
        if schema.query_type is None:
            raise ValueError("the schema has no query type")
        self.schema = schema
        self.query: GraphQLObjectType = schema.query_type
        self.max_depth = max_depth
        self.max_fields = max_fields
        self._callback = argument_values
        self._supplied: dict[tuple[str, str], SearchStrategy[Any] | None] = {}
        self._can: dict[str, bool] = {}
        self._fields: dict[tuple[str, bool], tuple[str, ...]] = {}

        if root_fields is None:
            self.root_args: Mapping[str, Mapping[str, SearchStrategy[Any]]] = {
                name: {} for name in self.query.fields if name not in FEDERATION_ROOT_FIELDS
            }
        else:
            for name, arguments in root_fields.items():
                if name not in self.query.fields:
                    raise ValueError(f"root_fields names {name!r}, which Query does not have")
                unknown = set(arguments) - set(self.query.fields[name].args)
                if unknown:
                    raise ValueError(f"root_fields[{name!r}] names no argument {sorted(unknown)}")
            self.root_args = root_fields

        composites = [
            t
            for t in schema.type_map.values()
            if is_composite_type(t) and not t.name.startswith("__")
        ]
        possible = {t.name: self._possible(t) for t in composites}
        self.related: dict[str, tuple[GraphQLCompositeType, ...]] = {}
        for t in composites:
            others = sorted(
                (o for o in composites if o is not t and possible[o.name] & possible[t.name]),
                key=lambda o: o.name,
            )
            self.related[t.name] = (t, *others)
        # a type condition other than Query at the root could reach fields root_fields excludes
        self.related[self.query.name] = (self.query,)

        types_by_field: dict[str, set[str]] = {}
        self.reserved: set[str] = set()
        for t in composites:
            if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
                for name, definition in t.fields.items():
                    types_by_field.setdefault(name, set()).add(str(definition.type))
                    self.reserved.add(name)
        self.shape_safe = frozenset(n for n, types in types_by_field.items() if len(types) == 1)

        for name in root_fields or {}:
            if name not in self.fields(self.query, leaves_only=False):
                raise ValueError(
                    f"root field {name!r} has a required argument no value can be made for; "
                    "supply one in root_fields or argument_values"
                )
        if not self.fields(self.query, leaves_only=False):
            raise ValueError("no root field can be selected")

    def _possible(self, t: GraphQLNamedType) -> frozenset[str]:
        if isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
            return frozenset(o.name for o in self.schema.get_possible_types(t))
        return frozenset({t.name})

    def fields(self, parent: GraphQLCompositeType, *, leaves_only: bool) -> tuple[str, ...]:
        """The fields of `parent` that can be selected (all their required args suppliable)."""
        key = (parent.name, leaves_only)
        if key not in self._fields:
            names: tuple[str, ...] = ()
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                if parent is self.query:
                    candidates = [n for n in parent.fields if n in self.root_args]
                else:
                    candidates = list(parent.fields)
                names = tuple(
                    name
                    for name in candidates
                    if (not leaves_only or is_leaf_type(get_named_type(parent.fields[name].type)))
                    and all(
                        self.can_supply(parent.name, f"{name}.{arg_name}", arg.type)
                        for arg_name, arg in parent.fields[name].args.items()
                        if is_required_argument(arg)
                    )
                )
            self._fields[key] = names
        return self._fields[key]

    def supplied(
        self, owner: str, name: str, type_: GraphQLInputType
    ) -> SearchStrategy[Any] | None:
        """The caller's strategy for this argument or input field, if any (asked once)."""
        key = (owner, name)
        if key not in self._supplied:
            strategy: SearchStrategy[Any] | None = None
            if owner == self.query.name and "." in name:
                field_name, arg_name = name.split(".", 1)
                strategy = self.root_args.get(field_name, {}).get(arg_name)
            if strategy is None and self._callback is not None:
                strategy = self._callback(owner, name, type_)
            self._supplied[key] = strategy
        return self._supplied[key]

    def can_supply(self, owner: str, name: str, type_: GraphQLInputType) -> bool:
        """Whether a non-null value can be made for this argument or input field."""
        if self.supplied(owner, name, type_) is not None:
            return True
        return self.can_make(_nullable(type_))

    def can_make(self, type_: GraphQLInputType, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a generated non-null value exists for the (nullable form of the) type."""
        if is_list_type(type_):
            return True  # the empty list
        named = get_named_type(type_)
        if named.name in self._can:
            return self._can[named.name]
        if isinstance(named, GraphQLEnumType):
            result = bool(named.values)
        elif isinstance(named, GraphQLScalarType):
            result = named.name in _SCALARS
        elif isinstance(named, GraphQLInputObjectType):
            if named.name in seen:
                return False
            inner = seen | {named.name}

            def usable(f_name: str) -> bool:
                f = named.fields[f_name]
                return self.supplied(named.name, f_name, f.type) is not None or self.can_make(
                    _nullable(f.type),
                    inner,
                )

            if named.is_one_of:
                result = any(usable(n) for n in named.fields)
            else:
                result = all(
                    usable(n) for n, f in named.fields.items() if is_required_input_field(f)
                )
        else:  # pragma: no cover - every input type is one of the above
            result = False
        self._can[named.name] = result
        return result


# -- one operation ------------------------------------------------------------------------


@dataclass
class _Scope:
    """The response keys of one merged selection set (with its inline fragments and spreads).

    `keys` maps each unaliased response key to its field's type; `unique` holds keys that
    may not occur again here (an unaliased field with arguments, or a key the enclosing
    selection set reserved while a fragment body is drawn for it). Only an exclusive scope
    (never merged with another selection set) takes unaliased fields with arguments.
    """

    exclusive: bool
    keys: dict[str, str] = field(default_factory=dict)
    unique: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Fragment:
    name: str
    type_name: str
    keys: Mapping[str, str]
    height: int  # selection-set levels below the one it is spread into


@dataclass
class _Variable:
    name: str
    type: GraphQLInputType
    value: Any
    provided: bool
    default: ValueNode | None
    reusable: bool


def _nullable(type_: GraphQLInputType) -> GraphQLInputType:
    """The type without its non-null wrapper (graphql-core types this too loosely)."""
    return cast(GraphQLInputType, get_nullable_type(type_))


def _chance(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in `one_in` draws; shrinks to False (the simpler document)."""
    return draw(st.integers(0, one_in - 1)) == one_in - 1


def _more(draw: st.DrawFn) -> bool:
    """Whether a selection set takes another selection: two times in three; shrinks to no."""
    return draw(st.integers(0, 2)) != 0


def _spanned(build: Callable[[], _T]) -> SearchStrategy[_T]:
    """`build()`, drawing with the enclosing draw, as one span of the choice sequence."""
    return st.just(None).map(lambda _: build())


def _name(value: str) -> NameNode:
    return NameNode(value=value)


class _Builder:
    """Draws one operation's parts; the fragments and variables it makes accumulate here."""

    def __init__(self, plan: _Plan, draw: st.DrawFn) -> None:
        self.plan = plan
        self.draw = draw
        self.variables: list[_Variable] = []
        self.fragments: list[_Fragment] = []
        self.fragment_definitions: list[FragmentDefinitionNode] = []
        self._counter = 0
        # selections left for the whole operation: the size the example settles on (and
        # shrinks) up front; once spent, selection sets close with one leaf each
        self.room = draw(st.integers(1, plan.max_fields * plan.max_depth * 2))

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _alias(self, field_name: str) -> str:
        base = field_name.lstrip("_") or "field"
        while True:
            alias = f"{base}_{self._next()}"
            if alias not in self.plan.reserved:
                return alias

    # selections

    def selection_set(
        self, parent: GraphQLCompositeType, depth: int, scope: _Scope, nesting: int
    ) -> tuple[SelectionSetNode, int]:
        """A non-empty selection set on `parent` and the deepest selection-set depth in it."""
        draw = self.draw
        plan = self.plan
        # once the operation's room is spent, a selection set closes with a single leaf
        spent = self.room <= 0
        fields = plan.fields(parent, leaves_only=spent or depth >= plan.max_depth)
        if spent:
            kinds: tuple[str, ...] = (_FIELD, _TYPENAME) if fields else (_TYPENAME,)
        else:
            kinds = _KINDS_WITH_FIELDS if fields else _KINDS_WITHOUT_FIELDS
        selections: list[SelectionNode] = []
        deepest = depth
        more = True
        while more:
            # each selection with its "another?" after it is one span (as an element of
            # st.lists is): the shrinker can delete any one selection whole
            nodes, reached, more = draw(
                _spanned(
                    partial(self.selection, parent, depth, scope, nesting, kinds, len(selections))
                )
            )
            selections.extend(nodes)
            deepest = max(deepest, reached)
        return SelectionSetNode(selections=tuple(selections)), deepest

    def selection(
        self,
        parent: GraphQLCompositeType,
        depth: int,
        scope: _Scope,
        nesting: int,
        kinds: tuple[str, ...],
        count: int,
    ) -> tuple[list[SelectionNode], int, bool]:
        """The next selection (two for `_TWICE`), the depth it reached, and whether another
        follows it; `count` selections precede it in its selection set."""
        draw = self.draw
        plan = self.plan
        self.room -= 1
        kind = draw(st.sampled_from(kinds))
        if kind == _INLINE and nesting >= _INLINE_NESTING:
            kind = _TYPENAME
        nodes: list[SelectionNode] = []
        deepest = depth
        if kind in (_FIELD, _TWICE):
            assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            fields = plan.fields(parent, leaves_only=depth >= plan.max_depth or self.room < 0)
            with_args = tuple(n for n in fields if parent.fields[n].args)
            if kind == _TWICE and (not with_args or count + 2 > plan.max_fields):
                kind = _FIELD
            name = draw(st.sampled_from(fields if kind == _FIELD else with_args))
            for _ in range(1 if kind == _FIELD else 2):
                field_node, reached = self.field(parent, name, depth, scope, aliased=kind == _TWICE)
                nodes.append(field_node)
                deepest = max(deepest, reached)
        elif kind == _TYPENAME:
            alias = self._alias("typename") if _chance(draw, 4) else None
            nodes.append(
                FieldNode(
                    alias=_name(alias) if alias else None,
                    name=_name("__typename"),
                    arguments=(),
                    directives=self.directives(),
                )
            )
        else:
            node: SelectionNode
            if kind == _INLINE:
                node, deepest = self.inline_fragment(parent, depth, scope, nesting)
            else:
                node, deepest = self.fragment_spread(parent, depth, scope)
            nodes.append(node)
        more = count + len(nodes) < plan.max_fields and self.room > 0 and _more(draw)
        return nodes, deepest, more

    def field(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        name: str,
        depth: int,
        scope: _Scope,
        *,
        aliased: bool,
    ) -> tuple[FieldNode, int]:
        definition: GraphQLField = parent.fields[name]
        arguments = self.arguments(parent, name, definition)
        type_string = str(definition.type)
        if arguments:
            may_be_bare = scope.exclusive and name not in scope.keys and name not in scope.unique
        else:
            may_be_bare = name not in scope.unique and (
                name in self.plan.shape_safe
                or (scope.exclusive and scope.keys.get(name, type_string) == type_string)
            )
        alias: str | None = None
        if aliased or not may_be_bare or _chance(self.draw, 4):
            alias = self._alias(name)
            child_exclusive = True  # a key unique in the document is merged with nothing
        else:
            scope.keys[name] = type_string
            if arguments:
                scope.unique.add(name)
            child_exclusive = bool(arguments)
        directives = self.directives()
        named = get_named_type(definition.type)
        selection_set = None
        deepest = depth
        if is_composite_type(named):
            selection_set, deepest = self.selection_set(
                named,
                depth + 1,
                _Scope(exclusive=child_exclusive),
                0,
            )
        node = FieldNode(
            alias=_name(alias) if alias else None,
            name=_name(name),
            arguments=arguments,
            directives=directives,
            selection_set=selection_set,
        )
        return node, deepest

    def inline_fragment(
        self, parent: GraphQLCompositeType, depth: int, scope: _Scope, nesting: int
    ) -> tuple[InlineFragmentNode, int]:
        conditions = self.plan.related[parent.name]
        # 0: no type condition; i: the i-th related type (the parent itself first)
        choice = self.draw(st.integers(0, len(conditions)))
        target = parent if choice == 0 else conditions[choice - 1]
        directives = self.directives()
        body, deepest = self.selection_set(target, depth, scope, nesting + 1)
        node = InlineFragmentNode(
            type_condition=None if choice == 0 else NamedTypeNode(name=_name(target.name)),
            directives=directives,
            selection_set=body,
        )
        return node, deepest

    def fragment_spread(
        self, parent: GraphQLCompositeType, depth: int, scope: _Scope
    ) -> tuple[FragmentSpreadNode, int]:
        plan = self.plan
        conditions = plan.related[parent.name]
        condition_names = {c.name for c in conditions}
        reusable = [
            f
            for f in self.fragments
            if f.type_name in condition_names
            and depth + f.height <= plan.max_depth
            and not scope.unique.intersection(f.keys)
        ]
        # shrinks towards spreading the first fragment again, the smaller document
        choice = self.draw(st.integers(0, len(reusable)))
        if choice < len(reusable):
            fragment = reusable[choice]
        else:
            target = self.draw(st.sampled_from(conditions))
            name = f"{target.name}Fields{self._next()}"
            # the body must not use a key this scope keeps unique
            body_scope = _Scope(exclusive=False, unique=set(scope.unique))
            body, deepest = self.selection_set(target, depth, body_scope, 0)
            fragment = _Fragment(name, target.name, dict(body_scope.keys), deepest - depth)
            self.fragments.append(fragment)
            self.fragment_definitions.append(
                FragmentDefinitionNode(
                    name=_name(name),
                    type_condition=NamedTypeNode(name=_name(target.name)),
                    variable_definitions=None,
                    directives=(),
                    selection_set=body,
                )
            )
        scope.keys.update(fragment.keys)
        node = FragmentSpreadNode(name=_name(fragment.name), directives=self.directives())
        return node, depth + fragment.height

    def directives(self) -> tuple[DirectiveNode, ...]:
        draw = self.draw
        if not _chance(draw, 6):
            return ()
        which = draw(st.sampled_from((("skip",), ("include",), ("skip", "include"))))
        nodes = []
        for directive in which:
            value: ValueNode
            if _chance(draw, 2):
                value = self.variable(
                    "condition", GraphQLNonNull(GraphQLBoolean), draw(st.booleans()), reuse=True
                )
            else:
                value = BooleanValueNode(value=draw(st.booleans()))
            nodes.append(
                DirectiveNode(
                    name=_name(directive),
                    arguments=(ArgumentNode(name=_name("if"), value=value),),
                )
            )
        return tuple(nodes)

    # arguments and values

    def arguments(
        self, parent: GraphQLCompositeType, field_name: str, definition: GraphQLField
    ) -> tuple[ArgumentNode, ...]:
        nodes = []
        for arg_name, arg in definition.args.items():
            owner, name = parent.name, f"{field_name}.{arg_name}"
            if not _argument_given(self, arg, owner, name):
                continue
            value = self.input_value(arg.type, owner, name, 0)
            if _chance(self.draw, 2):
                passed: ValueNode = self.variable(arg_name, arg.type, value)
            else:
                passed = _literal(value, arg.type)
            nodes.append(ArgumentNode(name=_name(arg_name), value=passed))
        return tuple(nodes)

    def variable(
        self, hint: str, type_: GraphQLInputType, value: Any, *, reuse: bool = False
    ) -> VariableNode:
        """A variable for `value` in a position of type `type_` (declared with that type).

        With `reuse`, an existing variable of the same type may stand in instead (only for
        `@skip`/`@include` conditions: an argument's value may be meaningful to the caller).
        """
        draw = self.draw
        if reuse and _chance(draw, 3):
            same = [v for v in self.variables if v.reusable and str(v.type) == str(type_)]
            if same:
                return VariableNode(name=_name(draw(st.sampled_from(same)).name))
        nullable = not is_non_null_type(type_)
        default: ValueNode | None = None
        provided = True
        if (value is not None or nullable) and _chance(draw, 6):
            default = _literal(value, type_)
            provided = _chance(draw, 2)
        elif nullable and _chance(draw, 6):
            provided = False  # an absent nullable variable: the argument is not given
        name = f"{hint}_{len(self.variables) + 1}"  # unique by its number
        self.variables.append(_Variable(name, type_, value, provided, default, reuse))
        return VariableNode(name=_name(name))

    def input_value(self, type_: GraphQLInputType, owner: str, name: str, depth: int) -> Any:
        """A value for an argument or input field: the caller's if it has one, else made."""
        supplied = self.plan.supplied(owner, name, type_)
        if supplied is not None:
            return self.draw(supplied)
        return self.generic(type_, depth)

    def generic(self, type_: GraphQLInputType, depth: int) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.non_null(type_.of_type, depth)
        if not self.plan.can_make(type_) or _chance(self.draw, 4):
            return None
        return self.non_null(type_, depth)

    def non_null(self, type_: GraphQLInputType, depth: int) -> Any:
        draw = self.draw
        if depth > _INPUT_DEPTH_LIMIT:
            raise ValueError(f"input type {type_} nests without end")
        if isinstance(type_, GraphQLList):
            item: GraphQLInputType = type_.of_type
            bare_item = _nullable(item)
            if not is_list_type(bare_item) and self.plan.can_make(bare_item) and _chance(draw, 6):
                # input coercion wraps a single item in a list
                return self.non_null(bare_item, depth + 1)
            if depth >= _INPUT_DEPTH:
                return []
            size = draw(st.integers(0, _LIST_SIZE))
            return [self.generic(item, depth + 1) for _ in range(size)]
        if isinstance(type_, GraphQLEnumType):
            return draw(st.sampled_from(list(type_.values)))
        if isinstance(type_, GraphQLScalarType):
            return draw(_SCALARS[type_.name])
        assert isinstance(type_, GraphQLInputObjectType)
        fields = type_.fields
        if type_.is_one_of:
            names = [n for n in fields if self.plan.can_supply(type_.name, n, fields[n].type)]
            chosen = draw(st.sampled_from(names))
            supplied = self.plan.supplied(type_.name, chosen, fields[chosen].type)
            if supplied is not None:
                return {chosen: draw(supplied)}
            return {chosen: self.non_null(_nullable(fields[chosen].type), depth + 1)}
        result = {}
        for f_name, f in fields.items():
            if is_required_input_field(f) or (
                depth < _INPUT_DEPTH
                and (
                    self.plan.supplied(type_.name, f_name, f.type) is not None
                    or self.plan.can_make(_nullable(f.type))
                )
                and _chance(draw, 2)
            ):
                result[f_name] = self.input_value(f.type, type_.name, f_name, depth + 1)
        return result


def _argument_given(builder: _Builder, arg: GraphQLArgument, owner: str, name: str) -> bool:
    """Required arguments always; optional ones about half the time, when a value can be made."""
    if is_required_argument(arg):
        return True
    if builder.plan.supplied(owner, name, arg.type) is None and not builder.plan.can_make(
        _nullable(arg.type)
    ):
        # only null could be passed; do so now and then
        return _chance(builder.draw, 4)
    return _chance(builder.draw, 2)


def _literal(value: Any, type_: GraphQLInputType) -> ValueNode:
    """The literal for an external value of the given input type."""
    if value is None:
        return NullValueNode()
    if isinstance(type_, GraphQLNonNull):
        return _literal(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        if isinstance(value, list):
            return ListValueNode(values=tuple(_literal(v, type_.of_type) for v in value))
        return _literal(value, type_.of_type)
    if isinstance(type_, GraphQLInputObjectType):
        return ObjectValueNode(
            fields=tuple(
                ObjectFieldNode(name=_name(k), value=_literal(v, type_.fields[k].type))
                for k, v in value.items()
            )
        )
    if isinstance(type_, GraphQLEnumType):
        return EnumValueNode(value=value)
    return _untyped_literal(value)


def _untyped_literal(value: Any) -> ValueNode:
    """A scalar's literal, by the JSON type of its external value."""
    if value is None:
        return NullValueNode()
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    if isinstance(value, float):
        return FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(value, list):
        return ListValueNode(values=tuple(_untyped_literal(v) for v in value))
    if isinstance(value, dict):
        return ObjectValueNode(
            fields=tuple(
                ObjectFieldNode(name=_name(k), value=_untyped_literal(v)) for k, v in value.items()
            )
        )
    raise TypeError(f"{value!r} is not an external (JSON) value")


@st.composite
def _operation(draw: st.DrawFn, plan: _Plan) -> GeneratedOperation:
    builder = _Builder(plan, draw)
    selection_set, _ = builder.selection_set(plan.query, 1, _Scope(exclusive=True), 0)
    name = draw(st.sampled_from(_OPERATION_NAMES)) if _chance(draw, 2) else None
    variable_definitions = tuple(
        VariableDefinitionNode(
            variable=VariableNode(name=_name(v.name)),
            type=parse_type(str(v.type)),
            default_value=cast(ConstValueNode | None, v.default),
            directives=(),
        )
        for v in builder.variables
    )
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=_name(name) if name else None,
        variable_definitions=variable_definitions,
        directives=(),
        selection_set=selection_set,
    )
    fragments = builder.fragment_definitions
    definitions: list[OperationDefinitionNode | FragmentDefinitionNode] = (
        [*fragments, operation] if _chance(draw, 3) else [operation, *fragments]
    )
    operation_name = name
    if name is not None and _chance(draw, 3):
        # a second operation: now the request must say which one to run
        other = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=_name(f"{name}Other"),
            variable_definitions=(),
            directives=(),
            selection_set=SelectionSetNode(selections=(FieldNode(name=_name("__typename")),)),
        )
        definitions.insert(draw(st.integers(0, len(definitions))), other)
    elif name is not None and _chance(draw, 3):
        operation_name = None  # a lone named operation may be run without naming it
    return GeneratedOperation(
        document=print_ast(DocumentNode(definitions=tuple(definitions))),
        variables={v.name: v.value for v in builder.variables if v.provided},
        operation_name=operation_name,
    )
