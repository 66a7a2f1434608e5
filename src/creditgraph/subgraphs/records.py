"""Building a GraphQL record type from a database row, column by field name.

Most of a subgraph's types are rows shown as they are stored: each field
reads the column of its Python name, turned into the field's type (an id
into an `ID` string, a text code into its enum, a text array into a list of
enums). One function does that for every such type, so a type declares its
fields once and a new column is one new line; fields that are computed, or
private keys the type keeps for its resolvers, are passed in by name.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Protocol, TypeVar

import strawberry
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition

T = TypeVar("T")


class Row(Protocol):
    def __getitem__(self, column: str, /) -> Any: ...


def _convert(kind: object, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, StrawberryOptional):
        return _convert(kind.of_type, value)
    if isinstance(kind, StrawberryList):
        return [_convert(kind.of_type, item) for item in value]
    if isinstance(kind, StrawberryEnumDefinition):
        return kind.wrapped_cls(value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if kind is strawberry.ID:
        return strawberry.ID(str(value))
    return value


def build_record(cls: type[T], row: Row, **given: Any) -> T:
    """`cls` with each field read from the column of its name, unless `given`.

    GraphQL fields are converted to their declared type; private fields (keys
    a type keeps for its resolvers) are taken as stored.
    """
    values = dict(given)
    graphql = {f.python_name: f for f in get_object_definition(cls, strict=True).fields}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if name in values or not field.init:
            continue
        shown = graphql.get(name)
        if shown is None:
            values[name] = row[name]
        elif shown.base_resolver is None:
            values[name] = _convert(shown.type, row[name])
    return cls(**values)
