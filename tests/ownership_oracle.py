"""A no-leak oracle built on ownership, sharing nothing with graphql/policy.toml.

The gateway decides what a requester sees from the policy file's model: types,
fields, editions, record owners read along declared paths, declared views.
This oracle judges the same answers from other facts, so that one mistake
cannot hide in both:

- whose a record is comes from the database (`Owners`): an account's parties,
  a guarantee's guarantor and the guaranteed account's parties, a subject
  itself; never from the answer or the policy's owner paths;
- who may see what is the product's editions table, written out here again by
  hand (`_SUBJECT_SECTIONS` and the record views below), section by section
  as a person reads a credit report: identity, credit, guarantees, public
  records, scores;
- a record a requester has no entitlement to through one of its owners shows
  only as it appears on the report it was reached from: another subject by
  name, kind and identifier (a spouse with her identity section), another's
  account as a liability, another's guarantee as who stands behind what.

For every value of a requester's answer it finds the record the value belongs
to and the section it lies in, and holds the value to the table: a value the
requester may not see must be absent (no owned value without entitlement), a
value it may see must be there and equal to the full answer's (nothing
entitled withheld), and a masked one must be there and reveal nothing of what
it hides (no lender's code, no piece of the real reference, no birth date or
sex in an identifier).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
from graphql import (
    DocumentNode,
    GraphQLResolveInfo,
    GraphQLSchema,
    experimental_execute_incrementally,
    get_named_type,
    is_leaf_type,
)

from creditgraph.requester import Requester
from tests.edition_oracle import LOOK_BACK, World, counted_within, listed_within, read_one

S, B, SO, G = "SUBJECT", "BANK", "SOCIAL", "GOVERNMENT"
ALL: Final = frozenset({S, B, SO, G})
PRIVATE: Final = frozenset({S, B})
SUMMARY: Final = frozenset({S, B, SO})
# when one requester is entitled to several owners, the edition that shows most
_BEST: Final = (S, B, SO, G)

# what the oracle reads of the full answer beside the client's selection, by type
EXTRAS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    "Subject": (("identifier",),),
    "CreditAccount": (("id",),),
    "Guarantee": (("id",),),
    "Institution": (("code",),),
    "Inquiry": (("requesterCode",),),
    "ConsentGrant": (("granteeCode",),),
    "MeasureNotice": (("institutionCode",),),
    "ScoreObservation": (("model", "scale"),),
}

# -- the editions table, by section of a subject's report ----------------------------------

# Subject field -> the editions that see that section of the subject's own report
_SUBJECT_SECTIONS: Final[Mapping[str, frozenset[str]]] = {
    # who they are: everyone; an organisation's registration is public
    "id": ALL,
    "identifier": ALL,
    "name": ALL,
    "kind": ALL,
    "establishedOn": ALL,
    "industry": ALL,
    "registeredCapital": ALL,
    "blacklisted": ALL,
    # the identity section
    "birthDate": PRIVATE,
    "gender": PRIVATE,
    "phones": PRIVATE,
    "addresses": PRIVATE,
    "employments": PRIVATE,
    "educations": PRIVATE,
    "marriages": PRIVATE,
    "spouse": PRIVATE,
    "principals": PRIVATE,
    "principalRoles": PRIVATE,
    # credit detail, and the summary society may see
    "accounts": PRIVATE,
    "creditSummary": SUMMARY,
    "guaranteesGiven": PRIVATE,
    "guaranteeExposure": SUMMARY,
    # the subject's voice, and who looked
    "inquiries": PRIVATE,
    "disputes": SUMMARY,
    "statements": PRIVATE,
    "fraudAlerts": PRIVATE,
    # furnishers' corrections, with who made them: the subject's alone, since they name
    # every lender the subject has
    "corrections": frozenset({S}),
    # when a furnisher told the subject of negative information: the subject's, as the
    # corrections, since they name the lenders that reported the subject late
    "negativeNotices": frozenset({S}),
    # public records: everyone; social insurance and housing fund are not public credit
    "enforcementCases": ALL,
    "dishonestListings": ALL,
    "consumptionRestrictions": ALL,
    "civilJudgments": ALL,
    "administrativeActions": ALL,
    "taxArrears": ALL,
    "utilityArrears": ALL,
    "licences": ALL,
    "listEntries": ALL,
    "publicRecordCount": ALL,
    "socialInsurance": SUMMARY,
    "housingFund": SUMMARY,
    # scores: a bank sees the bureau's own; the history is the subject's
    "scores": PRIVATE,
    "scoreHistory": frozenset({S}),
    "consentGrants": PRIVATE,
    # whom the subject borrows from is private: a bank sees the notices sent to it
    "measureNotices": PRIVATE,
    # the yes/no answers the subject shares, and those given: the subject's alone (the
    # institution that asked holds its own answer, from the root field, and nothing more)
    "eligibilityShares": frozenset({S}),
    "eligibilityAnswers": frozenset({S}),
    "eligibilityCatalogue": frozenset({S}),
}
# parts of a section only the subject sees: what they said to a listing body and its answer,
# and how their city score breaks down
_SUBJECTS_OWN: Final = frozenset(
    {
        ("ListEntry", "objection"),
        ("ListEntry", "repairApplications"),
        ("ScoreObservation", "dimensions"),
    }
)
# what of a section an edition sees in part: society sees guarantees as totals; lenders and
# society see disputes as marks only, since what was said may name another lender
_PARTLY: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    (SO, "guaranteeExposure"): frozenset(
        {"maxDepth", "directExposure", "chainExposure", "totalExposure", "truncated"}
    ),
    (SO, "disputes"): frozenset({"id", "recordType", "recordId", "filedAt", "respondBy", "status"}),
    (B, "disputes"): frozenset(
        {"id", "recordType", "recordId", "filedAt", "respondBy", "status", "outcome", "resolvedAt"}
    ),
}
# another subject reached from a report, without an entitlement of the requester's own
_ANOTHER_SUBJECT: Final = frozenset({"id", "identifier", "name", "kind"})
# ... unless it is the spouse: the identity section names her phone and employer
_SPOUSE: Final = _ANOTHER_SUBJECT | {"phones", "employments"}
# another's account on this report: a liability, with no history, purpose or guarantees
_LIABILITY: Final = frozenset(
    {
        "id",
        "dispute",
        "accountNumber",
        "kind",
        "currency",
        "principal",
        "creditLimit",
        "balance",
        "collateral",
        "openedOn",
        "maturesOn",
        "closedOn",
        "status",
        "classification",
        "reportedOn",
        "lender",
        "parties",
    }
)
# another's guarantee on this report: who stands behind what, how much, how long
_ANOTHERS_GUARANTEE: Final = frozenset(
    {
        "id",
        "dispute",
        "contractNumber",
        "kind",
        "amount",
        "currency",
        "startsOn",
        "endsOn",
        "status",
        "guarantor",
        "borrower",
        "account",
    }
)
_RECORDS: Final = frozenset({"Subject", "CreditAccount", "Guarantee"})


# -- whose records are, from the database ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owners:
    accounts: Mapping[str, frozenset[str]]  # account id -> its parties' identifiers
    lenders: Mapping[str, str]  # account id -> its lender's code
    guarantees: Mapping[str, frozenset[str]]  # guarantee id -> guarantor and account parties
    guaranteed: Mapping[str, str]  # guarantee id -> the guaranteed account's id
    banks: Mapping[str, str]  # institution code -> name

    def of(self, type_name: str, key: str) -> frozenset[str]:
        if type_name == "Subject":
            return frozenset({key})
        if type_name == "CreditAccount":
            return self.accounts.get(key, frozenset())
        return self.guarantees.get(key, frozenset())


async def load_owners(pool: asyncpg.Pool) -> Owners:
    accounts = await pool.fetch(
        """
        select a.id::text, array_agg(s.identifier) as owners, i.code
        from bureau.credit_accounts a
        join bureau.account_parties p on p.account_id = a.id
        join bureau.subjects s on s.id = p.subject_id
        join bureau.institutions i on i.id = a.lender_id
        group by a.id, i.code
        """
    )
    parties = {row["id"]: frozenset(row["owners"]) for row in accounts}
    guarantees = await pool.fetch(
        """
        select g.id::text, g.account_id::text as account, s.identifier as guarantor
        from bureau.guarantees g join bureau.subjects s on s.id = g.guarantor_id
        """
    )
    institutions = await pool.fetch("select code, name from bureau.institutions")
    return Owners(
        parties,
        {row["id"]: row["code"] for row in accounts},
        {
            row["id"]: parties.get(row["account"], frozenset()) | {row["guarantor"]}
            for row in guarantees
        },
        {row["id"]: row["account"] for row in guarantees},
        {row["code"]: row["name"] for row in institutions},
    )


# -- judging an answer ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Record:
    """The record a value belongs to, and how this requester may see it."""

    type_name: str
    key: str
    # the best edition of the requester's own entitlement to one of its owners
    own: str | None
    # reached from another report: that report's edition and the fields it shows of this
    report: str | None
    shown: frozenset[str] | None
    # the most months back the requester may look in it: the report's data period and its
    # own entitlements', the shortest (None: no limit)
    period: int | None = None


@dataclass(frozen=True, slots=True)
class _Node:
    full: Mapping[str, Any]
    actual: Mapping[str, Any] | None
    record: _Record
    edition: str  # the edition whose rules apply to this part
    section: str | None  # the Subject field this part lies under
    purpose: str
    lender: str | None  # the code of the lender whose account this part is of, if any


@dataclass
class OwnershipOracle:
    schema: GraphQLSchema
    world: World
    owners: Owners
    requester: Requester
    problems: list[str] = field(default_factory=list)

    def judge(
        self,
        document: DocumentNode,
        variables: dict[str, Any],
        operation_name: str | None,
        full: Mapping[str, Any],
        answer: Mapping[str, Any],
    ) -> list[str]:
        """Every value of `answer` the ownership table disagrees with, described."""
        self._excused = [
            tuple(item.get("path") or ())
            for item in answer.get("errors") or ()
            if (item.get("extensions") or {}).get("code")
            not in ("FORBIDDEN_FIELD", "CONSENT_REQUIRED")
        ]
        # the API schema declares @defer, which graphql-core executes only this way
        experimental_execute_incrementally(
            self.schema,
            document,
            root_value=(full, answer.get("data") or {}),
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=self._resolve,
        )
        return self.problems

    # -- entitlement -----------------------------------------------------------------------

    def _entitled(
        self, type_name: str, key: str, purpose: str, period: int | None = None
    ) -> tuple[str | None, int | None]:
        """The best edition of the requester's entitlements to the record's owners, and the
        data period under it: `period` (the report's) and those of the entitlements in that
        edition, the shortest."""
        found = [
            item
            for owner in self.owners.of(type_name, key)
            if (item := self.world.entitled(self.requester, owner, purpose)) is not None
        ]
        own = next((e for e in _BEST if any(item[0] == e for item in found)), None)
        for edition, months in found:
            if edition == own and months is not None:
                period = months if period is None else min(period, months)
        return own, period

    def _reached(
        self, type_name: str, key: str, edge: str, report: str, purpose: str, period: int | None
    ) -> _Record:
        own, period = self._entitled(type_name, key, purpose, period)
        if type_name == "Subject":
            shown = _SPOUSE if edge == "Subject.spouse" else _ANOTHER_SUBJECT
        elif type_name == "CreditAccount":
            shown = _LIABILITY
        else:
            shown = _ANOTHERS_GUARANTEE
        return _Record(type_name, key, own, report, shown, period)

    def _edition_for(self, node: _Node, type_name: str, name: str) -> str | None:
        """The edition that shows this field of this part, or None when none may."""
        record = node.record
        at_record = type_name == record.type_name and node.section is None
        candidates: list[str] = []
        if at_record and record.shown is not None:
            if name in record.shown and record.report is not None:
                candidates.append(record.report)
            if record.own is not None:
                candidates.append(record.own)
        else:
            candidates.append(node.edition)
        period = record.period
        if period is not None and LOOK_BACK.get(f"{type_name}.{name}", 1) > period:
            return None  # derived from more history than the grant's data period reaches
        for edition in candidates:
            if self._sees(type_name, name, node, edition):
                return edition
        return None

    def _sees(self, type_name: str, name: str, node: _Node, edition: str) -> bool:
        if name == "employerName" and edition not in PRIVATE:
            return False  # who employs the subject is the identity section's, wherever named
        if type_name == "Subject":
            return edition in _SUBJECT_SECTIONS.get(name, frozenset())
        if (type_name, name) in _SUBJECTS_OWN and edition != S:
            return False
        section = node.section
        if section is None:
            # an account or a guarantee seen as itself: credit detail
            return edition in PRIVATE
        if edition not in _SUBJECT_SECTIONS[section]:
            return False
        partly = _PARTLY.get((edition, section))
        if partly is not None:
            return type_name in ("GuaranteeExposure", "Dispute") and name in partly
        return True

    # -- the walk --------------------------------------------------------------------------

    def _resolve(self, source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        type_name, name, key = info.parent_type.name, info.field_name, str(info.path.key)
        path = tuple(info.path.as_list())
        field_type = info.parent_type.fields[name].type
        child = get_named_type(field_type)
        if type_name == "Query":
            full, actual = source
            return self._root(name, full.get(key), actual.get(key), arguments, child, path)
        node: _Node = source
        value = node.full.get(key)
        found = node.actual.get(key) if node.actual is not None else None
        edition = self._edition_for(node, type_name, name)
        if edition is None:
            if found is not None:
                self.problems.append(f"{path}: {type_name}.{name} returned without entitlement")
            return None
        if value is None:
            return None
        today, period = self.world.today, node.record.period
        if is_leaf_type(child):
            value = counted_within(type_name, name, node.full, value, period, today)
            self._leaf(node, edition, type_name, name, value, found, path)
            return value
        self._present(found, path, f"{type_name}.{name}")
        section = node.section
        if type_name == "Subject" and node.record.type_name == "Subject" and section is None:
            section = name
        items = self._filtered(type_name, name, edition, value)
        if isinstance(items, list):
            items = listed_within(items, child.name, period, today)
        return self._children(node, edition, section, type_name, name, child.name, items, found)

    def _root(
        self,
        name: str,
        full: Any,
        actual: Any,
        arguments: Mapping[str, Any],
        child: Any,
        path: tuple[Any, ...],
    ) -> Any:
        if name not in ("me", "subject") or not isinstance(full, Mapping):
            return full if is_leaf_type(child) else None
        if name == "me":
            if self.requester.role != S:
                return None
            identifier, purpose = self.requester.identifier, "SELF"
        else:
            identifier, purpose = arguments["identifier"], arguments["purpose"]
        own, period = self._entitled("Subject", identifier, purpose)
        if own is None:
            if actual is not None:
                self.problems.append(f"{path}: a report returned without entitlement")
            return None
        record = _Record("Subject", identifier, own, None, None, period)
        return _Node(
            full, actual if isinstance(actual, Mapping) else None, record, own, None, purpose, None
        )

    def _children(
        self,
        node: _Node,
        edition: str,
        section: str | None,
        type_name: str,
        name: str,
        child: str,
        items: Any,
        found: Any,
    ) -> Any:
        def one(full: Any, actual: Any) -> Any:
            if not isinstance(full, Mapping):
                return None
            shaped = actual if isinstance(actual, Mapping) else None
            if child in _RECORDS:
                key = read_one(full, ("identifier",) if child == "Subject" else ("id",))
                edge = f"{type_name}.{name}"
                record = self._reached(
                    child, str(key), edge, edition, node.purpose, node.record.period
                )
                return _Node(full, shaped, record, record.own or edition, None, node.purpose, None)
            lender = node.lender
            if child == "Institution" and type_name == "CreditAccount":
                lender = read_one(full, ("code",))
            return _Node(full, shaped, node.record, edition, section, node.purpose, lender)

        if isinstance(items, list):
            actual_items = found if isinstance(found, list) else [None] * len(items)
            if isinstance(found, list) and len(found) != len(items):
                self.problems.append(f"{type_name}.{name}: {len(found)} items, {len(items)} due")
                actual_items = [None] * len(items)
            return [one(full, actual) for full, actual in zip(items, actual_items, strict=True)]
        return one(items, found)

    def _filtered(self, type_name: str, name: str, edition: str, value: Any) -> Any:
        """A list as the edition shows it: a bank sees the bureau's score and its own grants."""
        if edition != B or not isinstance(value, list):
            return value
        if type_name == "Subject" and name == "scores":
            return [item for item in value if read_one(item, ("model", "scale")) == "BUREAU"]
        if type_name == "Subject" and name == "consentGrants":
            return [
                item
                for item in value
                if read_one(item, ("granteeCode",)) == self.requester.identifier
            ]
        if type_name == "Subject" and name == "measureNotices":
            return [
                item
                for item in value
                if read_one(item, ("institutionCode",)) == self.requester.identifier
            ]
        return value

    # -- values ------------------------------------------------------------------------------

    def _leaf(
        self,
        node: _Node,
        edition: str,
        type_name: str,
        name: str,
        value: Any,
        found: Any,
        path: tuple[Any, ...],
    ) -> None:
        secret = self._secret(node, edition, type_name, name, value)
        if secret is None:
            self._present(found, path, f"{type_name}.{name}")
            if found is not None and found != value:
                self.problems.append(f"{path}: {type_name}.{name} is {found!r}, not {value!r}")
            return
        if found is None:
            return  # a hidden party may also be shown as nothing at all
        problem = secret.revealed_by(str(found), str(value))
        if problem is not None:
            self.problems.append(f"{path}: {type_name}.{name} {found!r} {problem}")

    def _secret(
        self, node: _Node, edition: str, type_name: str, name: str, value: Any
    ) -> _Secret | None:
        """What a masked value must not reveal, or None when the value shows as it is."""
        me = self.requester.identifier
        if edition == SO and name in _IDENTIFIERS:
            return _Secret(person=True)
        if edition != B:
            return None
        code: str | None = None
        if type_name == "Institution" and name in ("code", "name"):
            code = node.lender
        elif type_name == "CreditAccount" and name == "accountNumber":
            code = self.owners.lenders.get(node.record.key)
        elif type_name == "Guarantee" and name == "contractNumber":
            code = self.owners.lenders.get(self.owners.guaranteed.get(node.record.key, ""))
        elif type_name == "Inquiry" and name in (
            "requesterCode",
            "requesterName",
            "operator",
            "grantId",
            "answerId",
        ):
            code = str(read_one(node.full, ("requesterCode",)))
        elif name in ("reportedBy", "applicantName"):
            mine = self.world.names.get((self.requester.role, me))
            return None if value == mine else _Secret(names=(str(value),))
        else:
            return None
        if code == me:
            return None
        return _Secret(names=(code or "", self.owners.banks.get(code or "", "")), strict=True)

    def _present(self, found: Any, path: tuple[Any, ...], coordinate: str) -> None:
        """An entitled value must come back, unless a subgraph's own error took it."""
        if found is None and not any(path[: len(where)] == where for where in self._excused):
            self.problems.append(f"{path}: {coordinate} withheld though entitled")


_IDENTIFIERS: Final = frozenset({"identifier", "subjectIdentifier", "restrictedPersonIdentifier"})


@dataclass(frozen=True, slots=True)
class _Secret:
    """What a masked value hides: a party's code and name (`strict`: nor any four characters
    running of the real value), or a person's birth date and sex."""

    names: tuple[str, ...] = ()
    strict: bool = False
    person: bool = False

    def revealed_by(self, masked: str, real: str) -> str | None:
        if masked == real:
            return "is the real value"
        for name in self.names:
            if name and name in masked:
                return f"names {name!r}"
        if self.strict and any(
            real[start : start + 4] in masked for start in range(max(len(real) - 3, 0))
        ):
            return f"carries part of {real!r}"
        if self.person and _is_resident_number(real):
            if real[6:14] in masked:
                return "shows the birth date"
            if len(masked) == len(real) and masked[16] == real[16]:
                return "shows the sex digit"
        return None


def _is_resident_number(value: str) -> bool:
    return len(value) == 18 and value[:17].isdigit()
