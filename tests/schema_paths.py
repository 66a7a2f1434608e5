"""The part of an API schema that leads from one Subject to another.

Random operations over the whole schema seldom go deep enough to cross from
a subject to a co-borrower or a guarantee-chain member (a field or two of
forty at each level leads on). Drawn over this narrowed copy instead (every
object type keeps only the fields through which a Subject can be reached;
Subject keeps its leaf fields too), they cross at almost every step. Any
document valid against the copy is valid against the schema it came from.
"""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)

SUBJECT = "Subject"


def _leading(schema: GraphQLSchema) -> set[str]:
    """The object types from which a Subject can be reached (Subject included)."""
    objects = [t for t in schema.type_map.values() if isinstance(t, GraphQLObjectType)]
    found = {SUBJECT}
    grew = True
    while grew:
        grew = False
        for type_ in objects:
            if type_.name not in found and any(
                get_named_type(field.type).name in found for field in type_.fields.values()
            ):
                found.add(type_.name)
                grew = True
    return found


def toward_subjects(schema: GraphQLSchema) -> GraphQLSchema:
    leading = _leading(schema)
    made: dict[str, GraphQLObjectType] = {}

    def kept(type_: GraphQLObjectType, field: GraphQLField) -> bool:
        named = get_named_type(field.type)
        return named.name in leading or (type_.name == SUBJECT and is_leaf_type(named))

    def convert(type_: GraphQLOutputType) -> GraphQLOutputType:
        if isinstance(type_, GraphQLNonNull):
            return GraphQLNonNull(convert(type_.of_type))  # type: ignore[arg-type]
        if isinstance(type_, GraphQLList):
            return GraphQLList(convert(type_.of_type))
        named = type_
        if not isinstance(named, GraphQLObjectType):
            return type_
        return copy(named)

    def copy(type_: GraphQLObjectType) -> GraphQLObjectType:
        if type_.name not in made:
            made[type_.name] = GraphQLObjectType(
                type_.name,
                lambda: {
                    name: GraphQLField(convert(field.type), args=field.args)
                    for name, field in type_.fields.items()
                    if kept(type_, field)
                },
            )
        return made[type_.name]

    assert schema.query_type is not None
    return GraphQLSchema(query=copy(schema.query_type))


def every_field(type_: GraphQLObjectType, depth: int, reached: int | None = None) -> str:
    """A selection of every field of `type_` down to `depth` levels (leaves only at the last);
    a Subject met below gets at most `reached` levels of its own."""
    parts = []
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        if is_leaf_type(named):
            parts.append(name)
        elif depth > 1 and isinstance(named, GraphQLObjectType):
            below = depth - 1
            if named.name == SUBJECT and reached is not None:
                below = min(below, reached)
            parts.append(f"{name} {{ {every_field(named, below, reached)} }}")
    return " ".join(parts) or "__typename"
