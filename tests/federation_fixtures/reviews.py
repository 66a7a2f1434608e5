"""reviews: owns `Review` (key `id`), extends `User` and `Product` with their reviews.

- `Review.author` `@provides(fields: "username")`: on that path this subgraph
  answers `User.username` itself (declared `@external` here), where
  `Review.editor`, with no `@provides`, leaves it to accounts;
- `Query.search` returns the union `SearchResult` of `Review` (owned here),
  `User` (accounts) and `Product` (products);
- `Mutation.addReview` holds state (reset between tests); `delayMs` lets a
  test show that mutation root fields run one after another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

import strawberry

# what reviews keeps of each author: enough to provide `username`
USERNAMES = {"1": "ada", "2": "alan", "3": "grace", "4": "linus", "5": "barbara"}


@dataclass(frozen=True)
class _Row:
    id: str
    body: str
    author: str
    editor: str | None
    upc: str


_INITIAL = (
    _Row("r1", "Love it", "1", "2", "1"),
    _Row("r2", "Too expensive", "2", None, "2"),
    _Row("r3", "Could be softer", "1", "1", "2"),
    _Row("r4", "Bright", "3", None, "4"),
)
ROWS: list[_Row] = list(_INITIAL)


def reset() -> None:
    ROWS[:] = _INITIAL


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str = strawberry.federation.field(external=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id, username=USERNAMES.get(id, ""))

    @strawberry.field
    def reviews(self) -> list[Review]:
        return [Review.of(row) for row in ROWS if row.author == self.id]


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str

    @classmethod
    def resolve_reference(cls, upc: str) -> Product:
        return cls(upc=upc)

    @strawberry.field
    def reviews(self, first: int | None = None) -> list[Review]:
        found = [Review.of(row) for row in ROWS if row.upc == self.upc]
        return found if first is None else found[:first]


def _author(root: Review) -> User:
    return User.resolve_reference(strawberry.ID(root.row.author))


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    body: str
    row: strawberry.Private[_Row]
    author: User = strawberry.federation.field(resolver=_author, provides=["username"])

    @classmethod
    def of(cls, row: _Row) -> Review:
        return cls(id=strawberry.ID(row.id), body=row.body, row=row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review | None:
        return next((cls.of(row) for row in ROWS if row.id == id), None)

    @strawberry.field
    def editor(self) -> User | None:
        if self.row.editor is None:
            return None
        return User.resolve_reference(strawberry.ID(self.row.editor))

    @strawberry.field
    def product(self) -> Product | None:
        return Product(upc=self.row.upc)


SearchResult = Annotated[User | Product | Review, strawberry.union("SearchResult")]

_SEARCH: dict[str, list[tuple[str, str]]] = {
    "everything": [("Review", "r1"), ("User", "2"), ("Product", "3")],
    "turing": [("User", "2"), ("Review", "r2")],
}


def _found(kind: str, key: str) -> User | Product | Review:
    if kind == "User":
        return User.resolve_reference(strawberry.ID(key))
    if kind == "Product":
        return Product(upc=key)
    found = Review.resolve_reference(strawberry.ID(key))
    assert found is not None
    return found


@strawberry.type
class Query:
    @strawberry.field
    def reviews(self) -> list[Review]:
        return [Review.of(row) for row in ROWS]

    @strawberry.field
    def review(self, id: strawberry.ID) -> Review | None:
        return Review.resolve_reference(id)

    @strawberry.field
    def search(self, term: str) -> list[SearchResult]:
        return [_found(kind, key) for kind, key in _SEARCH.get(term, [])]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add_review(self, upc: str, body: str, delay_ms: int = 0) -> Review:
        await asyncio.sleep(delay_ms / 1000)
        row = _Row(f"r{len(ROWS) + 1}", body, "1", None, upc)
        ROWS.append(row)
        return Review.of(row)


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, federation_version="2.9")
