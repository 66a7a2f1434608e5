"""What an entity jump needs where it starts (gateway/planning/requirements.py).

To fetch a field from another subgraph the planner adds a key's fields, and the
field's `@requires` fields, to the fetch at the jump's start, and the entity
fetch's targets say under which response keys they land: their own names when
the client uses those names for nothing else (or for the very same field), an
internal alias otherwise, so the client's answer under that name stays the
client's. Of the subgraphs and keys a field can be fetched by, the cheapest
wins: a subgraph already asked at that path, a key at hand. (That the planner's
own fields never reach the client: tests/test_stages_execute.py and the
federation cases.)
"""

from __future__ import annotations

from creditgraph.gateway.aliases import PLAN, alias
from creditgraph.gateway.plan import Fetch, FieldSet
from creditgraph.gateway.planning.fetch_graph import FetchNode
from creditgraph.gateway.planning.positions import Position
from creditgraph.gateway.planning.requirements import Requirements, usable
from creditgraph.gateway.supergraph import Key, Supergraph, parse_field_set
from tests.planning_supergraph import SHOP, plan


def _fetches(query: str) -> tuple[Fetch, ...]:
    (stage,) = plan(query).stages
    return stage


def _fields(found: FieldSet | None) -> tuple[tuple[str, str], ...]:
    """(field, response key) of a field set's top level."""
    assert found is not None
    return tuple((name, key) for name, key, _ in found.fields)


def test_a_key_the_client_did_not_ask_for_is_added_where_the_jump_starts() -> None:
    root, stock = _fetches("{ products { name inStock } }")
    assert root.selection_text == "{ products { name id } }"
    target = stock.targets["Product"]
    assert target.representation_type == "Product"
    assert _fields(target.key) == (("id", "id"),)
    assert target.requires is None
    assert stock.depends_on == {root.id}


def test_a_key_the_client_aliased_is_asked_under_the_planners_own_name() -> None:
    root, stock = _fetches("{ products { id: name inStock } }")
    planned = alias(PLAN, "id")
    assert root.selection_text == f"{{ products {{ id: name {planned}: id }} }}"
    assert _fields(stock.targets["Product"].key) == (("id", planned),)


def test_a_name_the_client_uses_later_in_the_selection_is_not_taken_first() -> None:
    # `shipping` is planned before the client's `weight: name` is built: the required
    # `weight` must still not land under the client's `weight`
    root, stock = _fetches("{ products { shipping weight: name } }")
    planned = alias(PLAN, "weight")
    assert root.selection_text == f"{{ products {{ id {planned}: weight weight: name }} }}"
    assert _fields(stock.targets["Product"].requires) == (("weight", planned),)


def test_a_key_the_client_asked_for_itself_is_shared_not_asked_twice() -> None:
    root, stock = _fetches("{ products { id inStock } }")
    assert root.selection_text == "{ products { id } }"
    assert _fields(stock.targets["Product"].key) == (("id", "id"),)


def test_required_fields_are_added_to_the_fetch_that_supplies_them() -> None:
    root, stock = _fetches("{ products { weight: name shipping } }")
    planned = alias(PLAN, "weight")
    assert root.selection_text == f"{{ products {{ weight: name id {planned}: weight }} }}"
    target = stock.targets["Product"]
    assert _fields(target.key) == (("id", "id"),)
    assert _fields(target.requires) == (("weight", planned),)
    assert stock.selection_text == "{ ... on Product { shipping } }"


def test_a_required_field_with_other_arguments_than_the_clients_lands_apart() -> None:
    root, stock = _fetches('{ products { price(currency: "GBP") insuranceUsd } }')
    (required,) = _fields(stock.targets["Product"].requires)
    name, key = required
    assert name == "price"
    assert key.startswith(alias(PLAN, "price_"))
    assert f'{key}: price(currency: "USD")' in root.selection_text
    assert 'price(currency: "GBP")' in root.selection_text
    # the same arguments as the client's: one field, the client's
    root, stock = _fetches('{ products { price(currency: "USD") insuranceUsd } }')
    assert root.selection_text == '{ products { price(currency: "USD") id } }'
    assert _fields(stock.targets["Product"].requires) == (("price", "price"),)


def test_two_requires_of_one_field_with_different_arguments_land_under_different_keys() -> None:
    root, usd, eur = _fetches("{ products { insuranceUsd insuranceEur } }")
    usd_key = _fields(usd.targets["Product"].requires)
    eur_key = _fields(eur.targets["Product"].requires)
    assert usd_key == (("price", "price"),)
    ((_, eur_at),) = eur_key
    assert eur_at.startswith(alias(PLAN, "price_"))
    assert root.selection_text == (
        f'{{ products {{ id price(currency: "USD") {eur_at}: price(currency: "EUR") }} }}'
    )


def test_a_field_two_subgraphs_resolve_joins_the_one_already_asked_there() -> None:
    root, stock = _fetches("{ products { inStock rating } }")
    assert stock.selection_text == "{ ... on Product { inStock rating } }"
    root, ship = _fetches("{ products { carrier rating } }")
    assert ship.graph == "SHIP"
    assert ship.selection_text == "{ ... on Product { carrier rating } }"
    assert root.selection_text == "{ products { upc } }"


def test_a_key_the_starting_fetch_has_at_hand_ranks_before_one_that_needs_a_jump() -> None:
    supergraph = Supergraph(SHOP)
    requirements = Requirements(
        supergraph, supergraph.possible_types, lambda position, collected: (set(), None)
    )
    ship = FetchNode(0, "SHIP", (), "query", entity=True)
    at_ship = Position(ship, ship.selection, "Product", ())
    ranked = requirements.jump_targets(at_ship, "name", set())
    # ship resolves `upc` but not `id`: shop's `upc` key is at hand, its `id` key is not
    assert [(graph, key.text) for graph, _, _, key in ranked] == [("SHOP", "upc"), ("SHOP", "id")]
    shop = FetchNode(1, "SHOP", (), "query")
    at_shop = Position(shop, shop.selection, "Product", ())
    # a field the position's own subgraph resolves is no jump
    assert requirements.jump_targets(at_shop, "name", set()) == []
    first = [graph for graph, *_ in requirements.jump_targets(at_shop, "rating", {"SHIP"})]
    assert first[0] == "SHIP"
    first = [graph for graph, *_ in requirements.jump_targets(at_shop, "rating", {"STOCK"})]
    assert first[0] == "STOCK"


def test_a_key_cannot_fetch_itself_nor_can_an_unresolvable_one() -> None:
    def key(text: str, *, resolvable: bool = True) -> Key:
        return Key(graph="SHOP", text=text, selection=parse_field_set(text), resolvable=resolvable)

    assert usable(key("id"), "name")
    assert usable(key("id"), None)
    assert not usable(key("id"), "id")
    assert not usable(key("id upc"), "upc")
    assert not usable(key("id", resolvable=False), "name")
