"""Small Federation v2 subgraphs, each with in-memory data, to test the gateway against.

Twelve subgraphs, each a strawberry federation schema in its own module:

- accounts, mail, products, inventory, reviews: entities with different keys
  in different subgraphs, entity hop chains, `@requires` (scalar and nested),
  `@provides`, `@external`, `@shareable` value types and root fields,
  `@override`, `@inaccessible`, a union of members from several subgraphs,
  mutations, subgraph errors, null keys and null entities;
- books, movies, ratings: an interface whose entity implementations live in
  different subgraphs, and a union of them;
- catalog, audit: an entity interface and an `@interfaceObject`;
- gallery, studio: a union whose members type a shared field differently,
  and a `@shareable` field one subgraph narrows to a member of the union.

`reset()` puts the data the mutations change back as it was.
"""

from __future__ import annotations

import strawberry

from tests.federation_fixtures import (
    accounts,
    audit,
    books,
    catalog,
    gallery,
    inventory,
    mail,
    movies,
    products,
    ratings,
    reviews,
    studio,
)

SCHEMAS: dict[str, strawberry.Schema] = {
    "accounts": accounts.schema,
    "audit": audit.schema,
    "books": books.schema,
    "catalog": catalog.schema,
    "gallery": gallery.schema,
    "inventory": inventory.schema,
    "mail": mail.schema,
    "movies": movies.schema,
    "products": products.schema,
    "ratings": ratings.schema,
    "reviews": reviews.schema,
    "studio": studio.schema,
}


def reset() -> None:
    accounts.reset()
    reviews.reset()
