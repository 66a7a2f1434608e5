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
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeAlias, TypeVar

import asyncpg
import strawberry
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition

T = TypeVar("T")


# a row as the database returns it, everywhere a subgraph reads one
Row: TypeAlias = asyncpg.Record


def _converter(kind: object) -> Callable[[Any], Any] | None:
    """How a column's value becomes a field of type `kind`; None when it is shown as stored."""
    if isinstance(kind, StrawberryOptional):
        return _converter(kind.of_type)
    if isinstance(kind, StrawberryList):
        item = _converter(kind.of_type)
        if item is None:
            return None
        return lambda value: [None if entry is None else item(entry) for entry in value]
    if isinstance(kind, StrawberryEnumDefinition):
        return kind.wrapped_cls
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    if kind is strawberry.ID:
        return lambda value: strawberry.ID(str(value))
    return None


_Plan: TypeAlias = tuple[tuple[str, Callable[[Any], Any] | None], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """The columns `cls` is built from, each with its conversion: worked out once per type.

    Resolving a strawberry field's type is far dearer than reading a column, and a
    report builds thousands of records of a few dozen types.
    """
    found = _PLANS.get(cls)
    if found is not None:
        return found
    graphql = {f.python_name: f for f in get_object_definition(cls, strict=True).fields}
    plan: list[tuple[str, Callable[[Any], Any] | None]] = []
    for field in dataclasses.fields(cls):
        shown = graphql.get(field.name)
        if not field.init or (shown is not None and shown.base_resolver is not None):
            continue
        plan.append((field.name, None if shown is None else _converter(shown.type)))
    _PLANS[cls] = found = tuple(plan)
    return found


def build_record(cls: type[T], row: Row, **given: Any) -> T:
    """`cls` with each field read from the column of its name, unless `given`.

    GraphQL fields are converted to their declared type; private fields (keys
    a type keeps for its resolvers) are taken as stored.
    """
    values = dict(given)
    for name, convert in _plan(cls):
        if name not in values:
            value = row[name]
            values[name] = value if convert is None or value is None else convert(value)
    return cls(**values)
