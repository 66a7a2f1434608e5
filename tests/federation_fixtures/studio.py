"""studio: a union whose members type one shared field differently, and a narrowed field.

- `Exhibit = Painting | Sculpture`: here `Painting.code` is `String!` while
  `Sculpture.code` is `String` (and gallery's `Painting.code` is `String`, so
  the supergraph says `String`): a subgraph query selecting `code` under both
  type conditions conflicts unless the gateway aliases one of them;
- `spotlight` (`@shareable`) is a `Painting` here and an `Exhibit` in gallery:
  the supergraph has the union, this subgraph answers the member type;
- `Painting.frame` is a `@shareable` value type whose `wood` only gallery
  resolves: no entity jump reaches a `Frame`, the gateway must ask gallery for
  the painting's frame;
- `insurance` and `insuranceEUR` require gallery's `price` with different
  arguments: one representation cannot carry both;
- `Painting.related` (`@shareable`, also in gallery) returns `Exhibit`, whose
  members differ between the two: only the members both have are asked for.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

PAINTINGS = {"p1": ("WL-1", "Water Lilies")}


@strawberry.federation.type(shareable=True)
class Frame:
    width: int


def _related() -> list[Exhibit]:
    return [Sculpture(code="TH-2", material="bronze")]


def _price(root: Painting, currency: str) -> int | None:
    return root.required_price


def _insurance(root: Painting) -> int | None:
    return None if root.required_price is None else root.required_price // 10


@strawberry.federation.type(keys=["id"])
class Painting:
    id: strawberry.ID
    code: str = strawberry.federation.field(shareable=True)
    title: str
    frame: Frame = strawberry.federation.field(shareable=True)
    year: int = 1899
    related: list[Exhibit] = strawberry.federation.field(resolver=_related, shareable=True)
    # the price the representation carried, in whichever currency the field asked
    required_price: strawberry.Private[int | None] = None
    price: int | None = strawberry.federation.field(resolver=_price, external=True)
    insurance: int | None = strawberry.federation.field(
        resolver=_insurance, requires=['price(currency: "USD")']
    )
    insurance_eur: int | None = strawberry.federation.field(
        resolver=_insurance, requires=['price(currency: "EUR")']
    )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, price: int | None = None) -> Painting | None:
        found = _painting(id)
        if found is not None:
            found.required_price = price
        return found


@strawberry.type
class Sculpture:
    code: str | None
    material: str


Exhibit = Annotated[Painting | Sculpture, strawberry.union("Exhibit")]


def _painting(id: str) -> Painting | None:
    if id not in PAINTINGS:
        return None
    code, title = PAINTINGS[id]
    return Painting(id=strawberry.ID(id), code=code, title=title, frame=Frame(width=90))


def _exhibits() -> list[Exhibit]:
    painting = _painting("p1")
    assert painting is not None
    return [painting, Sculpture(code="TH-2", material="bronze")]


def _spotlight() -> Painting | None:
    return _painting("p1")


@strawberry.type
class Query:
    exhibits: list[Exhibit] = strawberry.field(resolver=_exhibits)
    spotlight: Painting | None = strawberry.federation.field(resolver=_spotlight, shareable=True)


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
