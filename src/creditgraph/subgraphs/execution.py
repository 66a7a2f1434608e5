"""Lists of plain records completed in one pass, outside graphql-core's per-item path.

A report's longest lists hold records whose selected fields are all plain
values read off the row: an account's repayment months, a subject's phones
and addresses. graphql-core completes every item as an object (its fields
collected, each executed and completed, a path built for each), and for the
bureau's part of an underwriting report that came to a third of its CPU.

For such a list the answer is known from the attributes alone. When every
field the client selected on the item type is `__typename` or a field that
strawberry resolves by its default resolver (no resolver of ours, no field
extension, no error handler), takes no arguments and is a scalar or an
enum, `RecordLists` builds each item's dict directly: the attribute, coerced
for output by the field's type, under the client's response key.

Anything else is graphql-core's: a list whose items are not all such records,
`@defer` or `@stream`, middleware, and every way a value can go wrong (a null
where the type forbids one, a value its type cannot coerce, an item that is
not of the type). Then the whole list goes through graphql-core as if this
module did not exist, so errors, paths and null propagation stay its own.
tests/test_subgraph_execution.py runs documents with and without it and
compares the answers; `bench/subgraph_report.py` measures it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, NamedTuple

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_TYPENAME: Final = "__typename"


class _Leaf(NamedTuple):
    """One selected field of a plain record: where it goes, how it is read and coerced.

    `type` None is `__typename`."""

    key: str
    resolve: Any  # strawberry's default resolver: (source, info) -> the attribute
    type: GraphQLLeafType | None
    nullable: bool


class _Unplain(Exception):
    """A value this pass does not complete: graphql-core completes the whole list."""


class RecordLists(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing lists of plain records in one pass."""

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        record = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        middleware = self.middleware_manager
        if isinstance(record, GraphQLObjectType) and not (middleware and middleware.middlewares):
            leaves = self._leaves(record, field_details_list)
            if leaves is not None and not self.get_stream_usage(field_details_list, path):
                items = list(items)  # read once, whichever path completes it
                try:
                    return [_complete(record, leaves, item, info) for item in items]
                except _Unplain:
                    pass
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _leaves(
        self, record: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> tuple[_Leaf, ...] | None:
        """The record's selected fields, when all are plain leaves (graphql-core memoises the
        collection on the field group, so this is worked out once per list, not per item)."""
        grouped, defers, _ = self.collect_subfields(record, field_details_list)
        if defers:
            return None
        leaves: list[_Leaf] = []
        for key, group in grouped.items():
            node = group[0].node
            name = node.name.value
            if name == _TYPENAME:
                leaves.append(_Leaf(key, None, None, False))
                continue
            field = record.fields.get(name)
            if (
                field is None
                or node.arguments
                or field.args
                or not getattr(field.resolve, "_is_default", False)
            ):
                return None
            nullable = not isinstance(field.type, GraphQLNonNull)
            named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if not is_leaf_type(named):
                return None
            leaves.append(_Leaf(key, field.resolve, named, nullable))
        return tuple(leaves)


def _complete(
    record: GraphQLObjectType,
    leaves: tuple[_Leaf, ...],
    item: Any,
    info: GraphQLResolveInfo[Any],
) -> dict[str, Any]:
    if item is None or (
        record.is_type_of is not None and record.is_type_of(item, info) is not True
    ):
        raise _Unplain
    completed: dict[str, Any] = {}
    for key, resolve, leaf, nullable in leaves:
        if leaf is None:
            completed[key] = record.name
            continue
        try:
            value = resolve(item, None)  # the default resolver reads the attribute, no info
            coerced = None if value is None else leaf.coerce_output_value(value)
        except Exception:
            raise _Unplain from None
        if coerced is None or coerced is Undefined:
            if value is not None or not nullable:
                raise _Unplain
            coerced = None
        completed[key] = coerced
    return completed
