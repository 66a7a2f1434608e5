"""The record walk (access/walk.py), without a database or a subgraph.

After a record's view is fetched, the walk is the last look before anything
leaves the gateway: a withheld field is removed and explained (which edition
judged it, or that consent is missing), masks replace values, and the records
reached below are taken out, keeping only their keys and owners, for their own
views to be decided.
"""

from __future__ import annotations

import copy
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    get_named_type,
    is_list_type,
    is_non_null_type,
    parse,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from creditgraph.access.masks import FILTERS, MASKS, Viewer
from creditgraph.access.policy import EDITIONS, Policy
from creditgraph.access.views import KEY_ALIAS, Restrictor, View, need_alias, read_need, read_owners
from creditgraph.access.walk import Reached, Walk, denial
from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.operation import Field, Fragment, Operation, Selection, normalize
from creditgraph.gateway.tree import Where, flatten, spelled
from creditgraph.resources import operations_root, policy_path, supergraph_path

SUPERGRAPH = Supergraph(supergraph_path().read_text(encoding="utf-8"))
SCHEMA = api_schema(SUPERGRAPH)
POLICY = Policy.load(policy_path())
RESIDENT = "11010519491231002X"


def walked(fields: str, data: dict[str, Any], view: View) -> tuple[Walk, bool]:
    query = f'{{ subject(identifier: "x", purpose: LOAN_APPROVAL) {{ {fields} }} }}'
    operation: Operation = normalize(parse(query), None, {})
    (root,) = operation.selections
    assert isinstance(root, Field)
    assert root.selections is not None
    walk = Walk(SCHEMA, POLICY, operation, SUPERGRAPH.possible_types, Viewer("BANKCODE", "Bank"))
    opened = walk.record("Subject", data, root.selections, view, ["subject"])
    return walk, opened


def test_a_withheld_field_is_removed_and_explained_with_its_edition() -> None:
    data = {"name": "Ada", "birthDate": "1949-12-31"}
    walk, _ = walked("name birthDate", data, View("GOVERNMENT"))
    assert data == {"name": "Ada"}
    (error,) = walk.errors
    assert error["path"] == ["subject", "birthDate"]
    assert error["extensions"] == {"code": "FORBIDDEN_FIELD", "edition": "GOVERNMENT"}
    assert walk.returned == {"Subject.name"}


def test_a_mask_replaces_the_value_for_the_edition_it_is_declared_for() -> None:
    social = {"identifier": RESIDENT}
    walked("identifier", social, View("SOCIAL"))
    assert social["identifier"] != RESIDENT
    assert social["identifier"][:2] == RESIDENT[:2]
    assert social["identifier"][-1] == RESIDENT[-1]
    bank = {"identifier": RESIDENT}
    walked("identifier", bank, View("BANK"))
    assert bank == {"identifier": RESIDENT}


def test_records_reached_below_are_taken_out_with_their_keys_and_owners() -> None:
    owners = [{need_alias(("subject",)): {need_alias(("identifier",)): who}} for who in "AB"]
    account = {KEY_ALIAS: "7", need_alias(("parties",)): owners}
    data = {"accounts": {"nodes": [{"role": "PRIMARY_BORROWER", "account": account}]}}
    walk, _ = walked("accounts { nodes { role account { balance } } }", data, View("BANK"))
    (reached,) = walk.reached
    assert (reached.type_name, reached.key, reached.owners) == ("CreditAccount", "7", ("A", "B"))
    assert reached.path == ["subject", "accounts", "nodes", 0, "account"]
    assert reached.edge == "AccountHolding.account"
    assert reached.parent == "BANK"
    # what the gateway fetched for itself is gone; the account's view fills it in next
    assert account == {}
    assert reached.target is account


def test_a_field_only_the_owners_consent_opens_is_consent_required() -> None:
    linked = View("BANK", linked=frozenset({"id", "identifier", "name", "kind"}), record="Subject")
    data = {"name": "Bo", "birthDate": "1950-01-01"}
    walk, opened = walked("name birthDate", data, linked)
    assert [error["extensions"]["code"] for error in walk.errors] == ["CONSENT_REQUIRED"]
    assert not opened
    owned = View("BANK", linked=linked.linked, own="BANK", record="Subject")
    data = {"name": "Bo", "birthDate": "1950-01-01"}
    walk, opened = walked("name birthDate", data, owned)
    assert walk.errors == []
    assert opened


# -- the walk judged once per shape, held to the walk it replaced -------------------------------
#
# The walk compiles each record's selection once per type and view (which fields its view
# withholds, masks, filters or opens, what lies below) and skips the parts of an answer in
# which nothing is withheld, masked, filtered or reached once their coordinates are noted.
# `reference_walk` is the walk it replaced, judging every field of every object as it goes;
# the two must leave the same data, errors, reached records, coordinates and looks over
# generated selections, views and answers.

UNDERWRITING = (operations_root() / "bank_underwriting.graphql").read_text(encoding="utf-8")
CLIENT = normalize(parse(UNDERWRITING), "BankUnderwriting", {"identifier": RESIDENT})


class ReferenceWalk:
    """The walk as it was before shapes: every field of every object judged as it is met."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self.opened = False

    def record(
        self, type_name: str, data: dict[str, Any], selections: list[Selection], view: View
    ) -> bool:
        self.opened = False
        self._object(type_name, data, selections, view, ["subject"])
        return self.opened

    def _object(
        self,
        type_name: str,
        data: dict[str, Any],
        selections: list[Selection],
        view: View,
        path: list[Any],
    ) -> None:
        walk = self.walk
        type_ = SCHEMA.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        for collected in walk.operation.collect(selections, type_name, walk.possible):
            key, name = collected.response_key, collected.name
            if name == "__typename":
                continue
            here = [*path, key]
            edition = view.edition_of(POLICY, type_name, name)
            if edition is None:
                data.pop(key, None)
                walk.errors.append(denial(type_name, name, view, POLICY, here))
                continue
            self.opened = self.opened or view.opened_by_own(POLICY, type_name, name)
            rule = POLICY.rule(type_name, name)
            value = data.get(key)
            mask = rule.masks.get(edition)
            if mask is not None:
                found = MASKS[mask]
                needed = {need: read_need(data, need) for need in found.needs}
                value = data[key] = found.apply(name, value, needed, walk.viewer)
            filter_ = rule.filters.get(edition)
            if filter_ is not None and isinstance(value, list):
                keep = FILTERS[filter_]
                value = data[key] = [
                    item
                    for item in value
                    if not isinstance(item, dict)
                    or keep.keep({need: read_need(item, need) for need in keep.needs}, walk.viewer)
                ]
            if value is not None:
                walk.returned.add(f"{type_name}.{name}")
            if collected.selections is None:
                continue
            child = get_named_type(type_.fields[name].type).name
            record = POLICY.record(child)
            below: list[tuple[Any, Where]] = []
            flatten(value, None, below)
            for item, where in below:
                if not isinstance(item, dict):
                    continue
                item_path = [*here, *spelled(where)]
                if record is None:
                    self._object(child, item, collected.selections, view.part(edition), item_path)
                    continue
                found_key = item.pop(KEY_ALIAS, None)
                owners = read_owners(item, record)
                item.clear()
                if found_key is not None:
                    walk.reached.append(
                        Reached(
                            child,
                            str(found_key),
                            owners,
                            item,
                            collected.selections,
                            item_path,
                            f"{type_name}.{name}",
                            edition,
                            view.history,
                        )
                    )


def _record_sites(
    type_name: str, selections: list[Selection], edge: str | None, into: list[Any]
) -> None:
    """Every record in the client's operation: its type, selection and the edge reaching it."""
    if POLICY.record(type_name) is not None:
        into.append((type_name, selections, edge))
    type_ = SCHEMA.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    for collected in CLIENT.collect(selections, type_name, SUPERGRAPH.possible_types):
        if collected.selections is not None:
            child = get_named_type(type_.fields[collected.name].type).name
            _record_sites(child, collected.selections, f"{type_name}.{collected.name}", into)


(_ROOT,) = CLIENT.selections
assert isinstance(_ROOT, Field)
assert _ROOT.selections is not None
SITES: list[tuple[str, list[Selection], str | None]] = []
_record_sites("Subject", _ROOT.selections, None, SITES)
TEXTS = st.sampled_from([RESIDENT, "BANKCODE", "OTHERBANK", "Bank", "x", ""])


def _answer(draw: st.DrawFn, type_name: str, selections: list[Selection]) -> dict[str, Any]:
    """An answer to the fetched selection (`Restrictor.record`): values that masks,
    filters and owners read included, some null, lists of zero to three items."""
    type_ = SCHEMA.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    found: dict[str, Any] = {}
    for item in selections:
        if isinstance(item, Fragment):
            found.update(_answer(draw, item.type_condition or type_name, item.selections))
            continue
        if item.name == "__typename":
            found[item.response_key] = type_name
            continue
        found[item.response_key] = _value(draw, type_.fields[item.name].type, item)
    return found


def _value(draw: st.DrawFn, type_: Any, item: Field) -> Any:
    if is_non_null_type(type_):
        type_ = type_.of_type
    elif draw(st.integers(0, 5)) == 0:
        return None
    if is_list_type(type_):
        return [_value(draw, type_.of_type, item) for _ in range(draw(st.integers(0, 3)))]
    if isinstance(type_, GraphQLObjectType):
        assert item.selections is not None
        return _answer(draw, type_.name, item.selections)
    if isinstance(type_, GraphQLEnumType):
        return draw(st.sampled_from(sorted(type_.values)))
    if type_.name in ("Int", "Float"):
        return draw(st.integers(0, 3))
    if type_.name == "Boolean":
        return draw(st.booleans())
    return draw(TEXTS)


@st.composite
def walks(draw: st.DrawFn) -> tuple[list[tuple[str, list[Selection], View]], list[Any]]:
    """A few records of the underwriting report, each in a view it may be seen in, and the
    answers fetched for them."""
    sites = draw(st.lists(st.sampled_from(SITES), min_size=1, max_size=4))
    chosen: list[tuple[str, list[Selection], View]] = []
    answers: list[Any] = []
    for type_name, selections, edge in sites:
        edition = draw(st.sampled_from(EDITIONS))
        history = draw(st.sampled_from([None, 12, 24]))
        if edge is None or draw(st.booleans()):
            view = View(edition, history=history)
        else:
            own = draw(st.sampled_from([None, *EDITIONS]))
            view = View(edition, POLICY.view(edge), own, type_name, history)
        fetched = Restrictor(SCHEMA, POLICY).record(type_name, selections, view)
        chosen.append((type_name, selections, view))
        answers.append(_answer(draw, type_name, fetched))
    return chosen, answers


def _outcome(walk: Walk, data: list[Any], opened: list[bool]) -> Any:
    reached = [
        (r.type_name, r.key, r.owners, r.target, r.path, r.edge, r.parent, r.history)
        for r in walk.reached
    ]
    references = walk.viewer.references
    return data, walk.errors, reached, walk.returned, opened, references._given


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(walks())
def test_the_walk_by_shapes_leaves_what_the_walk_it_replaced_leaves(
    case: tuple[list[tuple[str, list[Selection], View]], list[Any]],
) -> None:
    records, answers = case
    fast = Walk(SCHEMA, POLICY, CLIENT, SUPERGRAPH.possible_types, Viewer("BANKCODE", "Bank"))
    slow = Walk(SCHEMA, POLICY, CLIENT, SUPERGRAPH.possible_types, Viewer("BANKCODE", "Bank"))
    reference = ReferenceWalk(slow)
    fast_data, slow_data = copy.deepcopy(answers), copy.deepcopy(answers)
    fast_opened = [
        fast.record(type_name, data, selections, view, ["subject"])
        for (type_name, selections, view), data in zip(records, fast_data, strict=True)
    ]
    slow_opened = [
        reference.record(type_name, data, selections, view)
        for (type_name, selections, view), data in zip(records, slow_data, strict=True)
    ]
    assert _outcome(fast, fast_data, fast_opened) == _outcome(slow, slow_data, slow_opened)
