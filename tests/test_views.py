"""Views (access/views.py), without a database or a subgraph: what is fetched of a record.

Under the shipped policy, the selection the gateway sends for a record's view
holds only what that view may see: denied fields are never requested, a record
reached below is fetched with its key and owners in a guessed view that never
shows more than the requester may see of it, and the values masks and filters
read ride along under the policy's own aliases.
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


def _reached(restrictor: Restrictor, fields: str, view: View, *path: str) -> dict[str, Field]:
    """What `restrictor` fetches, for `view` of the subject, of the record at `path`."""
    found = fetched(restrictor.record("Subject", subject_selection(fields), view))
    for step in path:
        inner = found[step].selections or []
        found = fetched(inner)
    return found


ACCOUNTS = "accounts { nodes { role account { balance status purpose } } }"


def test_without_fetching_ahead_a_record_reached_below_is_cut_to_its_key_and_owners() -> None:
    checkpoint = Restrictor(SCHEMA, POLICY, ahead=False)
    account = _reached(checkpoint, ACCOUNTS, View("BANK"), "accounts", "nodes", "account")
    # the account's own fields wait for its view; only what decides it is fetched now
    assert "balance" not in account
    assert "status" not in account
    assert account[KEY_ALIAS].name == "id"
    assert all(is_reserved(key) for key in account)


def test_a_subjects_own_account_is_fetched_ahead_in_the_edition_held_for_the_subject() -> None:
    bank = _reached(RESTRICTOR, ACCOUNTS, View("BANK"), "accounts", "nodes", "account")
    assert {KEY_ALIAS, "balance", "status", "purpose"} <= bank.keys()


def test_another_subject_reached_is_fetched_ahead_in_the_edges_view_alone() -> None:
    spouse = _reached(RESTRICTOR, "spouse { name birthDate }", View("BANK"), "spouse")
    # the spouse's own entitlement is not known yet: only what the report shows of another
    assert "name" in spouse
    assert "birthDate" not in spouse
    assert spouse[KEY_ALIAS].name == "identifier"


def test_a_part_fetched_ahead_is_used_only_when_the_decided_view_fetches_the_same() -> None:
    (root,) = subject_selection("spouse { name birthDate }")
    assert isinstance(root, Field)
    selections = root.selections or []
    linked = POLICY.view("Subject.spouse")
    guessed = View("BANK", linked, None, "Subject", 60)
    # the spouse's own BANK grant opens birthDate: what was fetched ahead is not enough
    assert not RESTRICTOR.fetches_as(
        "Subject", selections, View("BANK", linked, "BANK", "Subject", 60), guessed
    )
    # a shorter data period of the spouse's own grant: fetched again under it
    name: list[Selection] = [
        item for item in selections if isinstance(item, Field) and item.name == "name"
    ]
    shorter = View("BANK", linked, "BANK", "Subject", 12)
    assert not RESTRICTOR.fetches_as("Subject", name, shorter, guessed)
    # only the name asked: any entitlement of the spouse's own fetches the same
    assert RESTRICTOR.fetches_as(
        "Subject", name, View("BANK", linked, "BANK", "Subject", 60), guessed
    )
    assert RESTRICTOR.fetches_as("Subject", selections, guessed, guessed)


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
