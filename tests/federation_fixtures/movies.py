"""movies: owns `Movie` (key `id`), the other implementation of the interface `Media`."""

from __future__ import annotations

import strawberry

MOVIES = {"m1": ("Alien", 117), "m2": ("Heat", 170)}


@strawberry.interface
class Media:
    id: strawberry.ID
    title: str


@strawberry.federation.type(keys=["id"])
class Movie(Media):
    minutes: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Movie | None:
        if id not in MOVIES:
            return None
        title, minutes = MOVIES[id]
        return cls(id=id, title=title, minutes=minutes)


@strawberry.type
class Query:
    @strawberry.field
    def movies(self) -> list[Movie]:
        return [Movie(id=strawberry.ID(id), title=t, minutes=m) for id, (t, m) in MOVIES.items()]


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
