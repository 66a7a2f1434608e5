"""The schema clients see: the supergraph without its federation machinery.

Clients validate and introspect against this schema, never the supergraph:
the `join__*` and `link__*` definitions, the `@inaccessible` elements and the
federation internals (`_entities`, `_service`, `_Any`, `_Entity`) are removed,
and so are every directive usage on type-system elements except the ones the
GraphQL spec defines (`@deprecated`, `@specifiedBy`, `@oneOf`). Custom
executable directives stay declared, so documents that use them validate; `@defer`
is declared whatever the supergraph says, as the gateway delivers deferred fragments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveLocation,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    Node,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    parse,
)

from creditgraph.gateway.supergraph import Supergraph, named_type

_SPEC_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})
_FEDERATION_TYPES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet"})
_FEDERATION_FIELDS = frozenset({"_entities", "_service"})
_EXECUTABLE = frozenset(
    {
        DirectiveLocation.QUERY,
        DirectiveLocation.MUTATION,
        DirectiveLocation.SUBSCRIPTION,
        DirectiveLocation.FIELD,
        DirectiveLocation.FRAGMENT_DEFINITION,
        DirectiveLocation.FRAGMENT_SPREAD,
        DirectiveLocation.INLINE_FRAGMENT,
        DirectiveLocation.VARIABLE_DEFINITION,
    }
)

N = TypeVar("N", bound=Node)


def api_schema(supergraph: Supergraph) -> GraphQLSchema:
    return build_ast_schema(api_document(supergraph), assume_valid_sdl=True)


# the gateway answers deferred fragments itself (gateway/defer.py), whatever the subgraphs do
_DEFER = parse(
    "directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT"
).definitions[0]


def api_document(supergraph: Supergraph) -> DocumentNode:
    names = supergraph.names
    internal_prefixes = (f"{names.join}__", "link__", "core__", "join__")
    hidden = {
        definition.name.value
        for definition in supergraph.document.definitions
        if isinstance(definition, TypeDefinitionNode)
        and (
            definition.name.value.startswith(internal_prefixes)
            or definition.name.value in _FEDERATION_TYPES
            or _marked(definition.directives, names.inaccessible)
        )
    }

    def visible(directives: Iterable[DirectiveNode] | None, type_name: str | None = None) -> bool:
        if _marked(directives, names.inaccessible):
            return False
        return type_name is None or type_name not in hidden

    kept: list[DefinitionNode] = []
    for definition in supergraph.document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            kept.append(_schema_definition(definition, hidden))
        elif isinstance(definition, DirectiveDefinitionNode):
            if (
                _executable(definition)
                and not definition.name.value.startswith(internal_prefixes)
                and definition.name.value not in ("link", "core", names.inaccessible)
            ):
                kept.append(definition)
        elif isinstance(definition, TypeDefinitionNode) and definition.name.value not in hidden:
            kept.append(_type_definition(definition, visible, hidden))
    if not any(
        isinstance(definition, DirectiveDefinitionNode) and definition.name.value == "defer"
        for definition in kept
    ):
        kept.append(_DEFER)
    return DocumentNode(definitions=tuple(kept))


def _schema_definition(definition: SchemaDefinitionNode, hidden: set[str]) -> SchemaDefinitionNode:
    return replace(
        definition,
        directives=(),
        operation_types=tuple(
            operation
            for operation in definition.operation_types
            if operation.type.name.value not in hidden
        ),
    )


def _type_definition(
    definition: TypeDefinitionNode,
    visible: _Visible,
    hidden: set[str],
) -> TypeDefinitionNode:
    trimmed = _without_directives(definition)
    if isinstance(
        trimmed,
        ObjectTypeDefinitionNode
        | ObjectTypeExtensionNode
        | InterfaceTypeDefinitionNode
        | InterfaceTypeExtensionNode,
    ):
        return replace(
            trimmed,
            fields=tuple(
                _field(field, visible)
                for field in trimmed.fields or ()
                if field.name.value not in _FEDERATION_FIELDS
                and visible(field.directives, named_type(field.type))
            ),
            interfaces=tuple(
                interface
                for interface in trimmed.interfaces or ()
                if interface.name.value not in hidden
            ),
        )
    if isinstance(trimmed, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        return replace(
            trimmed,
            types=tuple(
                member for member in trimmed.types or () if member.name.value not in hidden
            ),
        )
    if isinstance(trimmed, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        return replace(
            trimmed,
            values=tuple(
                _without_directives(value)
                for value in trimmed.values or ()
                if visible(value.directives)
            ),
        )
    if isinstance(trimmed, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        return replace(trimmed, fields=_input_values(trimmed.fields, visible))
    return trimmed


class _Visible(Protocol):
    def __call__(
        self, directives: Iterable[DirectiveNode] | None, type_name: str | None = None
    ) -> bool: ...


def _field(field: FieldDefinitionNode, visible: _Visible) -> FieldDefinitionNode:
    return replace(_without_directives(field), arguments=_input_values(field.arguments, visible))


def _input_values(
    values: Sequence[InputValueDefinitionNode] | None, visible: _Visible
) -> tuple[InputValueDefinitionNode, ...]:
    return tuple(
        _without_directives(value)
        for value in values or ()
        if visible(value.directives, named_type(value.type))
    )


def _without_directives(node: N) -> N:
    directives = getattr(node, "directives", None) or ()
    return replace(  # type: ignore[call-arg]
        node,
        directives=tuple(
            directive for directive in directives if directive.name.value in _SPEC_DIRECTIVES
        ),
    )


def _marked(directives: Iterable[DirectiveNode] | None, name: str) -> bool:
    return any(directive.name.value == name for directive in directives or ())


def _executable(definition: DirectiveDefinitionNode) -> bool:
    return any(
        DirectiveLocation[location.value] in _EXECUTABLE for location in definition.locations
    )
