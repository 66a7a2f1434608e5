"""Cursor pagination (`first`/`after`) for the lists that grow.

A subgraph loads a subject's whole list in one batched query (so the number
of statements never depends on page sizes or positions) and cuts the page
here; a list that grows with every read (the inquiries) is read a page at a
time instead, in one batched query just the same, and only shaped here
(`page`). A cursor names the list it belongs to and the key of the item it
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


def _edges(root: Connection[T]) -> list[Edge[T]]:
    return [Edge(cursor=root.cursor(item), node=item) for item in root.nodes]


def _page_info(root: Connection[T]) -> PageInfo:
    nodes = root.nodes
    return PageInfo(
        has_next_page=root.has_next,
        has_previous_page=root.has_previous,
        start_cursor=root.cursor(nodes[0]) if nodes else None,
        end_cursor=root.cursor(nodes[-1]) if nodes else None,
    )


@strawberry.type
class Connection(Generic[T]):
    """One page of a list, with the list's total length.

    The edges and page info are made only when asked for: a report reads most pages by
    their nodes, and a cursor per item was most of the cost of its repayment months."""

    edges: list[Edge[T]] = strawberry.field(resolver=_edges)
    nodes: list[T]
    page_info: PageInfo = strawberry.field(resolver=_page_info)
    total_count: int
    kind: strawberry.Private[str]
    key: strawberry.Private[Callable[[T], str]]
    has_next: strawberry.Private[bool]
    has_previous: strawberry.Private[bool]

    def cursor(self, item: T) -> str:
        """The cursor of an item of this page."""
        return encode_cursor(self.kind, self.key(item))


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> str:
    """The key a cursor of a `kind` list names, or BAD_USER_INPUT for any other string."""
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
    size = page_size(first, default_size)
    start = 0
    if after is not None:
        wanted = decode_cursor(kind, after)
        keys = [key(item) for item in items]
        try:
            start = keys.index(wanted) + 1
        except ValueError:
            raise gone(kind) from None
    return page(
        items[start : start + size],
        kind=kind,
        key=key,
        has_next=start + size < len(items),
        has_previous=start > 0,
        total=len(items),
    )


def page_size(first: int | None, default_size: int = DEFAULT_PAGE_SIZE) -> int:
    """How many items `first` asks for, within the bounds every list keeps."""
    return default_size if first is None else check_range("first", first, 0, MAX_PAGE_SIZE)


def gone(kind: str) -> BadUserInput:
    """The refusal of a cursor whose item is no longer in its list."""
    return BadUserInput(
        f"after: the {kind} this cursor points at is no longer in the list", argument="after"
    )


def page(
    chosen: Sequence[T],
    *,
    kind: str,
    key: Callable[[T], str],
    has_next: bool,
    has_previous: bool,
    total: int,
) -> Connection[T]:
    """A page already cut (here, or by the database for a list read a page at a time)."""
    return Connection(
        nodes=list(chosen),
        total_count=total,
        kind=kind,
        key=key,
        has_next=has_next,
        has_previous=has_previous,
    )
