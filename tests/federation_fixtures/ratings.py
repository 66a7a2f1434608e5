"""ratings: rates `Book`s and `Movie`s, which other subgraphs own.

Its `Media` interface has only `id` and `stars`: a client asking `topRated`
for a `title` sends the gateway to books for the books and to movies for the
movies. `staffPicks` returns the union `Pick`, whose members live in those
two subgraphs. `lostMedia` holds a book that books does not know: books
answers a null entity, yet `title` is non-null. It adds `sales` to books'
`Edition`, keyed by `book { id } year`.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

STARS = {"b1": 4, "b2": 3, "m1": 4, "m2": 5}
SALES = {("b1", 1965): 12, ("b1", 2005): 40, ("b2", 1815): 2}


@strawberry.interface
class Media:
    id: strawberry.ID
    stars: int


@strawberry.federation.type(keys=["id"])
class Book(Media):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Book | None:
        return cls(id=id, stars=STARS[id]) if id in STARS else None


@strawberry.federation.type(keys=["id"])
class Movie(Media):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Movie | None:
        return cls(id=id, stars=STARS[id]) if id in STARS else None


@strawberry.federation.type(keys=["book { id } year"])
class Edition:
    book: Book
    year: int
    sales: int

    @classmethod
    def resolve_reference(cls, book: dict[str, Any], year: int) -> Edition | None:
        sales = SALES.get((book["id"], year))
        if sales is None:
            return None
        return cls(book=_book(book["id"]), year=year, sales=sales)


def _book(id: str) -> Book:
    return Book(id=strawberry.ID(id), stars=STARS[id])


Pick = Annotated[Book | Movie, strawberry.union("Pick")]


def _media(id: str) -> Book | Movie:
    kind = Book if id.startswith("b") else Movie
    return kind(id=strawberry.ID(id), stars=STARS[id])


@strawberry.type
class Query:
    @strawberry.field
    def top_rated(self) -> list[Media]:
        return [_media(id) for id in ("m2", "b1", "m1", "b2")]

    @strawberry.field
    def lost_media(self) -> list[Media | None]:
        return [Book(id=strawberry.ID("b9"), stars=1)]

    @strawberry.field
    def best_edition(self) -> Edition:
        return Edition(book=_book("b1"), year=2005, sales=SALES["b1", 2005])

    @strawberry.field
    def staff_picks(self) -> list[Pick]:
        return [_media(id) for id in ("b2", "m1")]


schema = strawberry.federation.Schema(query=Query, types=[Book, Movie], federation_version="2.9")
