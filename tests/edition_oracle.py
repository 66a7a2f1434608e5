"""An independent oracle for the edition policy: what a requester should get back.

The enforcement layer (creditgraph.access) decides editions from SQL, restricts
selections before fetching and walks the fetched parts with its own masks. This
module answers the same question another way, so that a test comparing the two
finds a bug in either: it takes the *full* answer of the plain gateway (no
policy) to the operation, decides each reached subject's edition in Python from
a snapshot of the grant state (`World`), and re-executes the client's document
with graphql-core over that answer, withholding and masking field by field as
graphql/policy.toml says. graphql-core does the GraphQL (fragments, aliases,
`@skip`/`@include`, null propagation); this module only judges fields.

Only the policy's data is read (`Policy.rule`, `Policy.record`, `Policy.view`);
masks and filters are re-implemented here, simply, from their documented
meaning. The plain gateway is sent the client's document with a few extra,
uniquely aliased fields (`augment`): the values masks and checkpoints read (a
record's owners, an institution's code, an account's lender, an inquiry's
requester, a grant's grantee, a score's scale), which the client may not have
selected. Opaque references are compared by `canonical_references`: the same
party must get the same reference, whatever number it is.

tests/ownership_oracle.py checks the same answers against a model that does
not read the policy at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    experimental_execute_incrementally,
    get_named_type,
    is_leaf_type,
)

from creditgraph.access.policy import Policy
from creditgraph.requester import Requester

SUBJECT: Final = "Subject"
ANONYMISED_CODE: Final = "anonymised"
ANONYMISED_NAME: Final = "其他机构 Another institution"
POLICY_CODES: Final = frozenset({"FORBIDDEN_FIELD", "CONSENT_REQUIRED"})
_PREFIX: Final = "oracle_"

# the values masks and filters read beside the client's selection, by type: paths of fields
_MASK_EXTRAS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    "Institution": (("code",),),
    "CreditAccount": (("lender", "code"),),
    "Guarantee": (("account", "lender", "code"),),
    "Inquiry": (("requesterCode",),),
    "ConsentGrant": (("granteeCode",),),
    "MeasureNotice": (("institutionCode",),),
    "ScoreObservation": (("model", "scale"),),
}


# When a dated record's life ended, as the domain defines it, by the type of the list item
# that holds it (None: still live, so it is on every report): the first path read of it,
# and, for a record that ends only in some states, the state path and the states it ends in.
# A record ended before the first day of the requester's data period is no record of
# theirs: it is not listed, nor counted in its list's total.
_ENDED: Final[Mapping[str, tuple[tuple[str, ...], tuple[str, ...] | None, frozenset[str]]]] = {
    "AccountHolding": (("account", "closedOn"), None, frozenset()),
    "Guarantee": (("endsOn",), ("status",), frozenset({"RELEASED", "CALLED"})),
    "Inquiry": (("inquiredAt",), None, frozenset()),
    "Dispute": (("resolvedAt",), None, frozenset()),
    "Statement": (("withdrawnAt",), None, frozenset()),
    "FraudAlert": (("liftedAt",), None, frozenset()),
    "EnforcementCase": (("closedOn",), None, frozenset()),
    "DishonestListing": (("removedOn",), None, frozenset()),
    "ConsumptionRestriction": (("liftedOn",), None, frozenset()),
    "AdministrativeAction": (("decidedOn",), ("kind",), frozenset({"PENALTY"})),
    "TaxArrear": (("settledOn",), None, frozenset()),
    "ListEntry": (("exitedOn",), ("colour",), frozenset({"BLACK"})),
    "CivilJudgment": (("judgedOn",), None, frozenset()),
    "UtilityArrear": (("settledOn",), None, frozenset()),
    "SocialInsuranceRecord": (("lastPaidMonth",), ("status",), frozenset({"ENDED"})),
    "HousingFundRecord": (("lastPaidMonth",), ("status",), frozenset({"CLOSED"})),
    "Licence": (("expiresOn",), ("status",), frozenset({"EXPIRED"})),
}
# a fraud alert ends when lifted or when it expires, whichever comes first
_ALSO_ENDED: Final = {"FraudAlert": ("expiresAt",)}
# the connections whose totals count dated records, and where their items' ends are read
_COUNTED: Final = {
    "AccountHoldingConnection": ("nodes", "AccountHolding"),
    "InquiryConnection": ("nodes", "Inquiry"),
    "EnforcementCaseConnection": ("nodes", "EnforcementCase"),
}


# the subject's adverse records that end (docs/domain.md: publicRecordCount counts every
# enforcement case and every penalty, and listings, arrears and entries only while in force):
# under a data period, those ended before it are not counted
_COUNTED_RECORDS: Final = (
    (("enforcementCases", "nodes"), "EnforcementCase"),
    (("administrativeActions",), "AdministrativeAction"),
)


def _ended_paths() -> dict[str, list[tuple[str, ...]]]:
    """The paths `_ended_on` reads, by type: of the record, of an edge to it, of a page, and
    of the subject's adverse records `publicRecordCount` counts."""
    found: dict[str, list[tuple[str, ...]]] = {"Subject": []}
    for place, item in _COUNTED_RECORDS:
        ended, state, _ = _ENDED[item]
        found["Subject"] += [(*place, *path) for path in (ended, *([state] if state else []))]
    for type_name, (ended, state, _) in _ENDED.items():
        paths = [
            ended,
            *([state] if state else []),
            *([_ALSO_ENDED[type_name]] if type_name in _ALSO_ENDED else []),
        ]
        found.setdefault(type_name, []).extend(paths)
        found.setdefault(f"{type_name}Edge", []).extend(("node", *path) for path in paths)
    for connection, (nodes, item) in _COUNTED.items():
        found.setdefault(connection, []).extend((nodes, *path) for path in found[item])
    return found


def period_start(today: dt.date, months: int) -> dt.date:
    """The first day of a data period of `months` months up to the bureau's day `today`: the
    day after the same day `months` months before (the last of that month when it is
    shorter)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(today.day, last)) + dt.timedelta(days=1)


def _ended_on(item: Any, type_name: str) -> dt.date | None:
    """The day a list item's dated record ended, None while it is live (or not dated)."""
    if type_name.endswith("Edge") and type_name.removesuffix("Edge") in _ENDED:
        # an edge's record is its node's
        return _ended_on(read_one(item, ("node",)), type_name.removesuffix("Edge"))
    rule = _ENDED.get(type_name)
    if rule is None:
        return None
    ended, state, states = rule
    if state is not None and read_one(item, state) not in states:
        return None
    days = [
        read_one(item, path)
        for path in (ended, *([_ALSO_ENDED[type_name]] if type_name in _ALSO_ENDED else []))
    ]
    found = [dt.date.fromisoformat(str(day)[:10]) for day in days if day is not None]
    return min(found, default=None)


def listed_within(items: list[Any], type_name: str, period: int | None, today: dt.date) -> Any:
    """The items of a list of `type_name` a requester looking back `period` months is
    answered (None: every one): a record ended before the period's first day is not."""
    if period is None:
        return items
    start = period_start(today, period)
    return [item for item in items if (_ended_on(item, type_name) or start) >= start]


def counted_within(
    type_name: str,
    name: str,
    data: Mapping[str, Any],
    value: Any,
    period: int | None,
    today: dt.date,
) -> Any:
    """A count as a requester looking back `period` months is answered: a page's total, and
    the subject's adverse records, without the records that ended before the period."""
    if period is None or value is None:
        return value
    places: tuple[tuple[tuple[str, ...], str], ...] = ()
    if name == "totalCount" and type_name in _COUNTED:
        nodes, item = _COUNTED[type_name]
        places = (((nodes,), item),)
    elif type_name == "Subject" and name == "publicRecordCount":
        places = _COUNTED_RECORDS
    for place, item in places:
        listed = [
            record
            for found in read_path(data, place)
            for record in (found if isinstance(found, list) else [found])
        ]
        value = int(value) - len(listed) + len(listed_within(listed, item, period, today))
    return value


def extra_paths(
    policy: Policy, *more: Mapping[str, tuple[tuple[str, ...], ...]]
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every path this oracle reads, by type (masks' values, each record's key and owners,
    the days dated records ended), with those other readers of the same answer need."""
    found = {name: list(paths) for name, paths in _MASK_EXTRAS.items()}
    for type_name, ended in _ended_paths().items():
        found.setdefault(type_name, []).extend(ended)
    for type_name, record in policy.records.items():
        found.setdefault(type_name, []).extend([(record.key,), *record.owners.values()])
    for extras in more:
        for type_name, paths in extras.items():
            found.setdefault(type_name, []).extend(paths)
    return {name: tuple(dict.fromkeys(paths)) for name, paths in found.items()}


def _alias(step: str) -> str:
    return _PREFIX + step


def read_path(item: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at `path` under the oracle's aliases, through lists."""
    if isinstance(item, list):
        return [found for inner in item for found in read_path(inner, path)]
    if not isinstance(item, Mapping):
        return []
    head, *rest = path
    value = item.get(_alias(head))
    return read_path(value, tuple(rest)) if rest else [value]


def read_one(item: Any, path: tuple[str, ...]) -> Any:
    found = read_path(item, path)
    return found[0] if found else None


# -- the grant state --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    subject: str
    grantee: str  # the grantee's identifier (a bank's code)
    purpose: str
    edition: str
    active: bool
    valid_from: dt.datetime
    valid_until: dt.datetime
    data_period: int  # months back its holder may look


# How far back each value derived from history looks, in months from the data month, from
# what each one means (not from the policy): 连三累六 and the overdue months it counts look
# at the last 24 months, the hard inquiries and "not messy" at 6, "not white" asks for a
# year of history (so the four nots as a whole look back 12), and a score weighs up to five
# years of history. A value below one of these looks back as far (a score's reasons).
# Everything else stands as of the data month. Under a grant whose data period is shorter,
# the value is withheld (CONSENT_REQUIRED); the subject's own view and a mandate have none.
LOOK_BACK: Final[Mapping[str, int]] = {
    "CreditSummary.longestOverdueRun24m": 24,
    "CreditSummary.overdueMonths24m": 24,
    "CreditSummary.seriousDelinquency": 24,
    "CreditSummary.seriousDelinquencyAccounts": 24,
    "CreditSummary.hardInquiries6m": 6,
    "CreditSummary.hardInquiryWarning": 6,
    "FourNots.passed": 12,
    "FourNots.notWhite": 12,
    "FourNots.notMessy": 6,
    "Subject.scores": 60,
    "Subject.scoreHistory": 60,
    # a score wherever it is reached (the history's observations are scores too)
    "ScoreObservation.value": 60,
    "ScoreObservation.band": 60,
    "ScoreObservation.reasons": 60,
    "ScoreObservation.dimensions": 60,
    "ScoreObservationConnection.edges": 60,
    "ScoreObservationConnection.nodes": 60,
    "ScoreObservationEdge.node": 60,
}


def _tighter(first: int | None, second: int | None) -> int | None:
    return second if first is None else first if second is None else min(first, second)


@dataclass(frozen=True, slots=True)
class World:
    """What decides editions, read from the database once the test has set it up."""

    grants: tuple[Grant, ...]
    mandates: frozenset[tuple[str, str]]  # (agency code, purpose), live today
    # (subject, lender code): credit not closed that the subject authorised when it began
    open_lending: frozenset[tuple[str, str]]
    names: Mapping[tuple[str, str], str]  # (role, identifier) -> the requester's name
    today: dt.date  # the bureau's day, from which a data period counts back

    def edition(self, requester: Requester, identifier: str, purpose: str) -> str | None:
        """The edition `requester` is entitled to of `identifier` for `purpose`, if any."""
        found = self.entitled(requester, identifier, purpose)
        return None if found is None else found[0]

    def entitled(
        self, requester: Requester, identifier: str, purpose: str
    ) -> tuple[str, int | None] | None:
        """The edition and data period (None: no limit) of the requester's entitlement."""
        if requester.role == "SUBJECT" and requester.identifier == identifier:
            return "SUBJECT", None
        if purpose == "SELF":
            return None
        if requester.role == "GOVERNMENT":
            return (
                ("GOVERNMENT", None) if (requester.identifier, purpose) in self.mandates else None
            )
        now = dt.datetime.now(dt.UTC)
        live = [
            grant
            for grant in self.grants
            if grant.subject == identifier
            and grant.grantee == requester.identifier
            and grant.purpose == purpose
            and grant.active
            and grant.valid_from <= now < grant.valid_until
        ]
        for edition in ("BANK", "SOCIAL"):
            # of the grants showing most, the one in force longest decides the data period
            held = sorted((g for g in live if g.edition == edition), key=lambda g: g.valid_until)
            if held:
                return edition, held[-1].data_period
        if (
            requester.role == "BANK"
            and purpose == "POST_LOAN_MANAGEMENT"
            and (identifier, requester.identifier) in self.open_lending
        ):
            return "BANK", None
        return None


def _authorised_on(grant: asyncpg.Record, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether an authorisation stood on the day a credit began (from `start` to `end`): the
    subject's own or confirmed by them by the day's end, in force on it, not revoked by then."""
    _, _, _, status, via, valid_from, valid_until, answered_at, revoked_at = grant
    return (
        status in ("ACTIVE", "REVOKED")
        and (via == "SUBJECT" or (answered_at is not None and answered_at < end))
        and valid_from < end
        and valid_until > start
        and (revoked_at is None or revoked_at >= end)
    )


async def load_world(conn: asyncpg.Connection | asyncpg.Pool) -> World:
    grants = await conn.fetch(
        """
        select g.subject_identifier, r.identifier as grantee, g.purpose, g.edition,
               g.status = 'ACTIVE' as active, g.valid_from, g.valid_until, g.data_period_months
        from gateway.consent_grants g join gateway.requesters r on r.id = g.grantee_id
        """
    )
    mandates = await conn.fetch(
        """
        select r.identifier, m.purpose from gateway.mandates m
        join gateway.requesters r on r.id = m.agency_id
        where m.valid_from <= current_date
          and (m.valid_until is null or m.valid_until > current_date)
        """
    )
    # every open credit's parties, each with the purpose its application was made for and
    # the day it began (its start and end in the database's zone); then each party's
    # authorisations to that lender, whatever their state now
    credits = await conn.fetch(
        """
        select s.identifier, i.code,
               case when a.kind = 'CREDIT_CARD' then 'CREDIT_CARD_APPROVAL'
                    else 'LOAN_APPROVAL' end,
               a.opened_on::timestamptz, (a.opened_on + 1)::timestamptz
        from bureau.account_parties p
        join bureau.credit_accounts a on a.id = p.account_id
        join bureau.subjects s on s.id = p.subject_id
        join bureau.institutions i on i.id = a.lender_id
        where a.status <> 'CLOSED'
        union all
        select s.identifier, i.code, 'GUARANTEE_CHECK', g.starts_on::timestamptz,
               (g.starts_on + 1)::timestamptz
        from bureau.guarantees g
        join bureau.credit_accounts a on a.id = g.account_id
        join bureau.subjects s on s.id = g.guarantor_id
        join bureau.institutions i on i.id = a.lender_id
        where a.status <> 'CLOSED' and g.status <> 'RELEASED'
        """
    )
    authorisations = await conn.fetch(
        """
        select g.subject_identifier, r.identifier, g.purpose, g.status, g.recorded_via,
               g.valid_from, g.valid_until, g.answered_at, g.revoked_at
        from gateway.consent_grants g join gateway.requesters r on r.id = g.grantee_id
        where r.role = 'BANK'
        """
    )
    lending = {
        (subject, lender)
        for subject, lender, purpose, start, end in credits
        if any(
            _authorised_on(row, start, end)
            for row in authorisations
            if (row[0], row[1], row[2]) == (subject, lender, purpose)
        )
    }
    names = await conn.fetch("select role, identifier, name from gateway.requesters")
    return World(
        tuple(Grant(*row) for row in grants),
        frozenset((row[0], row[1]) for row in mandates),
        frozenset(lending),
        {(row[0], row[1]): row[2] for row in names},
        await conn.fetchval("select common.today()"),
    )


# -- the extra fields the plain gateway is asked for ----------------------------------------


def augment(
    schema: GraphQLSchema,
    extras: Mapping[str, tuple[tuple[str, ...], ...]],
    document: DocumentNode,
) -> DocumentNode:
    """The document with the oracles' own fields (paths, by type) added under every object
    of a type that has some, each step under the oracles' alias."""

    def selection_set(node: SelectionSetNode, type_: GraphQLNamedType) -> SelectionSetNode:
        selections: list[SelectionNode] = []
        for item in node.selections:
            if isinstance(item, FieldNode) and item.selection_set is not None:
                assert isinstance(type_, GraphQLObjectType)
                child = get_named_type(type_.fields[item.name.value].type)
                selections.append(
                    FieldNode(
                        alias=item.alias,
                        name=item.name,
                        arguments=item.arguments,
                        directives=item.directives,
                        selection_set=with_extras(selection_set(item.selection_set, child), child),
                    )
                )
            elif isinstance(item, InlineFragmentNode):
                condition = (
                    schema.type_map[item.type_condition.name.value]
                    if item.type_condition
                    else type_
                )
                selections.append(
                    InlineFragmentNode(
                        type_condition=item.type_condition,
                        directives=item.directives,
                        selection_set=selection_set(item.selection_set, condition),
                    )
                )
            else:
                selections.append(item)
        return SelectionSetNode(selections=tuple(selections))

    def path_field(path: tuple[str, ...]) -> FieldNode:
        head, *rest = path
        return FieldNode(
            alias=NameNode(value=_alias(head)),
            name=NameNode(value=head),
            arguments=(),
            directives=(),
            selection_set=SelectionSetNode(selections=(path_field(tuple(rest)),)) if rest else None,
        )

    def with_extras(node: SelectionSetNode, type_: GraphQLNamedType) -> SelectionSetNode:
        added = [path_field(path) for path in extras.get(type_.name, ())]
        return SelectionSetNode(selections=(*node.selections, *added))

    definitions: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            assert root is not None
            definitions.append(
                OperationDefinitionNode(
                    operation=definition.operation,
                    name=definition.name,
                    variable_definitions=definition.variable_definitions,
                    directives=definition.directives,
                    selection_set=selection_set(definition.selection_set, root),
                )
            )
        elif isinstance(definition, FragmentDefinitionNode):
            condition = schema.type_map[definition.type_condition.name.value]
            definitions.append(
                FragmentDefinitionNode(
                    name=definition.name,
                    type_condition=definition.type_condition,
                    variable_definitions=definition.variable_definitions,
                    directives=definition.directives,
                    selection_set=selection_set(definition.selection_set, condition),
                )
            )
        else:
            definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions))


# -- masks and filters, re-implemented from their descriptions -------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    code: str
    name: str | None
    # opaque references given in this response, per (kind, hidden value)
    given: dict[tuple[str, str], int] = field(default_factory=dict)

    def reference(self, kind: str, value: Any) -> int:
        key = (kind, str(value))
        if key not in self.given:
            self.given[key] = 1 + sum(1 for other in self.given if other[0] == kind)
        return self.given[key]


def _hidden_institution(field: str, code: Any, viewer: Viewer) -> str:
    number = viewer.reference("institution", code)
    if field in ("code", "requesterCode"):
        return f"{ANONYMISED_CODE}-{number}"
    return f"{ANONYMISED_NAME} {number}"


def _mask_identifier(field: str, value: Any, item: Mapping[str, Any], viewer: Viewer) -> Any:
    if value is None:
        return None
    if len(value) < 10:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 3) + value[-1:]


def _other_institution(field: str, value: Any, item: Mapping[str, Any], viewer: Viewer) -> Any:
    code = read_one(item, ("code",))
    return value if code == viewer.code else _hidden_institution(field, code, viewer)


def _other_inquirer(field: str, value: Any, item: Mapping[str, Any], viewer: Viewer) -> Any:
    code = read_one(item, ("requesterCode",))
    if code == viewer.code:
        return value
    if field in ("requesterCode", "requesterName"):
        return _hidden_institution(field, code, viewer)
    return None


def _other_reporter(field: str, value: Any, item: Mapping[str, Any], viewer: Viewer) -> Any:
    if value is None or value == viewer.name:
        return value
    return f"{ANONYMISED_NAME} {viewer.reference('institution', value)}"


def _lender_reference(
    kind: str, lender: tuple[str, ...]
) -> Callable[[str, Any, Mapping[str, Any], Viewer], Any]:
    def apply(field: str, value: Any, item: Mapping[str, Any], viewer: Viewer) -> Any:
        if value is None or read_one(item, lender) == viewer.code:
            return value
        return f"{kind}-{viewer.reference(kind, value)}"

    return apply


MASKS: Final[Mapping[str, Callable[[str, Any, Mapping[str, Any], Viewer], Any]]] = {
    "identifier": _mask_identifier,
    "other_institution": _other_institution,
    "other_inquirer": _other_inquirer,
    "other_reporter": _other_reporter,
    "other_lender_reference": _lender_reference("account", ("lender", "code")),
    "guaranteed_lender_reference": _lender_reference("contract", ("account", "lender", "code")),
}
FILTERS: Final[Mapping[str, Callable[[Mapping[str, Any], Viewer], bool]]] = {
    "bureau_score": lambda item, viewer: read_one(item, ("model", "scale")) == "BUREAU",
    "own_grants": lambda item, viewer: read_one(item, ("granteeCode",)) == viewer.code,
    "own_notices": lambda item, viewer: read_one(item, ("institutionCode",)) == viewer.code,
}

_REFERENCE = re.compile(
    rf"^(?:(?P<kind>{ANONYMISED_CODE}|account|contract)-|{ANONYMISED_NAME} )(?P<number>\d+)$"
)


def canonical_references(value: Any) -> Any:
    """The answer with its opaque references renumbered by first appearance (keys in order),
    so two answers compare equal when they hide the same parties the same way."""
    numbers: dict[tuple[str, str], int] = {}

    def renumber(text: str) -> str:
        found = _REFERENCE.match(text)
        if found is None:
            return text
        kind = found["kind"] or ANONYMISED_CODE
        namespace = ANONYMISED_CODE if kind == ANONYMISED_CODE else kind
        key = (namespace, found["number"])
        if key not in numbers:
            numbers[key] = 1 + sum(1 for other in numbers if other[0] == namespace)
        if found["kind"] is None:
            return f"{ANONYMISED_NAME} {numbers[key]}"
        return f"{kind}-{numbers[key]}"

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: walk(item[key]) for key in sorted(item)}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        return renumber(item) if isinstance(item, str) else item

    return walk(value)


# -- the expected response ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """How one record's part is seen: its edition; or, reached from another's report, the
    edge's view as that report's edition shows it, and the rest as the requester's own
    edition of one of its owners (if any) shows it."""

    edition: str
    linked: frozenset[str] | None = None
    own: str | None = None
    record: str | None = None
    # the most months back the entitlements behind it let the requester look (None: no limit)
    period: int | None = None


@dataclass(frozen=True, slots=True)
class _Part:
    """An object of the plain answer, as the subject it belongs to is seen."""

    data: Mapping[str, Any]
    seen: Seen
    purpose: str


_PREFERENCE: Final = ("SUBJECT", "BANK", "SOCIAL", "GOVERNMENT")


class _Denied(GraphQLError):
    def __init__(self, message: str, code: str, edition: str | None) -> None:
        extensions: dict[str, Any] = {"code": code}
        if edition is not None:
            extensions["edition"] = edition
        super().__init__(message, extensions=extensions)


class Oracle:
    """The response one requester should get for an operation, given the full answer."""

    def __init__(
        self, schema: GraphQLSchema, policy: Policy, world: World, requester: Requester
    ) -> None:
        self.schema = schema
        self.policy = policy
        self.world = world
        self.requester = requester
        self.viewer = Viewer(
            requester.identifier, world.names.get((requester.role, requester.identifier))
        )

    def expected(
        self,
        document: DocumentNode,
        variables: dict[str, Any],
        operation_name: str | None,
        full: Mapping[str, Any],
    ) -> ExecutionResult:
        # the API schema declares @defer, which graphql-core executes only this way
        result = experimental_execute_incrementally(
            self.schema,
            document,
            root_value=full,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=self._resolve,
        )
        assert isinstance(result, ExecutionResult), "every resolver here is synchronous"
        return result

    def shown_in(self, seen: Seen, type_name: str, field: str) -> str | None:
        """The edition whose rules show the field, or None when it is withheld."""
        candidates = [seen.edition]
        if seen.linked is not None and type_name == seen.record:
            candidates = [seen.edition] if field in seen.linked else []
            candidates += [seen.own] if seen.own is not None else []
        for edition in candidates:
            if edition in self.policy.rule(type_name, field).editions:
                return edition
        return None

    def _resolve(self, source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        type_name, name, key = info.parent_type.name, info.field_name, info.path.key
        field_type = info.parent_type.fields[name].type
        if type_name == "Query":
            return self._root(name, source.get(key), arguments, field_type)
        part: _Part = source
        seen = part.seen
        edition = self.shown_in(seen, type_name, name)
        if edition is None:
            rule = self.policy.rule(type_name, name)
            if seen.own is None and seen.linked is not None and seen.edition in rule.editions:
                raise _Denied("needs that subject's consent", "CONSENT_REQUIRED", seen.edition)
            raise _Denied("not in this edition", "FORBIDDEN_FIELD", seen.own or seen.edition)
        window = LOOK_BACK.get(f"{type_name}.{name}", 1)
        if seen.period is not None and window > seen.period:
            raise _Denied("beyond the grant's data period", "CONSENT_REQUIRED", edition)
        value = part.data.get(str(key))
        value = counted_within(type_name, name, part.data, value, seen.period, self.world.today)
        rule = self.policy.rule(type_name, name)
        mask = rule.masks.get(edition)
        if mask is not None:
            value = MASKS[mask](name, value, part.data, self.viewer)
        filter_ = rule.filters.get(edition)
        if filter_ is not None and isinstance(value, list):
            value = [item for item in value if FILTERS[filter_](item, self.viewer)]
        below = _Part(part.data, Seen(edition, period=seen.period), part.purpose)
        return self._wrap(value, get_named_type(field_type), below, f"{type_name}.{name}")

    def _root(self, name: str, value: Any, arguments: Mapping[str, Any], type_: Any) -> Any:
        requester = self.requester
        if name == "me":
            if requester.role != "SUBJECT":
                raise _Denied("me is a subject's own report", "FORBIDDEN_FIELD", None)
            identifier, purpose = requester.identifier, "SELF"
        else:
            identifier, purpose = arguments["identifier"], arguments["purpose"]
        found = self.world.entitled(requester, identifier, purpose)
        if found is None:
            raise _Denied("no consent", "CONSENT_REQUIRED", None)
        if value is None:
            return None
        edition, period = found
        return _Part(value, Seen(edition, period=period), purpose)

    def _wrap(self, value: Any, type_: GraphQLNamedType, parent: _Part, coordinate: str) -> Any:
        if value is None or is_leaf_type(type_):
            return value
        if isinstance(value, list):
            value = listed_within(value, type_.name, parent.seen.period, self.world.today)
            return [self._wrap(item, type_, parent, coordinate) for item in value]
        record = self.policy.record(type_.name)
        period = parent.seen.period
        if record is None:
            return _Part(value, Seen(parent.seen.edition, period=period), parent.purpose)
        owners = {
            owner for path in record.owners.values() for owner in read_path(value, path) if owner
        }
        found = [self.world.entitled(self.requester, owner, parent.purpose) for owner in owners]
        entitled = [item for item in found if item is not None]
        own = next((e for e in _PREFERENCE if any(item[0] == e for item in entitled)), None)
        for edition, limit in entitled:
            if edition == own:
                # the report's limit and the owners' own entitlements', the shortest
                period = _tighter(period, limit)
        shown = parent.seen.edition
        if own == shown:
            return _Part(value, Seen(shown, period=period), parent.purpose)
        linked = self.policy.view(coordinate)
        return _Part(value, Seen(shown, linked, own, type_.name, period), parent.purpose)


def policy_errors(errors: Any) -> list[tuple[tuple[Any, ...], str, str | None]]:
    """(path, code, edition) of each policy error, sorted, from GraphQLErrors or JSON errors."""
    found = []
    for item in errors or ():
        formatted = item.formatted if isinstance(item, GraphQLError) else item
        extensions = formatted.get("extensions") or {}
        if extensions.get("code") in POLICY_CODES:
            found.append(
                (tuple(formatted.get("path") or ()), extensions["code"], extensions.get("edition"))
            )
    return sorted(found, key=repr)


def other_errors(errors: Any) -> list[tuple[Any, ...]]:
    """The paths of every error that is not the policy's."""
    found = []
    for item in errors or ():
        formatted = item.formatted if isinstance(item, GraphQLError) else item
        if (formatted.get("extensions") or {}).get("code") not in POLICY_CODES:
            found.append(tuple(formatted.get("path") or ()))
    return sorted(found, key=repr)
