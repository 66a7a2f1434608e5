"""products: owns `Product` (key `upc`) with its name, price, weight and dimensions.

`Product.inStock` moved here from inventory (`@override(from: "inventory")`);
`Dimensions` and `CatalogInfo` are `@shareable` value types, and
`Query.product` and `Query.catalogInfo` are `@shareable` root fields that
inventory resolves too. `CatalogInfo.currency` exists only here. `bestseller` always fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from graphql import GraphQLError


@strawberry.federation.type(shareable=True)
class Dimensions:
    size: str
    weight: int


@strawberry.federation.type(shareable=True)
class CatalogInfo:
    version: str
    currency: str


@dataclass(frozen=True)
class _Row:
    upc: str
    name: str
    price: int
    weight: int
    size: str
    in_stock: bool


ROWS = {
    row.upc: row
    for row in (
        _Row("1", "Table", 899, 50, "large", True),
        _Row("2", "Couch", 1299, 100, "large", False),
        _Row("3", "Chair", 54, 5, "small", True),
        _Row("4", "Lamp", 30, 2, "small", True),
    )
}
TOP = ["1", "2", "3", "4"]


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str
    price: int
    weight: int
    dimensions: Dimensions
    in_stock: bool = strawberry.federation.field(override="inventory")

    @classmethod
    def of(cls, row: _Row) -> Product:
        return cls(
            upc=row.upc,
            name=row.name,
            price=row.price,
            weight=row.weight,
            dimensions=Dimensions(size=row.size, weight=row.weight),
            in_stock=row.in_stock,
        )

    @classmethod
    def resolve_reference(cls, upc: str) -> Product | None:
        row = ROWS.get(upc)
        return None if row is None else cls.of(row)


def _product(upc: str) -> Product | None:
    return Product.resolve_reference(upc)


def _catalog_info() -> CatalogInfo:
    return CatalogInfo(version="2024.1", currency="EUR")


@strawberry.type
class Query:
    product: Product | None = strawberry.federation.field(resolver=_product, shareable=True)
    catalog_info: CatalogInfo = strawberry.federation.field(resolver=_catalog_info, shareable=True)

    @strawberry.field
    def top_products(self, first: int = 3) -> list[Product]:
        return [Product.of(ROWS[upc]) for upc in TOP[:first]]

    @strawberry.field
    def bestseller(self) -> Product | None:
        raise GraphQLError("the bestseller list is being recomputed")


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
