"""gallery: the other side of studio's `Painting` and `spotlight`.

`Painting.code` is nullable here, which makes it nullable in the supergraph;
`spotlight` returns this subgraph's `Exhibit = Painting | Print`; only this
subgraph knows a frame's `wood`; `price(currency:)`, which studio requires
with two different arguments; `year`, moved here from studio by a progressive
`@override` whose label (`percent(50)`) is off unless something turns it on.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.federation.schema_directives import Override

ARTISTS = {"p1": "Claude Monet"}
PRICES = {"USD": 1000, "EUR": 900}


@strawberry.federation.type(shareable=True)
class Frame:
    width: int
    wood: str


def _related() -> list[Exhibit]:
    return [Print(edition=3)]


@strawberry.federation.type(keys=["id"])
class Painting:
    id: strawberry.ID
    code: str | None = strawberry.federation.field(shareable=True)
    artist: str
    frame: Frame = strawberry.federation.field(shareable=True)
    # a progressive override whose label is off by default: studio still resolves `year`
    related: list[Exhibit] = strawberry.federation.field(resolver=_related, shareable=True)
    year: int = strawberry.federation.field(
        default=1906, override=Override(override_from="studio", label="percent(50)")
    )

    @strawberry.field
    def price(self, currency: str) -> int | None:
        return PRICES[currency]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Painting | None:
        return _painting(id)


@strawberry.type
class Print:
    edition: int


Exhibit = Annotated[Painting | Print, strawberry.union("Exhibit")]


def _painting(id: str) -> Painting | None:
    if id not in ARTISTS:
        return None
    frame = Frame(width=90, wood="oak")
    return Painting(id=strawberry.ID(id), code="WL-1", artist=ARTISTS[id], frame=frame)


def _spotlight() -> Exhibit | None:
    return _painting("p1")


@strawberry.type
class Query:
    spotlight: Exhibit | None = strawberry.federation.field(resolver=_spotlight, shareable=True)


schema = strawberry.federation.Schema(
    query=Query, types=[Painting, Print], federation_version="2.9"
)
