"""books: owns `Book` (key `id`), one implementation of the interface `Media`.

It also owns `Edition`, keyed by a composite key with a nested selection,
`@key(fields: "book { id } year")`; ratings adds the sales of each edition.
"""

from __future__ import annotations

from typing import Any

import strawberry

BOOKS = {"b1": ("Dune", 412), "b2": ("Emma", 474)}
PUBLISHERS = {("b1", 1965): "Chilton", ("b1", 2005): "Ace", ("b2", 1815): "John Murray"}


@strawberry.interface
class Media:
    id: strawberry.ID
    title: str


@strawberry.federation.type(keys=["id"])
class Book(Media):
    pages: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Book | None:
        if id not in BOOKS:
            return None
        title, pages = BOOKS[id]
        return cls(id=id, title=title, pages=pages)

    @strawberry.field
    def editions(self) -> list[Edition]:
        return [
            Edition(book=self, year=year, publisher=publisher)
            for (book, year), publisher in PUBLISHERS.items()
            if book == self.id
        ]


@strawberry.federation.type(keys=["book { id } year"])
class Edition:
    book: Book
    year: int
    publisher: str

    @classmethod
    def resolve_reference(cls, book: dict[str, Any], year: int) -> Edition | None:
        found = Book.resolve_reference(strawberry.ID(book["id"]))
        publisher = PUBLISHERS.get((book["id"], year))
        if found is None or publisher is None:
            return None
        return cls(book=found, year=year, publisher=publisher)


@strawberry.type
class Query:
    @strawberry.field
    def books(self) -> list[Book]:
        found = [Book.resolve_reference(strawberry.ID(id)) for id in BOOKS]
        return [book for book in found if book is not None]


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
