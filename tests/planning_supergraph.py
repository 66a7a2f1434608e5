"""A small supergraph for the planner's unit tests (tests/test_planning_*.py).

Three subgraphs share `Product`: shop owns it (name, price, weight), stock adds
`inStock` and fields that `@requires` shop's price or weight, ship knows it by
another key (`upc`, which shop accepts too) and adds `carrier`; both stock and
ship resolve `rating`; stock's `featured` product `@provides` shop's `name`. An
`Offer` is a product or a bundle of them. Mutations run on shop and stock in turn.
Plans for it need no database and no subgraph: planning is pure.
"""

from __future__ import annotations

from graphql import parse

from creditgraph.gateway.operation import normalize
from creditgraph.gateway.plan import Plan
from creditgraph.gateway.planning import Planner
from creditgraph.gateway.supergraph import Supergraph

SHOP = """
schema @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) {
  query: Query
  mutation: Mutation
}
enum join__Graph {
  SHOP @join__graph(name: "shop", url: "http://shop")
  STOCK @join__graph(name: "stock", url: "http://stock")
  SHIP @join__graph(name: "ship", url: "http://ship")
}
type Query @join__type(graph: SHOP) @join__type(graph: STOCK) @join__type(graph: SHIP) {
  product(id: ID!): Product @join__field(graph: SHOP)
  products(first: Int): [Product!]! @join__field(graph: SHOP)
  warehouses: [String!]! @join__field(graph: STOCK)
  offers: [Offer!]! @join__field(graph: SHOP)
  featured: Product @join__field(graph: STOCK, provides: "name")
}
union Offer
  @join__type(graph: SHOP)
  @join__unionMember(graph: SHOP, member: "Product")
  @join__unionMember(graph: SHOP, member: "Bundle") = Product | Bundle
type Bundle @join__type(graph: SHOP) {
  title: String @join__field(graph: SHOP)
  products: [Product!]! @join__field(graph: SHOP)
}
type Mutation @join__type(graph: SHOP) @join__type(graph: STOCK) {
  rename(id: ID!, name: String!): Product @join__field(graph: SHOP)
  restock(id: ID!): Boolean @join__field(graph: STOCK)
  reprice(id: ID!): Product @join__field(graph: SHOP)
}
type Product
  @join__type(graph: SHOP, key: "id")
  @join__type(graph: SHOP, key: "upc")
  @join__type(graph: STOCK, key: "id")
  @join__type(graph: SHIP, key: "upc") {
  id: ID! @join__field(graph: SHOP) @join__field(graph: STOCK)
  upc: String! @join__field(graph: SHOP) @join__field(graph: SHIP)
  name: String @join__field(graph: SHOP) @join__field(graph: STOCK, external: true)
  price(currency: String!): Int
    @join__field(graph: SHOP) @join__field(graph: STOCK, external: true)
  weight: Int @join__field(graph: SHOP) @join__field(graph: STOCK, external: true)
  inStock: Boolean @join__field(graph: STOCK)
  shipping: Int @join__field(graph: STOCK, requires: "weight")
  insuranceUsd: Int @join__field(graph: STOCK, requires: "price(currency: \\"USD\\")")
  insuranceEur: Int @join__field(graph: STOCK, requires: "price(currency: \\"EUR\\")")
  carrier(express: Boolean): String @join__field(graph: SHIP)
  rating: Int @join__field(graph: STOCK) @join__field(graph: SHIP)
}
"""


def plan(query: str) -> Plan:
    """The plan for `query` over the shop supergraph."""
    return Planner(Supergraph(SHOP)).plan(normalize(parse(query), None, {}))
