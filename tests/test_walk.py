"""The record walk (access/walk.py), without a database or a subgraph.

After a record's view is fetched, the walk is the last look before anything
leaves the gateway: a withheld field is removed and explained (which edition
judged it, or that consent is missing), masks replace values, and the records
reached below are taken out, keeping only their keys and owners, for their own
views to be decided.
"""

from __future__ import annotations

from typing import Any

from graphql import parse

from creditgraph.access.masks import Viewer
from creditgraph.access.policy import Policy
from creditgraph.access.views import KEY_ALIAS, View, need_alias
from creditgraph.access.walk import Walk
from creditgraph.gateway import Supergraph
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.operation import Field, Operation, normalize
from creditgraph.resources import policy_path, supergraph_path

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
