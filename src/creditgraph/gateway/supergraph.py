"""A Federation v2 supergraph, read from its SDL: which subgraph can resolve what.

The supergraph is the gateway's only source of truth about routing. It is a
standard artifact (composed by `creditgraph compose` or by any other
composition tool), so everything here is read from the `@link`ed `join`
spec's directives, under whatever names the `@link`s give them:

- `join__Graph` enum values name the subgraphs and their URLs;
- `@join__type` says which subgraphs define a type, with which keys, and
  whether a subgraph sees an interface as an `@interfaceObject`;
- `@join__field` says which subgraphs resolve a field, and with what
  `@requires`, `@provides`, `@external` and `@override`;
- `@join__implements` and `@join__unionMember` say which subgraph knows which
  possible type of an abstract type.

The planner asks this model questions ("can graph G resolve T.f?", "which
keys does G accept for T?"); it never looks at directives itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLError,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    parse,
    parse_type,
    print_ast,
)

from creditgraph.gateway.errors import SupergraphError

TypeKind = Literal["object", "interface", "union"]
_PERCENT_LABEL = re.compile(r"percent\((\d+(?:\.\d+)?)\)")

_LINK_SPEC = "https://specs.apollo.dev/link/"
_JOIN_SPEC = "https://specs.apollo.dev/join/"
_INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/"
# creditgraph's own policy spec: a supergraph that links it declares who may see what
POLICY_SPEC = "https://specs.creditgraph.dev/policy/"


def parse_field_set(text: str) -> SelectionSetNode:
    """A `join__FieldSet` ("id organisation { code }") as a selection set."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError as exc:
        raise SupergraphError(f"field set {text!r} is not valid GraphQL: {exc.message}") from exc
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def named_type(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


@dataclass(frozen=True, slots=True)
class Graph:
    """One subgraph: its enum value in the supergraph, its name and its URL."""

    id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Key:
    graph: str
    text: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass(frozen=True, slots=True)
class FieldJoin:
    """One subgraph's part in a field (one `@join__field`)."""

    graph: str | None
    # the field's type in this subgraph, when it differs from the supergraph's ("ID!", "Book")
    type: str | None = None
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False


@dataclass(slots=True)
class FieldInfo:
    name: str
    type_name: str
    type_text: str
    joins: list[FieldJoin] = field(default_factory=list)


@dataclass(slots=True)
class CompositeType:
    """An object, interface or union type and what each subgraph knows of it."""

    name: str
    kind: TypeKind
    graphs: set[str] = field(default_factory=set)
    keys: list[Key] = field(default_factory=list)
    interface_object_graphs: set[str] = field(default_factory=set)
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    interfaces: set[str] = field(default_factory=set)
    implements_in: dict[str, set[str]] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    members_in: dict[str, set[str]] = field(default_factory=dict)

    def keys_in(self, graph: str) -> list[Key]:
        return [key for key in self.keys if key.graph == graph]


@dataclass(frozen=True, slots=True)
class _Names:
    """The names the supergraph's `@link`s give the spec directives."""

    join: str = "join"
    inaccessible: str = "inaccessible"
    policy: bool = False

    def join_directive(self, name: str) -> str:
        return f"{self.join}__{name}"


class Supergraph:
    """The routing facts of a supergraph; built once, shared by every request."""

    def __init__(self, sdl: str) -> None:
        try:
            self.document: DocumentNode = parse(sdl, no_location=True)
        except GraphQLError as exc:
            raise SupergraphError(f"the supergraph is not valid GraphQL: {exc.message}") from exc
        self.sdl = sdl
        self.names = _link_names(self.document)
        self.graphs: dict[str, Graph] = {}
        self.types: dict[str, CompositeType] = {}
        self.root_types: dict[str, str] = {
            "query": "Query",
            "mutation": "Mutation",
            "subscription": "Subscription",
        }
        self.policy_declared = self.names.policy
        self._read()

    # -- reading -------------------------------------------------------------------------

    def _read(self) -> None:
        join = self.names.join_directive
        graph_enum = f"{self.names.join}__Graph"
        for definition in self.document.definitions:
            if isinstance(definition, SchemaDefinitionNode):
                for operation_type in definition.operation_types:
                    self.root_types[operation_type.operation.value] = operation_type.type.name.value
            elif (
                isinstance(definition, EnumTypeDefinitionNode)
                and definition.name.value == graph_enum
            ):
                for value in definition.values or ():
                    for directive in _directives(value.directives, join("graph")):
                        arguments = _arguments(directive)
                        self.graphs[value.name.value] = Graph(
                            id=value.name.value,
                            name=_string(arguments.get("name")) or value.name.value.lower(),
                            url=_string(arguments.get("url")) or "",
                        )
        if not self.graphs:
            raise SupergraphError(
                "this is not a Federation v2 supergraph: it declares no join__Graph subgraphs"
            )
        for definition in self.document.definitions:
            if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
                self._read_composite(definition, "object")
            elif isinstance(definition, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
                self._read_composite(definition, "interface")
            elif isinstance(definition, UnionTypeDefinitionNode | UnionTypeExtensionNode):
                self._read_union(definition)
        for type_ in self.types.values():
            if type_.kind == "object":
                for interface in type_.interfaces:
                    if interface in self.types:
                        self.types[interface].members.add(type_.name)

    def _type(self, name: str, kind: TypeKind) -> CompositeType:
        found = self.types.get(name)
        if found is None:
            found = self.types[name] = CompositeType(name=name, kind=kind)
        return found

    def _read_composite(
        self,
        definition: ObjectTypeDefinitionNode
        | ObjectTypeExtensionNode
        | InterfaceTypeDefinitionNode
        | InterfaceTypeExtensionNode,
        kind: TypeKind,
    ) -> None:
        join = self.names.join_directive
        type_ = self._type(definition.name.value, kind)
        for directive in _directives(definition.directives, join("type")):
            arguments = _arguments(directive)
            graph = _enum(arguments.get("graph"))
            if graph is None:
                continue
            type_.graphs.add(graph)
            key = _string(arguments.get("key"))
            if key is not None:
                type_.keys.append(
                    Key(
                        graph=graph,
                        text=key,
                        selection=parse_field_set(key),
                        resolvable=_boolean(arguments.get("resolvable"), default=True),
                    )
                )
            if _boolean(arguments.get("isInterfaceObject"), default=False):
                type_.interface_object_graphs.add(graph)
        for interface in definition.interfaces or ():
            type_.interfaces.add(interface.name.value)
        for directive in _directives(definition.directives, join("implements")):
            arguments = _arguments(directive)
            graph = _enum(arguments.get("graph"))
            interface_name = _string(arguments.get("interface"))
            if graph is not None and interface_name is not None:
                type_.implements_in.setdefault(graph, set()).add(interface_name)
        for field_definition in definition.fields or ():
            type_.fields[field_definition.name.value] = self._read_field(field_definition)

    def _read_field(self, definition: FieldDefinitionNode) -> FieldInfo:
        info = FieldInfo(
            name=definition.name.value,
            type_name=named_type(definition.type),
            type_text=print_ast(definition.type),
        )
        for directive in _directives(definition.directives, self.names.join_directive("field")):
            arguments = _arguments(directive)
            requires = _string(arguments.get("requires"))
            provides = _string(arguments.get("provides"))
            info.joins.append(
                FieldJoin(
                    graph=_enum(arguments.get("graph")),
                    type=_string(arguments.get("type")),
                    requires=parse_field_set(requires) if requires else None,
                    provides=parse_field_set(provides) if provides else None,
                    external=_boolean(arguments.get("external"), default=False),
                    override=_string(arguments.get("override")),
                    override_label=_string(arguments.get("overrideLabel")),
                    used_overridden=_boolean(arguments.get("usedOverridden"), default=False),
                )
            )
        return info

    def _read_union(self, definition: UnionTypeDefinitionNode | UnionTypeExtensionNode) -> None:
        join = self.names.join_directive
        type_ = self._type(definition.name.value, "union")
        for directive in _directives(definition.directives, join("type")):
            graph = _enum(_arguments(directive).get("graph"))
            if graph is not None:
                type_.graphs.add(graph)
        for member in definition.types or ():
            type_.members.add(member.name.value)
        for directive in _directives(definition.directives, join("unionMember")):
            arguments = _arguments(directive)
            graph = _enum(arguments.get("graph"))
            member_name = _string(arguments.get("member"))
            if graph is not None and member_name is not None:
                type_.members_in.setdefault(graph, set()).add(member_name)

    @cached_property
    def abstract_names(self) -> frozenset[str]:
        return frozenset(name for name, type_ in self.types.items() if type_.kind != "object")

    def composite(self, name: str) -> CompositeType | None:
        return self.types.get(name)

    def is_abstract(self, name: str) -> bool:
        type_ = self.types.get(name)
        return type_ is not None and type_.kind != "object"

    def possible_types(self, name: str) -> set[str]:
        """The object types a value of type `name` can be, in the supergraph."""
        type_ = self.types.get(name)
        if type_ is None:
            return set()
        if type_.kind == "object":
            return {name}
        return {member for member in type_.members if self.types[member].kind == "object"}

    def possible_types_in(self, name: str, graph: str) -> set[str]:
        """The object types of abstract type `name` that subgraph `graph` can return."""
        type_ = self.types[name]
        if type_.kind == "object":
            return {name} if graph in type_.graphs else set()
        found = set()
        for member in self.possible_types(name):
            member_type = self.types[member]
            if graph not in member_type.graphs:
                continue
            if type_.kind == "union":
                known = type_.members_in.get(graph)
                if known is None or member in known:
                    found.add(member)
            else:
                implements = member_type.implements_in.get(graph)
                if not member_type.implements_in or (implements and name in implements):
                    found.add(member)
        return found

    def sees_as_object(self, graph: str, name: str) -> bool:
        """Whether `graph` declares interface `name` as an `@interfaceObject`."""
        type_ = self.types.get(name)
        return type_ is not None and graph in type_.interface_object_graphs

    def field_join(self, type_name: str, field_name: str, graph: str) -> FieldJoin | None:
        """How `graph` takes part in `type_name.field_name`; None when it does not resolve it.

        A field with no `@join__field` belongs to every subgraph that defines its
        type. An external field, or one whose resolution was moved to another
        subgraph by `@override`, is not resolved here.
        """
        type_ = self.types.get(type_name)
        if type_ is None:
            return None
        info = type_.fields.get(field_name)
        if info is None:
            return None
        if not info.joins:
            return FieldJoin(graph=graph) if graph in type_.graphs else None
        graph_name = self.graphs[graph].name
        overridden = any(
            join.override == graph_name and override_applies(join.override_label)
            for join in info.joins
        )
        for join in info.joins:
            if join.graph != graph:
                continue
            if join.external or join.used_overridden or overridden:
                return None
            # a progressive override labels both sides: the new owner resolves the field
            # when the label applies, the old one when it does not
            if join.override_label is not None and override_applies(join.override_label) != (
                join.override is not None
            ):
                return None
            return join
        return None

    def graphs_resolving(self, type_name: str, field_name: str) -> list[str]:
        return [graph for graph in self.graphs if self.field_join(type_name, field_name, graph)]

    def field_info(self, type_name: str, field_name: str) -> FieldInfo | None:
        type_ = self.types.get(type_name)
        return type_.fields.get(field_name) if type_ else None

    def field_type(self, type_name: str, field_name: str) -> str | None:
        info = self.field_info(type_name, field_name)
        return info.type_name if info else None

    def field_type_in(self, type_name: str, field_name: str, join: FieldJoin) -> str | None:
        """The named type of a field as `join`'s subgraph declares it: composition may
        widen it in the supergraph (the subgraph's `Book` is the supergraph's `Media`)."""
        if join.type is not None:
            return named_type(parse_type(join.type, no_location=True))
        return self.field_type(type_name, field_name)

    def interfaces_of(self, type_name: str) -> Iterator[CompositeType]:
        type_ = self.types.get(type_name)
        for interface in sorted(type_.interfaces if type_ else ()):
            found = self.types.get(interface)
            if found is not None:
                yield found


def override_applies(label: str | None) -> bool:
    """Whether an `@override` with this label (progressive override) is in force.

    An unlabelled override always is. Apollo Gateway, with nothing to set labels,
    treats every label as off; Apollo Router draws `percent(N)` labels at random per
    request. Plans here are cached per document, so there is no per-request draw:
    `percent(100)` (or more) is on, every other label off.
    """
    if label is None:
        return True
    match = _PERCENT_LABEL.fullmatch(label.strip())
    return match is not None and float(match.group(1)) >= 100


def _link_names(document: DocumentNode) -> _Names:
    join, inaccessible, policy = "join", "inaccessible", False
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value not in ("link", "core"):
                continue
            arguments = _arguments(directive)
            url = _string(arguments.get("url")) or _string(arguments.get("feature")) or ""
            alias = _string(arguments.get("as"))
            if url.startswith(_JOIN_SPEC):
                join = alias or "join"
            elif url.startswith(_INACCESSIBLE_SPEC):
                inaccessible = alias or "inaccessible"
            elif url.startswith(POLICY_SPEC):
                policy = True
    return _Names(join=join, inaccessible=inaccessible, policy=policy)


def _directives(directives: Iterable[DirectiveNode] | None, name: str) -> list[DirectiveNode]:
    return [directive for directive in directives or () if directive.name.value == name]


def _arguments(directive: DirectiveNode) -> dict[str, ValueNode]:
    return {argument.name.value: argument.value for argument in directive.arguments or ()}


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _enum(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, EnumValueNode) else None


def _boolean(value: ValueNode | None, *, default: bool) -> bool:
    return value.value if isinstance(value, BooleanValueNode) else default
