"""Cursor pagination (`first`/`after`) for the lists that grow.

A subgraph loads a subject's whole list in one batched query (so the number
of statements never depends on page sizes or positions) and cuts the page
here. A cursor names the list it belongs to and the key of the item it
follows, not an offset, so a cursor stays meaningful when rows are added in
front of it; a cursor from another list, or one whose item is gone, is
refused with BAD_USER_INPUT rather than silently restarting the list.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from creditgraph.subgraphs.errors import BadUserInput, check_range

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


@strawberry.federation.type(shareable=True, description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """One page of a list, with the list's total length."""

    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    total_count: int


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def _decode_cursor(kind: str, cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    found_kind, _, key = raw.partition(":")
    if found_kind != kind or not key:
        raise BadUserInput(
            f"after: {cursor!r} is not a cursor of this {kind} list", argument="after"
        )
    return key


def paginate(
    items: Sequence[T],
    *,
    kind: str,
    key: Callable[[T], str],
    first: int | None,
    after: str | None,
    default_size: int = DEFAULT_PAGE_SIZE,
) -> Connection[T]:
    """The page of `items` (already in list order) that `first`/`after` ask for."""
    size = default_size if first is None else check_range("first", first, 0, MAX_PAGE_SIZE)
    start = 0
    if after is not None:
        wanted = _decode_cursor(kind, after)
        keys = [key(item) for item in items]
        try:
            start = keys.index(wanted) + 1
        except ValueError:
            raise BadUserInput(
                f"after: the {kind} this cursor points at is no longer in the list",
                argument="after",
            ) from None
    chosen = items[start : start + size]
    edges = [Edge(cursor=encode_cursor(kind, key(item)), node=item) for item in chosen]
    return Connection(
        edges=edges,
        nodes=list(chosen),
        page_info=PageInfo(
            has_next_page=start + size < len(items),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(items),
    )
