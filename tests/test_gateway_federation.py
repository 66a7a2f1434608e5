"""The gateway on Federation v2 features, over small purpose-built subgraphs.

The subgraphs (tests/federation_fixtures) are composed by the real
composition tool; every expected answer below is written by hand from the
fixtures' data, as a correct federation gateway must return it. Planning
properties (no entity fetch on a `@provides` path, one `_entities` call per
subgraph per step, ...) are checked on the plan and on the calls a counting
transport sees.

The slow tests serve the same subgraphs over HTTP and ask Apollo Gateway
(interop/apollo_gateway.mjs) every query too: Apollo must give the
hand-written answer (which checks the expectations themselves), and our
gateway must give Apollo's `data` and the same set of error paths.

Where our gateway is wrong the case stays, marked `xfail(strict=True)` with
the reason (`bug`); where Apollo Gateway is wrong (`apollo_bug`), only the
comparisons with it are expected to fail.
"""

from __future__ import annotations

import copy
import os
import secrets
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest
import uvicorn
from graphql import GraphQLEnumType, GraphQLObjectType
from starlette.applications import Starlette
from starlette.routing import Mount
from strawberry.asgi import GraphQL

from creditgraph.gateway.composition import compose
from creditgraph.gateway.engine import Gateway
from creditgraph.gateway.plan import Fetch
from creditgraph.gateway.supergraph import Supergraph, override_applies
from creditgraph.gateway.transports import HTTPTransport, InProcessTransport
from creditgraph.requester import Requester
from tests import federation_fixtures
from tests.cli_helpers import free_port
from tests.federation_fixtures import SCHEMAS

Json = dict[str, Any]

# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def subgraph_port() -> int:
    """Where the slow tests serve the subgraphs; the supergraph's URLs point there."""
    return free_port()


def _url(port: int, name: str) -> str:
    return f"http://127.0.0.1:{port}/{name}/graphql"


# The composition library we use leaves out which type each subgraph gives a `@shareable`
# field whose types differ (studio's `spotlight: Painting`, gallery's `spotlight: Exhibit`);
# Apollo's composition writes it, and a gateway needs it to ask studio a valid query.
_SPOTLIGHT_AS_COMPOSED = (
    "spotlight: Exhibit @join__field(graph: GALLERY) @join__field(graph: STUDIO)"
)
_SPOTLIGHT_AS_APOLLO_COMPOSES = (
    'spotlight: Exhibit @join__field(graph: GALLERY, type: "Exhibit") '
    '@join__field(graph: STUDIO, type: "Painting")'
)


@pytest.fixture(scope="module")
def supergraph_sdl(subgraph_port: int) -> str:
    composed = compose(
        {name: schema.as_str() for name, schema in SCHEMAS.items()},
        {name: _url(subgraph_port, name) for name in SCHEMAS},
    )
    assert _SPOTLIGHT_AS_COMPOSED in composed
    return composed.replace(_SPOTLIGHT_AS_COMPOSED, _SPOTLIGHT_AS_APOLLO_COMPOSES)


@pytest.fixture(scope="module")
def supergraph(supergraph_sdl: str) -> Supergraph:
    return Supergraph(supergraph_sdl)


@pytest.fixture(autouse=True)
def fresh_data() -> Iterator[None]:
    """Mutations change the fixtures' data: every test starts from the same data."""
    federation_fixtures.reset()
    yield
    federation_fixtures.reset()


@dataclass
class Call:
    subgraph: str
    document: str
    variables: Json


@dataclass
class CountingTransport:
    """The in-process subgraphs, with every request recorded as it was sent."""

    inner: InProcessTransport = field(
        default_factory=lambda: InProcessTransport(SCHEMAS, pool=cast(asyncpg.Pool, None))
    )
    calls: list[Call] = field(default_factory=list)

    async def send(self, subgraph: str, document: str, variables: Json) -> Json:
        # a copy: strawberry pops `__typename` out of the representations it is given
        self.calls.append(Call(subgraph, document, copy.deepcopy(variables)))
        return await self.inner.send(subgraph, document, variables)

    def acting_for(self, requester: Requester | None) -> CountingTransport:
        """The fixture subgraphs serve anyone: the same transport, the same record."""
        return self

    async def aclose(self) -> None:
        await self.inner.aclose()

    def per_subgraph(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.calls:
            counts[call.subgraph] = counts.get(call.subgraph, 0) + 1
        return counts

    def to(self, subgraph: str) -> list[Call]:
        return [call for call in self.calls if call.subgraph == subgraph]


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def gateway(supergraph: Supergraph, transport: CountingTransport) -> Gateway:
    return Gateway(supergraph, transport)


# -- helpers ------------------------------------------------------------------------------


def ordered(value: Any) -> Any:
    """A response value in a form whose equality also checks the order of keys."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def error_paths(response: Json) -> set[tuple[str | int, ...]]:
    """The paths of a response's errors (Apollo reports bad values under extensions too)."""
    found = [*response.get("errors", ())]
    found.extend((response.get("extensions") or {}).get("valueCompletion", ()))
    return {tuple(item["path"]) for item in found if item.get("path") is not None}


def codes(response: Json) -> list[str]:
    return [item.get("extensions", {}).get("code", "") for item in response.get("errors", ())]


@dataclass(frozen=True)
class FetchView:
    graph: str
    entity: bool
    path: str
    selection: str

    @classmethod
    def of(cls, fetch: Fetch) -> FetchView:
        path = ".".join(step.key for step in fetch.path) or "root"
        return cls(fetch.graph, fetch.entity, path, fetch.selection_text)


def fetches(gateway: Gateway, query: str, variables: Json | None = None) -> list[FetchView]:
    return [
        FetchView.of(fetch)
        for fetch in gateway.prepare(query, variables or {}, None).plan.fetches()
    ]


def describe(gateway: Gateway, query: str, variables: Json | None = None) -> str:
    return gateway.prepare(query, variables or {}, None).plan.describe()


# -- the cases: each query with the answer a correct gateway gives ------------------------

MISSING: Any = object()  # no `data` key at all: the request was refused before execution

# a known Apollo Gateway (JS query planner) limitation: apollographql/router#6222
APOLLO_ALIAS_BUG = (
    "Apollo Gateway merges a client field aliased to the name of a field it needs for "
    "itself with that field (apollographql/router#6222): {}"
)

# seen in the public federation gateway audit too (requires-with-argument suites)
APOLLO_REQUIRES_ARGUMENTS_BUG = (
    "Apollo Gateway merges a @requires selection with arguments into another selection "
    "of the same field with other arguments: {}"
)


@dataclass(frozen=True)
class Case:
    id: str
    query: str
    data: Any
    errors: dict[tuple[str | int, ...], str | None] = field(default_factory=dict)
    variables: Json | None = None
    codes: tuple[str, ...] = ()
    bug: str | None = None  # where our gateway is wrong
    apollo_bug: str | None = None  # where Apollo Gateway is wrong

    def param(self, *bugs: str | None) -> Any:
        """The case as a test parameter, expected to fail when one of `bugs` applies."""
        reason = "; ".join(bug for bug in bugs if bug)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        return pytest.param(self, id=self.id, marks=marks)


ADA = {"name": "Ada Lovelace"}
ALAN = {"name": "Alan Turing"}

CASES = [
    # -- entities with different keys in different subgraphs ---------------------------
    Case(
        "id-key-to-email-key-through-accounts",
        '{ review(id: "r1") { body author { name unread } } }',
        {"review": {"body": "Love it", "author": {"name": "Ada Lovelace", "unread": 3}}},
    ),
    Case(
        "email-key-to-id-key-through-accounts",
        '{ mailboxOwner(email: "ada@example.com") { unread name id reviews { body } } }',
        {
            "mailboxOwner": {
                "unread": 3,
                "name": "Ada Lovelace",
                "id": "1",
                "reviews": [{"body": "Love it"}, {"body": "Could be softer"}],
            }
        },
    ),
    # -- parent → child entity hops ----------------------------------------------------
    Case(
        "hop-chain-products-reviews-accounts-mail",
        "{ topProducts { name reviews { body author { name unread } } } }",
        {
            "topProducts": [
                {
                    "name": "Table",
                    "reviews": [
                        {"body": "Love it", "author": {"name": "Ada Lovelace", "unread": 3}}
                    ],
                },
                {
                    "name": "Couch",
                    "reviews": [
                        {"body": "Too expensive", "author": {"name": "Alan Turing", "unread": 0}},
                        {
                            "body": "Could be softer",
                            "author": {"name": "Ada Lovelace", "unread": 3},
                        },
                    ],
                },
                {"name": "Chair", "reviews": []},
            ]
        },
    ),
    Case(
        "hop-chain-accounts-reviews-products",
        "{ me { reviews { product { name } } } }",
        {"me": {"reviews": [{"product": {"name": "Table"}}, {"product": {"name": "Couch"}}]}},
    ),
    Case(
        "hop-chain-all-in-one-fetch-then-accounts",
        '{ review(id: "r1") { product { reviews { author { name } } } } }',
        {"review": {"product": {"reviews": [{"author": ADA}]}}},
    ),
    # -- a composite key with a nested selection -------------------------------------
    Case(
        "composite-key-from-the-owner",
        "{ books { title editions { year publisher sales } } }",
        {
            "books": [
                {
                    "title": "Dune",
                    "editions": [
                        {"year": 1965, "publisher": "Chilton", "sales": 12},
                        {"year": 2005, "publisher": "Ace", "sales": 40},
                    ],
                },
                {
                    "title": "Emma",
                    "editions": [{"year": 1815, "publisher": "John Murray", "sales": 2}],
                },
            ]
        },
    ),
    Case(
        "composite-key-to-the-owner",
        "{ bestEdition { year sales publisher book { title } } }",
        {"bestEdition": {"year": 2005, "sales": 40, "publisher": "Ace", "book": {"title": "Dune"}}},
    ),
    Case(
        "composite-key-below-an-entity-hop",
        "{ bestEdition { book { title stars editions { publisher sales } } } }",
        {
            "bestEdition": {
                "book": {
                    "title": "Dune",
                    "stars": 4,
                    "editions": [
                        {"publisher": "Chilton", "sales": 12},
                        {"publisher": "Ace", "sales": 40},
                    ],
                }
            }
        },
    ),
    # -- @requires -----------------------------------------------------------------------
    Case(
        "requires-scalars",
        "{ topProducts { name shippingEstimate } }",
        {
            "topProducts": [
                {"name": "Table", "shippingEstimate": 100},
                {"name": "Couch", "shippingEstimate": 0},
                {"name": "Chair", "shippingEstimate": 10},
            ]
        },
    ),
    Case(
        "requires-nested-selection",
        "{ topProducts { dimensions { size } shippingClass } }",
        {
            "topProducts": [
                {"dimensions": {"size": "large"}, "shippingClass": "oversize"},
                {"dimensions": {"size": "large"}, "shippingClass": "freight"},
                {"dimensions": {"size": "small"}, "shippingClass": "parcel"},
            ]
        },
    ),
    Case(
        "requires-when-the-client-uses-the-required-name-as-an-alias",
        "{ topProducts { price: name shippingEstimate } }",
        {
            "topProducts": [
                {"price": "Table", "shippingEstimate": 100},
                {"price": "Couch", "shippingEstimate": 0},
                {"price": "Chair", "shippingEstimate": 10},
            ]
        },
        apollo_bug=APOLLO_ALIAS_BUG.format(
            "it asks products for `price: name` alone and sends the name as the required price"
        ),
    ),
    Case(
        "requires-both-from-a-shareable-root",
        '{ product(upc: "1") { name shippingEstimate shippingClass } }',
        {"product": {"name": "Table", "shippingEstimate": 100, "shippingClass": "oversize"}},
    ),
    Case(
        "requires-with-an-argument-beside-the-client-asking-another",
        '{ exhibits { ... on Painting { price(currency: "EUR") insurance } } }',
        {"exhibits": [{"price": 900, "insurance": 100}, {}]},
        apollo_bug=APOLLO_REQUIRES_ARGUMENTS_BUG.format(
            "the client gets the required USD price for its EUR price"
        ),
    ),
    Case(
        "two-requires-of-one-field-with-different-arguments",
        "{ spotlight { ... on Painting { insurance insuranceEur } } }",
        {"spotlight": {"insurance": 100, "insuranceEur": 90}},
        apollo_bug=APOLLO_REQUIRES_ARGUMENTS_BUG.format(
            "one representation carries the USD price to both fields"
        ),
    ),
    # -- @provides / @external -------------------------------------------------------------
    Case(
        "provides-path",
        "{ reviews { author { username } } }",
        {
            "reviews": [
                {"author": {"username": "ada"}},
                {"author": {"username": "alan"}},
                {"author": {"username": "ada"}},
                {"author": {"username": "grace"}},
            ]
        },
    ),
    Case(
        "non-providing-path",
        "{ reviews { editor { username } } }",
        {
            "reviews": [
                {"editor": {"username": "alan"}},
                {"editor": None},
                {"editor": {"username": "ada"}},
                {"editor": None},
            ]
        },
    ),
    Case(
        "provided-and-not-provided-fields",
        "{ reviews { author { username name } } }",
        {
            "reviews": [
                {"author": {"username": "ada", "name": "Ada Lovelace"}},
                {"author": {"username": "alan", "name": "Alan Turing"}},
                {"author": {"username": "ada", "name": "Ada Lovelace"}},
                {"author": {"username": "grace", "name": "Grace Hopper"}},
            ]
        },
    ),
    Case(
        "key-field-name-used-as-a-client-alias",
        "{ reviews { author { id: username name } } }",
        {
            "reviews": [
                {"author": {"id": "ada", "name": "Ada Lovelace"}},
                {"author": {"id": "alan", "name": "Alan Turing"}},
                {"author": {"id": "ada", "name": "Ada Lovelace"}},
                {"author": {"id": "grace", "name": "Grace Hopper"}},
            ]
        },
        apollo_bug=APOLLO_ALIAS_BUG.format(
            "it asks reviews for the key `id` alone and answers it for the client's `id: username`"
        ),
    ),
    # -- @shareable value types and root fields ---------------------------------------
    Case(
        "shareable-root-field-either-subgraph",
        "{ catalogInfo { version } }",
        {"catalogInfo": {"version": "2024.1"}},
    ),
    Case(
        "shareable-root-field-only-inventory-has-the-sub-field",
        "{ catalogInfo { version warehouses } }",
        {"catalogInfo": {"version": "2024.1", "warehouses": 2}},
    ),
    Case(
        "shareable-root-field-only-products-has-the-sub-field",
        "{ catalogInfo { version currency } }",
        {"catalogInfo": {"version": "2024.1", "currency": "EUR"}},
    ),
    Case(
        "shareable-root-field-split-over-both-subgraphs",
        "{ catalogInfo { currency warehouses } }",
        {"catalogInfo": {"currency": "EUR", "warehouses": 2}},
    ),
    Case(
        "shareable-root-field-returning-an-entity-and-a-shareable-value-type",
        '{ product(upc: "3") { upc name inStock dimensions { size weight } } }',
        {
            "product": {
                "upc": "3",
                "name": "Chair",
                "inStock": True,
                "dimensions": {"size": "small", "weight": 5},
            }
        },
    ),
    # -- @override ------------------------------------------------------------------------
    Case(
        "override-routes-to-the-new-owner",
        "{ topProducts { name inStock } }",
        {
            "topProducts": [
                {"name": "Table", "inStock": True},
                {"name": "Couch", "inStock": False},
                {"name": "Chair", "inStock": True},
            ]
        },
    ),
    Case(
        "progressive-override-with-its-label-off-stays-with-the-old-owner",
        "{ spotlight { __typename ... on Painting { artist year } } }",
        {"spotlight": {"__typename": "Painting", "artist": "Claude Monet", "year": 1899}},
    ),
    # -- interfaces and unions across subgraphs -----------------------------------------
    Case(
        "interface-implemented-by-entities-of-several-subgraphs",
        "{ topRated { __typename id stars title ... on Book { pages } ... on Movie { minutes } } }",
        {
            "topRated": [
                {"__typename": "Movie", "id": "m2", "stars": 5, "title": "Heat", "minutes": 170},
                {"__typename": "Book", "id": "b1", "stars": 4, "title": "Dune", "pages": 412},
                {"__typename": "Movie", "id": "m1", "stars": 4, "title": "Alien", "minutes": 117},
                {"__typename": "Book", "id": "b2", "stars": 3, "title": "Emma", "pages": 474},
            ]
        },
    ),
    Case(
        "interface-through-a-named-fragment",
        "query { topRated { ...M } } fragment M on Media { title ... on Book { pages } }",
        {
            "topRated": [
                {"title": "Heat"},
                {"title": "Dune", "pages": 412},
                {"title": "Alien"},
                {"title": "Emma", "pages": 474},
            ]
        },
    ),
    Case(
        "implementations-from-their-own-subgraphs",
        "{ books { title stars } movies { title stars } }",
        {
            "books": [{"title": "Dune", "stars": 4}, {"title": "Emma", "stars": 3}],
            "movies": [{"title": "Alien", "stars": 4}, {"title": "Heat", "stars": 5}],
        },
    ),
    Case(
        "union-members-owned-by-other-subgraphs",
        '{ search(term: "everything") { __typename ... on Review { body } '
        "... on User { name } ... on Product { name } } }",
        {
            "search": [
                {"__typename": "Review", "body": "Love it"},
                {"__typename": "User", "name": "Alan Turing"},
                {"__typename": "Product", "name": "Chair"},
            ]
        },
    ),
    Case(
        "union-then-a-second-key-hop",
        '{ search(term: "turing") { ... on User { name unread } '
        "... on Review { author { username } } } }",
        {"search": [{"name": "Alan Turing", "unread": 0}, {"author": {"username": "alan"}}]},
    ),
    Case(
        "union-of-implementations",
        "{ staffPicks { ... on Book { title stars } ... on Movie { title minutes } } }",
        {"staffPicks": [{"title": "Emma", "stars": 3}, {"title": "Alien", "minutes": 117}]},
    ),
    # -- @interfaceObject -----------------------------------------------------------------
    Case(
        "interface-object-adds-fields",
        "{ nodes { id label views } }",
        {
            "nodes": [
                {"id": "img1", "label": "Logo", "views": 10},
                {"id": "vid1", "label": "Intro", "views": 99},
                {"id": "img2", "label": "Banner", "views": 0},
            ]
        },
    ),
    Case(
        "interface-object-root-needs-the-owner-for-concrete-types",
        "{ trending { __typename id views label ... on Image { width } "
        "... on Video { seconds } } }",
        {
            "trending": [
                {"__typename": "Video", "id": "vid1", "views": 99, "label": "Intro", "seconds": 30},
                {"__typename": "Image", "id": "img1", "views": 10, "label": "Logo", "width": 640},
            ]
        },
    ),
    Case(
        "interface-object-root-with-its-own-fields-only",
        "{ trending { id views } }",
        {"trending": [{"id": "vid1", "views": 99}, {"id": "img1", "views": 10}]},
    ),
    Case(
        "interface-object-root-with-an-interface-field-of-the-owner",
        "{ trending { label } }",
        {"trending": [{"label": "Intro"}, {"label": "Logo"}]},
    ),
    Case(
        "interface-object-typename-alone",
        "{ trending { __typename } }",
        {"trending": [{"__typename": "Video"}, {"__typename": "Image"}]},
    ),
    Case(
        "interface-object-field-under-a-type-condition",
        "{ nodes { ... on Image { views width } } }",
        {"nodes": [{"views": 10, "width": 640}, {}, {"views": 0, "width": 1200}]},
    ),
    # -- a subgraph's own field types --------------------------------------------------------
    Case(
        "one-response-key-typed-differently-under-two-type-conditions",
        "{ exhibits { ... on Painting { code title } ... on Sculpture { code material } } }",
        {
            "exhibits": [
                {"code": "WL-1", "title": "Water Lilies"},
                {"code": "TH-2", "material": "bronze"},
            ]
        },
    ),
    Case(
        "a-subgraph-answers-a-member-where-the-supergraph-has-the-union",
        "{ spotlight { __typename ... on Painting { title } ... on Print { edition } } }",
        {"spotlight": {"__typename": "Painting", "title": "Water Lilies"}},
    ),
    Case(
        "a-value-type-field-only-another-subgraph-resolves-under-an-entity",
        "{ exhibits { ... on Painting { title frame { width wood } } } }",
        {"exhibits": [{"title": "Water Lilies", "frame": {"width": 90, "wood": "oak"}}, {}]},
    ),
    Case(
        "a-shareable-union-field-asks-only-the-members-every-subgraph-has",
        "{ exhibits { ... on Painting { related { __typename "
        "... on Sculpture { code } ... on Print { edition } } } } }",
        # studio answers `related`; it is not asked for a Sculpture's code (gallery has none)
        {"exhibits": [{"related": [{"__typename": "Sculpture", "code": None}]}, {}]},
    ),
    # -- nulls ------------------------------------------------------------------------------
    Case(
        "null-key-null-entity-and-failed-entity",
        "{ users { name unread } }",
        {
            "users": [
                {"name": "Ada Lovelace", "unread": 3},
                {"name": "Alan Turing", "unread": 0},
                {"name": "Grace Hopper", "unread": None},
                {"name": "Linus Torvalds", "unread": None},
                {"name": "Barbara Liskov", "unread": None},
            ]
        },
        errors={("users", 4): "the mailbox of barbara@example.com is locked"},
    ),
    Case(
        "failed-entity-under-a-root-field",
        '{ user(id: "5") { name unread } }',
        {"user": {"name": "Barbara Liskov", "unread": None}},
        errors={("user",): "the mailbox of barbara@example.com is locked"},
    ),
    Case(
        "null-entity-with-a-non-null-field",
        "{ lostMedia { id title } }",
        {"lostMedia": [None]},
        errors={("lostMedia", 0, "title"): None},
    ),
    Case(
        "null-root-entity",
        '{ mailboxOwner(email: "nobody@example.com") { name } }',
        {"mailboxOwner": None},
    ),
    # -- errors and non-null propagation ------------------------------------------------
    Case(
        "subgraph-error-in-an-entity-fetch",
        "{ topProducts { name stockNote } }",
        {
            "topProducts": [
                {"name": "Table", "stockNote": "aisle 1"},
                {"name": "Couch", "stockNote": None},
                {"name": "Chair", "stockNote": "aisle 3"},
            ]
        },
        errors={("topProducts", 1, "stockNote"): "the couch warehouse is offline"},
    ),
    Case(
        "subgraph-error-in-a-root-fetch",
        "{ bestseller { name } me { name } }",
        {"bestseller": None, "me": ADA},
        errors={("bestseller",): "the bestseller list is being recomputed"},
    ),
    Case(
        "non-null-error-nulls-the-nullable-parent",
        '{ product(upc: "4") { name shippingEstimate } }',
        {"product": None},
        errors={("product", "shippingEstimate"): "no carrier takes lamps"},
    ),
    Case(
        "non-null-error-inside-a-list",
        "{ reviews { id product { name shippingEstimate } } }",
        {
            "reviews": [
                {"id": "r1", "product": {"name": "Table", "shippingEstimate": 100}},
                {"id": "r2", "product": {"name": "Couch", "shippingEstimate": 0}},
                {"id": "r3", "product": {"name": "Couch", "shippingEstimate": 0}},
                {"id": "r4", "product": None},
            ]
        },
        errors={("reviews", 3, "product", "shippingEstimate"): "no carrier takes lamps"},
    ),
    Case(
        "non-null-error-up-to-the-root",
        "{ topProducts(first: 4) { upc shippingEstimate } }",
        None,
        errors={("topProducts", 3, "shippingEstimate"): "no carrier takes lamps"},
    ),
    # -- @inaccessible ----------------------------------------------------------------------
    Case(
        "inaccessible-enum-value-from-a-subgraph",
        '{ user(id: "3") { name role } }',
        {"user": None},
        errors={("user", "role"): None},
    ),
    Case(
        "inaccessible-elements-absent-from-introspection",
        '{ role: __type(name: "Role") { enumValues { name } } '
        'trail: __type(name: "AuditTrail") { name } '
        'user: __type(name: "User") { fields { name } } }',
        {
            "role": {"enumValues": [{"name": "ADMIN"}, {"name": "MEMBER"}]},
            "trail": None,
            "user": {
                "fields": [
                    {"name": name}
                    for name in ("id", "email", "name", "username", "role", "unread", "reviews")
                ]
            },
        },
    ),
    Case(
        "inaccessible-field-fails-validation",
        "{ me { name passwordHash } }",
        MISSING,
        codes=("GRAPHQL_VALIDATION_FAILED",),
    ),
    Case(
        "inaccessible-enum-value-fails-validation",
        "{ usersByRole(role: LEGACY) { id } }",
        MISSING,
        codes=("GRAPHQL_VALIDATION_FAILED",),
    ),
    Case(
        "inaccessible-type-fails-validation",
        "{ me { auditTrail { note } } }",
        MISSING,
        codes=("GRAPHQL_VALIDATION_FAILED",),
    ),
    Case(
        "federation-internals-fail-validation",
        "{ _service { sdl } }",
        MISSING,
        codes=("GRAPHQL_VALIDATION_FAILED",),
    ),
    Case(
        "entities-field-fails-validation",
        '{ _entities(representations: [{__typename: "User", id: "1"}]) { __typename } }',
        MISSING,
        codes=("GRAPHQL_VALIDATION_FAILED",),
    ),
    # -- operations -------------------------------------------------------------------------
    Case(
        "mutation-root-fields-in-order",
        'mutation { a: addReview(upc: "1", body: "first", delayMs: 50) { id author { name } } '
        'b: renameUser(id: "1", name: "Ada King") { name } '
        'c: addReview(upc: "3", body: "third") { id author { name } } }',
        {
            "a": {"id": "r5", "author": {"name": "Ada Lovelace"}},
            "b": {"name": "Ada King"},
            "c": {"id": "r6", "author": {"name": "Ada King"}},
        },
    ),
    Case(
        "variables-in-an-entity-fetch",
        "query($n: Int) { topProducts { name reviews(first: $n) { body } } }",
        {
            "topProducts": [
                {"name": "Table", "reviews": [{"body": "Love it"}]},
                {"name": "Couch", "reviews": [{"body": "Too expensive"}]},
                {"name": "Chair", "reviews": []},
            ]
        },
        variables={"n": 1},
    ),
    Case(
        "skip-and-include",
        "query($s: Boolean!) { topProducts { name shippingEstimate @skip(if: $s) "
        "reviews @include(if: $s) { body } } }",
        {
            "topProducts": [
                {"name": "Table", "reviews": [{"body": "Love it"}]},
                {
                    "name": "Couch",
                    "reviews": [{"body": "Too expensive"}, {"body": "Could be softer"}],
                },
                {"name": "Chair", "reviews": []},
            ]
        },
        variables={"s": True},
    ),
    Case(
        "aliases-and-typename-on-entity-fields",
        "{ __typename topProducts(first: 2) { t: __typename one: reviews(first: 1) { body } "
        "all: reviews { body } } }",
        {
            "__typename": "Query",
            "topProducts": [
                {"t": "Product", "one": [{"body": "Love it"}], "all": [{"body": "Love it"}]},
                {
                    "t": "Product",
                    "one": [{"body": "Too expensive"}],
                    "all": [{"body": "Too expensive"}, {"body": "Could be softer"}],
                },
            ],
        },
    ),
    Case(
        "one-list-many-subgraphs",
        "{ reviews { body author { name unread } editor { name } "
        "product { name shippingEstimate } } }",
        {
            "reviews": [
                {
                    "body": "Love it",
                    "author": {"name": "Ada Lovelace", "unread": 3},
                    "editor": ALAN,
                    "product": {"name": "Table", "shippingEstimate": 100},
                },
                {
                    "body": "Too expensive",
                    "author": {"name": "Alan Turing", "unread": 0},
                    "editor": None,
                    "product": {"name": "Couch", "shippingEstimate": 0},
                },
                {
                    "body": "Could be softer",
                    "author": {"name": "Ada Lovelace", "unread": 3},
                    "editor": ADA,
                    "product": {"name": "Couch", "shippingEstimate": 0},
                },
                {
                    "body": "Bright",
                    "author": {"name": "Grace Hopper", "unread": None},
                    "editor": None,
                    "product": None,
                },
            ]
        },
        errors={("reviews", 3, "product", "shippingEstimate"): "no carrier takes lamps"},
    ),
]
CASE_BY_ID = {case.id: case for case in CASES}


def check(case: Case, response: Json) -> None:
    """The response is the case's answer: data (with key order) and errors by path."""
    if case.data is MISSING:
        assert "data" not in response, response
        assert codes(response), response
        assert set(codes(response)) == set(case.codes), response
        return
    assert "data" in response, response
    assert ordered(response["data"]) == ordered(case.data), response
    assert error_paths(response) == set(case.errors), response
    by_path = {tuple(item["path"]): item["message"] for item in response.get("errors", ())}
    for path, message in case.errors.items():
        if message is not None:
            assert by_path[path] == message, response


@pytest.mark.parametrize("case", [case.param(case.bug) for case in CASES])
async def test_the_gateway_answers_as_federation_requires(gateway: Gateway, case: Case) -> None:
    check(case, await gateway.execute(case.query, case.variables))


# -- planning properties --------------------------------------------------------------------


async def test_a_provides_path_needs_no_entity_fetch(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["provides-path"]
    plan = fetches(gateway, case.query)
    assert plan == [FetchView("REVIEWS", False, "root", "{ reviews { author { username } } }")], (
        describe(gateway, case.query)
    )
    check(case, await gateway.execute(case.query))
    assert transport.per_subgraph() == {"reviews": 1}


async def test_a_non_providing_path_fetches_the_entity(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["non-providing-path"]
    plan = fetches(gateway, case.query)
    assert [(item.graph, item.entity, item.path) for item in plan] == [
        ("REVIEWS", False, "root"),
        ("ACCOUNTS", True, "reviews.editor"),
    ], describe(gateway, case.query)
    assert "username" in plan[1].selection
    check(case, await gateway.execute(case.query))
    assert transport.per_subgraph() == {"reviews": 1, "accounts": 1}
    (call,) = transport.to("accounts")
    # the two editors, once each (two reviews have none)
    assert call.variables["representations"] == [
        {"__typename": "User", "id": "2"},
        {"__typename": "User", "id": "1"},
    ]


async def test_a_key_the_client_did_not_ask_for_is_fetched_but_not_returned(
    gateway: Gateway,
) -> None:
    query = "{ reviews { author { name } } }"
    plan = fetches(gateway, query)
    assert plan[0] == FetchView("REVIEWS", False, "root", "{ reviews { author { id } } }")
    assert (plan[1].graph, plan[1].path) == ("ACCOUNTS", "reviews.author")
    response = await gateway.execute(query)
    assert response == {
        "data": {
            "reviews": [
                {"author": ADA},
                {"author": ALAN},
                {"author": ADA},
                {"author": {"name": "Grace Hopper"}},
            ]
        }
    }


async def test_a_key_hop_goes_through_the_subgraph_that_knows_both_keys(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["id-key-to-email-key-through-accounts"]
    plan = fetches(gateway, case.query)
    assert [(item.graph, item.entity, item.path) for item in plan] == [
        ("REVIEWS", False, "root"),
        ("ACCOUNTS", True, "review.author"),
        ("MAIL", True, "review.author"),
    ], describe(gateway, case.query)
    # accounts is asked for the email the client never asked for
    assert "email" in plan[1].selection
    check(case, await gateway.execute(case.query))
    assert [call.subgraph for call in transport.calls] == ["reviews", "accounts", "mail"]
    assert transport.to("accounts")[0].variables["representations"] == [
        {"__typename": "User", "id": "1"}
    ]
    assert transport.to("mail")[0].variables["representations"] == [
        {"__typename": "User", "email": "ada@example.com"}
    ]


async def test_requires_sends_the_required_fields_in_the_representations(
    gateway: Gateway, transport: CountingTransport
) -> None:
    response = await gateway.execute("{ topProducts(first: 2) { shippingEstimate shippingClass } }")
    assert response == {
        "data": {
            "topProducts": [
                {"shippingEstimate": 100, "shippingClass": "oversize"},
                {"shippingEstimate": 0, "shippingClass": "freight"},
            ]
        }
    }
    assert transport.per_subgraph() == {"products": 1, "inventory": 1}
    (call,) = transport.to("inventory")
    assert call.variables["representations"] == [
        {
            "__typename": "Product",
            "upc": "1",
            "price": 899,
            "weight": 50,
            "dimensions": {"size": "large", "weight": 50},
        },
        {
            "__typename": "Product",
            "upc": "2",
            "price": 1299,
            "weight": 100,
            "dimensions": {"size": "large", "weight": 100},
        },
    ]


async def test_a_composite_key_is_sent_as_a_nested_representation(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["composite-key-from-the-owner"]
    check(case, await gateway.execute(case.query))
    assert transport.per_subgraph() == {"books": 1, "ratings": 1}
    (call,) = transport.to("ratings")
    assert call.variables["representations"] == [
        {"__typename": "Edition", "book": {"id": "b1"}, "year": 1965},
        {"__typename": "Edition", "book": {"id": "b1"}, "year": 2005},
        {"__typename": "Edition", "book": {"id": "b2"}, "year": 1815},
    ]


async def test_an_overridden_field_is_never_asked_of_its_old_subgraph(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["override-routes-to-the-new-owner"]
    assert [item.graph for item in fetches(gateway, case.query)] == ["PRODUCTS"]
    check(case, await gateway.execute(case.query))
    assert transport.per_subgraph() == {"products": 1}


def test_a_progressive_override_applies_only_at_one_hundred_percent() -> None:
    assert override_applies(None)
    assert override_applies("percent(100)")
    assert not override_applies("percent(50)")
    assert not override_applies("beta-users")


async def test_an_interface_object_is_represented_by_the_interface_name(
    gateway: Gateway, transport: CountingTransport
) -> None:
    check(
        CASE_BY_ID["interface-object-adds-fields"],
        await gateway.execute("{ nodes { id label views } }"),
    )
    (call,) = transport.to("audit")
    assert call.variables["representations"] == [
        {"__typename": "Node", "id": "img1"},
        {"__typename": "Node", "id": "vid1"},
        {"__typename": "Node", "id": "img2"},
    ]
    transport.calls.clear()
    case = CASE_BY_ID["interface-object-root-needs-the-owner-for-concrete-types"]
    check(case, await gateway.execute(case.query))
    assert [call.subgraph for call in transport.calls] == ["audit", "catalog"]
    assert transport.to("catalog")[0].variables["representations"] == [
        {"__typename": "Node", "id": "vid1"},
        {"__typename": "Node", "id": "img1"},
    ]


async def test_an_interface_objects_own_fields_need_no_concrete_type(
    gateway: Gateway, transport: CountingTransport
) -> None:
    """Without `__typename` or a type condition, the interface's owner is not asked which
    implementation each object is (an owner with none of them could not even say)."""
    case = CASE_BY_ID["interface-object-root-with-its-own-fields-only"]
    check(case, await gateway.execute(case.query))
    assert transport.per_subgraph() == {"audit": 1}


async def test_a_list_costs_one_entities_call_per_subgraph_per_step(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["one-list-many-subgraphs"]
    check(case, await gateway.execute(case.query))
    assert transport.per_subgraph() == {
        "reviews": 1,
        "accounts": 1,
        "products": 1,
        "mail": 1,
        "inventory": 1,
    }
    # authors and editors go to accounts in the one request, each entity once per path
    (accounts,) = transport.to("accounts")
    sent = sorted(
        (len(value), sorted(item["id"] for item in value)) for value in accounts.variables.values()
    )
    assert sent == [(2, ["1", "2"]), (3, ["1", "2", "3"])]
    (products,) = transport.to("products")
    assert [item["upc"] for item in products.variables["representations"]] == ["1", "2", "4"]
    (mail,) = transport.to("mail")
    # Grace has no email: nothing can be asked of mail for her
    emails = [item["email"] for item in mail.variables["representations"]]
    assert [email for email in emails if email is not None] == [
        "ada@example.com",
        "alan@example.com",
    ]


async def test_entity_fetches_below_entity_fetches_are_batched_too(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["hop-chain-products-reviews-accounts-mail"]
    plan = fetches(gateway, case.query)
    assert [(item.graph, item.path) for item in plan] == [
        ("PRODUCTS", "root"),
        ("REVIEWS", "topProducts"),
        ("ACCOUNTS", "topProducts.reviews.author"),
        ("MAIL", "topProducts.reviews.author"),
    ], describe(gateway, case.query)
    await gateway.execute(case.query)
    assert transport.per_subgraph() == {"products": 1, "reviews": 1, "accounts": 1, "mail": 1}


async def test_mutation_root_fields_run_one_after_another(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["mutation-root-fields-in-order"]
    plan = gateway.prepare(case.query, {}, None).plan
    assert [[fetch.graph for fetch in stage] for stage in plan.stages] == [
        ["REVIEWS", "ACCOUNTS"],
        ["ACCOUNTS"],
        ["REVIEWS", "ACCOUNTS"],
    ], plan.describe()
    check(case, await gateway.execute(case.query))
    assert [(call.subgraph, call.document.split()[0]) for call in transport.calls] == [
        ("reviews", "mutation"),
        ("accounts", "query($representations:"),
        ("accounts", "mutation"),
        ("reviews", "mutation"),
        ("accounts", "query($representations:"),
    ]


def test_a_field_the_subgraph_types_differently_is_aliased_under_a_type_condition(
    gateway: Gateway,
) -> None:
    case = CASE_BY_ID["one-response-key-typed-differently-under-two-type-conditions"]
    (studio,) = fetches(gateway, case.query)
    # studio's `Painting.code: String!` beside `Sculpture.code: String`: the first is aliased
    assert studio.selection == (
        "{ exhibits { __typename ... on Painting { _cg_plan_code__String_NN: code title } "
        "... on Sculpture { code material } } }"
    )


def test_a_shareable_root_field_goes_to_the_subgraph_that_answers_all_of_it(
    gateway: Gateway,
) -> None:
    case = CASE_BY_ID["a-subgraph-answers-a-member-where-the-supergraph-has-the-union"]
    # studio has `title` (gallery would need a jump) and its `spotlight` is a `Painting`:
    # no type condition on `Print`, a type studio does not know
    assert fetches(gateway, case.query) == [
        FetchView("STUDIO", False, "root", "{ spotlight { __typename title } }")
    ]
    # a value type's fields from two subgraphs: each is asked for its part
    split = CASE_BY_ID["shareable-root-field-split-over-both-subgraphs"]
    assert sorted((item.graph, item.selection) for item in fetches(gateway, split.query)) == [
        ("INVENTORY", "{ catalogInfo { warehouses } }"),
        ("PRODUCTS", "{ catalogInfo { currency } }"),
    ]


async def test_requires_of_one_field_with_two_arguments_sends_two_representations(
    gateway: Gateway, transport: CountingTransport
) -> None:
    case = CASE_BY_ID["two-requires-of-one-field-with-different-arguments"]
    check(case, await gateway.execute(case.query))
    # gallery answers both prices; studio gets each in representations of its own, as two
    # `_entities` in one request
    assert transport.per_subgraph() == {"gallery": 1, "studio": 1}
    (gallery,) = transport.to("gallery")
    assert 'price(currency: "USD")' in gallery.document
    assert 'price(currency: "EUR")' in gallery.document
    (studio,) = transport.to("studio")
    assert sorted(value[0]["price"] for value in studio.variables.values()) == [900, 1000]


def test_a_value_type_field_of_another_subgraph_is_fetched_through_its_entity(
    gateway: Gateway,
) -> None:
    case = CASE_BY_ID["a-value-type-field-only-another-subgraph-resolves-under-an-entity"]
    assert [
        (item.graph, item.entity, item.path, item.selection)
        for item in fetches(gateway, case.query)
    ] == [
        (
            "STUDIO",
            False,
            "root",
            "{ exhibits { __typename ... on Painting { title frame { width } id } } }",
        ),
        ("GALLERY", True, "exhibits", "{ ... on Painting { frame { wood } } }"),
    ]


_EXTERNAL_KEY_SUPERGRAPH = """
schema @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) { query: Query }
enum join__Graph {
  A @join__graph(name: "a", url: "http://a")
  B @join__graph(name: "b", url: "http://b")
}
type Query @join__type(graph: A) @join__type(graph: B) {
  chat: Chat @join__field(graph: A)
}
type Chat @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID! @join__field(graph: A, external: true) @join__field(graph: B)
  text: String! @join__field(graph: B)
}
"""


async def test_a_key_only_its_own_entity_fetch_could_supply_is_a_planning_error() -> None:
    """A's `Chat.id` is external: fetching it from B needs the key `id` from A, which
    needs B again. That is no plan, not an endless recursion."""
    gateway = Gateway(Supergraph(_EXTERNAL_KEY_SUPERGRAPH), CountingTransport())
    response = await gateway.execute("{ chat { text } }")
    assert "data" not in response
    assert codes(response) == ["QUERY_PLANNING_FAILED"], response


async def test_inaccessible_elements_are_not_in_the_api_schema(gateway: Gateway) -> None:
    user = gateway.schema.get_type("User")
    role = gateway.schema.get_type("Role")
    assert isinstance(user, GraphQLObjectType)
    assert isinstance(role, GraphQLEnumType)
    assert "passwordHash" not in user.fields
    assert "auditTrail" not in user.fields
    assert set(role.values) == {"ADMIN", "MEMBER"}
    assert gateway.schema.get_type("AuditTrail") is None


# -- against Apollo Gateway ---------------------------------------------------------------


@pytest.fixture(scope="module")
def http_subgraphs(subgraph_port: int) -> Iterator[None]:
    """The fixture subgraphs over HTTP, each at /NAME/graphql, in a background thread."""
    app = Starlette(routes=[Mount(f"/{name}", GraphQL(schema)) for name, schema in SCHEMAS.items()])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=subgraph_port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="federation-subgraphs", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"the fixture subgraphs did not start on port {subgraph_port}")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def apollo_url(
    interop_dir: Path,
    supergraph_sdl: str,
    http_subgraphs: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Apollo Gateway (interop/apollo_gateway.mjs) over the same supergraph and subgraphs."""
    script = interop_dir / "apollo_gateway.mjs"
    if not script.exists():
        pytest.skip("interop/apollo_gateway.mjs is not there")
    scratch = tmp_path_factory.mktemp("apollo")
    (scratch / "supergraph.graphql").write_text(supergraph_sdl, encoding="utf-8")
    port = free_port()
    # the fixture subgraphs ignore the credential the script signs; it only needs a secret
    env = {**os.environ, "CREDITGRAPH_INTERNAL_SECRET": secrets.token_hex(32)}
    with (scratch / "apollo.log").open("w") as log:
        proc = subprocess.Popen(
            ["node", str(script), "--supergraph", str(scratch / "supergraph.graphql"),
             "--port", str(port)],
            cwd=interop_dir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                output = (scratch / "apollo.log").read_text()
                pytest.fail(f"Apollo Gateway did not start ({proc.returncode}):\n{output}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
async def http_gateway(supergraph: Supergraph, http_subgraphs: None) -> AsyncIterator[Gateway]:
    """Our gateway over the same HTTP subgraphs Apollo Gateway talks to."""
    urls = {graph.name: graph.url for graph in supergraph.graphs.values()}
    gateway = Gateway(supergraph, HTTPTransport(urls, secret=None))
    try:
        yield gateway
    finally:
        await gateway.aclose()


def ask_apollo(url: str, case: Case) -> Json:
    federation_fixtures.reset()
    body: Json = {"query": case.query}
    if case.variables is not None:
        body["variables"] = case.variables
    response = httpx.post(url, json=body, timeout=30)
    decoded = response.json()
    assert isinstance(decoded, dict), response.text
    return decoded


@pytest.mark.slow
@pytest.mark.parametrize("case", [case.param(case.apollo_bug) for case in CASES])
def test_apollo_gateway_gives_the_hand_written_answer(apollo_url: str, case: Case) -> None:
    """Checks the expectations themselves: the reference gateway agrees with every one."""
    check(case, ask_apollo(apollo_url, case))


@pytest.mark.slow
@pytest.mark.parametrize("case", [case.param(case.bug, case.apollo_bug) for case in CASES])
async def test_our_gateway_agrees_with_apollo_gateway(
    apollo_url: str, http_gateway: Gateway, case: Case
) -> None:
    theirs = ask_apollo(apollo_url, case)
    federation_fixtures.reset()
    ours = await http_gateway.execute(case.query, case.variables)
    assert ordered(ours.get("data", MISSING)) == ordered(theirs.get("data", MISSING)), (
        ours,
        theirs,
    )
    assert error_paths(ours) == error_paths(theirs), (ours, theirs)
