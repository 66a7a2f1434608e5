"""Views (access/views.py), without a database or a subgraph: what is fetched of a record.

Under the shipped policy, the selection the gateway sends for a record's view
holds only what that view may see: denied fields are never requested, a record
reached below is cut down to its key and its owners, and the values masks and
filters read ride along under the policy's own aliases.
"""

from __future__ import annotations

from graphql import parse

from creditgraph.access.policy import Policy
from creditgraph.access.views import (
    KEY_ALIAS,
    Restrictor,
    View,
    need_alias,
    read_owners,
)
from creditgraph.gateway import Supergraph
from creditgraph.gateway.aliases import is_reserved
from creditgraph.gateway.api_schema import api_schema
from creditgraph.gateway.operation import Field, Selection, normalize
from creditgraph.resources import policy_path, supergraph_path

SCHEMA = api_schema(Supergraph(supergraph_path().read_text(encoding="utf-8")))
POLICY = Policy.load(policy_path())
RESTRICTOR = Restrictor(SCHEMA, POLICY)


def subject_selection(fields: str) -> list[Selection]:
    query = f'{{ subject(identifier: "x", purpose: LOAN_APPROVAL) {{ {fields} }} }}'
    (root,) = normalize(parse(query), None, {}).selections
    assert isinstance(root, Field)
    assert root.selections is not None
    return root.selections


def fetched(selections: list[Selection]) -> dict[str, Field]:
    return {item.response_key: item for item in selections if isinstance(item, Field)}


def test_the_key_comes_first_and_denied_fields_are_never_requested() -> None:
    selection = subject_selection("name birthDate accounts { nodes { role } }")
    government = RESTRICTOR.record("Subject", selection, View("GOVERNMENT"))
    first = government[0]
    assert isinstance(first, Field)
    assert (first.response_key, first.name) == (KEY_ALIAS, "identifier")
    assert set(fetched(government)) == {KEY_ALIAS, "name"}
    bank = fetched(RESTRICTOR.record("Subject", selection, View("BANK")))
    assert {"name", "birthDate", "accounts"} <= bank.keys()


def test_a_record_reached_below_is_cut_to_its_key_and_owners() -> None:
    selection = subject_selection("accounts { nodes { role account { balance status } } }")
    bank = fetched(RESTRICTOR.record("Subject", selection, View("BANK")))
    (nodes,) = bank["accounts"].selections or []
    assert isinstance(nodes, Field)
    holding = fetched(nodes.selections or [])
    account = fetched(holding["account"].selections or [])
    # the account's own fields wait for its view; only what decides it is fetched now
    assert "balance" not in account
    assert "status" not in account
    assert account[KEY_ALIAS].name == "id"
    assert all(is_reserved(key) for key in account)
    assert "role" in holding


def test_what_a_mask_reads_is_fetched_under_the_policys_aliases() -> None:
    selection = subject_selection("accounts { nodes { account { accountNumber } } }")
    (holding,) = fetched(selection)["accounts"].selections or []
    assert isinstance(holding, Field)
    account = fetched(holding.selections or [])["account"].selections or []
    bank = fetched(RESTRICTOR.record("CreditAccount", account, View("BANK")))
    # another lender's account number is masked by the lender's code, fetched beside it
    assert "accountNumber" in bank
    lender = bank[need_alias(("lender",))]
    assert lender.name == "lender"
    assert list(fetched(lender.selections or [])) == [need_alias(("code",))]
    subject = fetched(RESTRICTOR.record("CreditAccount", account, View("SUBJECT")))
    assert need_alias(("lender",)) not in subject


def test_a_record_reached_from_anothers_report_shows_the_edges_view_unless_its_own() -> None:
    linked = View("BANK", linked=frozenset({"id", "identifier", "name", "kind"}), record="Subject")
    assert linked.edition_of(POLICY, "Subject", "name") == "BANK"
    assert linked.edition_of(POLICY, "Subject", "birthDate") is None
    owned = View("BANK", linked=linked.linked, own="BANK", record="Subject")
    assert owned.edition_of(POLICY, "Subject", "birthDate") == "BANK"
    assert owned.opened_by_own(POLICY, "Subject", "birthDate")
    assert not owned.opened_by_own(POLICY, "Subject", "name")


def test_owners_are_read_through_lists_from_the_fetched_record() -> None:
    record = POLICY.record("CreditAccount")
    assert record is not None
    (path,) = record.owners.values()
    parties, subject, identifier = path
    fetched_account: dict[str, object] = {
        need_alias((parties,)): [
            {need_alias((subject,)): {need_alias((identifier,)): "A"}},
            {need_alias((subject,)): {need_alias((identifier,)): "B"}},
            {need_alias((subject,)): {need_alias((identifier,)): "A"}},
        ]
    }
    assert read_owners(fetched_account, record) == ("A", "B")
