"""inventory: extends `Product` with what needs products' data.

- `shippingEstimate` `@requires(fields: "price weight")` (scalars);
- `shippingClass` `@requires(fields: "dimensions { size weight }")` (a nested
  selection of the `@shareable` value type `Dimensions`);
- `inStock` is still defined here, but products overrides it: this resolver
  answers a stale value so a gateway that routes it here is caught;
- `stockNote` fails for the Couch, a nullable field with an error;
- `shippingEstimate` fails for the Lamp, a non-null field with an error.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

UPCS = ("1", "2", "3", "4")


@strawberry.federation.type(shareable=True)
class Dimensions:
    size: str
    weight: int


@strawberry.federation.type(shareable=True)
class CatalogInfo:
    version: str
    warehouses: int


def _shipping_estimate(root: Product) -> int:
    if root.upc == "4":
        raise GraphQLError("no carrier takes lamps")
    return 0 if root.price >= 1000 else root.weight * 2


def _shipping_class(root: Product) -> str:
    if root.dimensions.size == "large":
        return "freight" if root.dimensions.weight > 60 else "oversize"
    return "parcel"


def _stock_note(root: Product) -> str | None:
    if root.upc == "2":
        raise GraphQLError("the couch warehouse is offline")
    return f"aisle {root.upc}"


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    price: int = strawberry.federation.field(external=True, default=0)
    weight: int = strawberry.federation.field(external=True, default=0)
    dimensions: Dimensions = strawberry.federation.field(
        external=True, default_factory=lambda: Dimensions(size="", weight=0)
    )
    in_stock: bool = False
    shipping_estimate: int = strawberry.federation.field(
        resolver=_shipping_estimate, requires=["price", "weight"]
    )
    shipping_class: str = strawberry.federation.field(
        resolver=_shipping_class, requires=["dimensions { size weight }"]
    )
    stock_note: str | None = strawberry.field(resolver=_stock_note)

    @classmethod
    def resolve_reference(
        cls,
        upc: str,
        price: int = 0,
        weight: int = 0,
        dimensions: dict[str, Any] | None = None,
    ) -> Product | None:
        if upc not in UPCS:
            return None
        return cls(
            upc=upc,
            price=price,
            weight=weight,
            dimensions=Dimensions(**(dimensions or {"size": "", "weight": 0})),
        )


def _product(upc: str) -> Product | None:
    return Product.resolve_reference(upc)


def _catalog_info() -> CatalogInfo:
    return CatalogInfo(version="2024.1", warehouses=2)


@strawberry.type
class Query:
    product: Product | None = strawberry.federation.field(resolver=_product, shareable=True)
    catalog_info: CatalogInfo = strawberry.federation.field(resolver=_catalog_info, shareable=True)


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
