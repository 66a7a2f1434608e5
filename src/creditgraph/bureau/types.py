"""The bureau's GraphQL types.

Entities: `Subject` (keys `id` and `identifier`), `CreditAccount` and
`Guarantee` (key `id`) and `Institution` (key `code`). Every field that
reaches further goes through a per-request dataloader, so a report costs a
fixed number of statements however many accounts, months or guarantees it
holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

import strawberry
from aiodataloader import DataLoader

from creditgraph import signals
from creditgraph.bureau import dataloaders as dl
from creditgraph.bureau import history
from creditgraph.bureau.enums import (
    AccountKind,
    AccountStatus,
    Edition,
    Gender,
    GuaranteeKind,
    GuaranteeStatus,
    InquiryPurpose,
    InstitutionKind,
    PartyRole,
    PrincipalRole,
    SubjectKind,
    UtilisationLevel,
)
from creditgraph.bureau.marks import Disputable, record_reference
from creditgraph.furnishing.mutations import FieldChange, field_changes
from creditgraph.subgraphs.context import Info, K
from creditgraph.subgraphs.errors import BadUserInput, check_id, check_identifier, check_range
from creditgraph.subgraphs.pagination import (
    Connection,
    decode_cursor,
    gone,
    page,
    page_size,
    paginate,
)
from creditgraph.subgraphs.per_level import LevelResolver, by_level, each, for_one
from creditgraph.subgraphs.records import Row, build_record

DEFAULT_PHONES = 5  # the report lists the last five mobile numbers
MAX_HISTORY_MONTHS = signals.MAX_HISTORY_MONTHS
DEFAULT_HISTORY_MONTHS = 24
MAX_CHAIN_DEPTH = 8
DEFAULT_CHAIN_DEPTH = 4


# -- institutions -------------------------------------------------------------


R = TypeVar("R")


async def _loaded(
    loader: DataLoader[K, Row | None], key: K | None, build: Callable[[Row], R]
) -> R | None:
    """The record `loader` finds for `key` (None for no key or no row), batched per request."""
    if key is None:
        return None
    row = await loader.load(key)
    return None if row is None else build(row)


async def _each_loaded(
    loader: DataLoader[K, Row | None], keys: Sequence[K], build: Callable[[Row], R]
) -> list[R | None]:
    """One record per key asked, None where there is none, batched per request."""
    rows = await loader.load_many(keys)
    return [None if row is None else build(row) for row in rows]


def _present(row: Row | None) -> Row:
    """A row a foreign key guarantees exists."""
    assert row is not None
    return row


async def _existing(info: Info, subject_ids: Sequence[int]) -> list[Subject]:
    """The subjects foreign keys guarantee exist, one per id, in order."""
    rows = await info.context.loader(dl.subject_by_id).load_many(subject_ids)
    return [Subject.from_row(_present(row)) for row in rows]


def _subjects_by(key: Callable[[Any], int | None]) -> LevelResolver:
    """The level resolver of a field naming a subject by `key` of its object: the subject,
    or None where the key is None (a foreign key guarantees the rest exist)."""

    async def subjects(objects: Sequence[Any], info: Info) -> list[Subject | None]:
        keys = [key(found) for found in objects]
        loaded = iter(
            await info.context.loader(dl.subject_by_id).load_many(
                [found for found in keys if found is not None]
            )
        )
        return [
            None if found is None else Subject.from_row(_present(next(loaded))) for found in keys
        ]

    return subjects


_EMPLOYERS = _subjects_by(attrgetter("employer_id"))
_PARTNERS = _subjects_by(attrgetter("partner_id"))
_ORGANISATIONS = _subjects_by(attrgetter("organisation_id"))
_PERSONS = _subjects_by(attrgetter("person_id"))
_PARTY_SUBJECTS = _subjects_by(attrgetter("subject_id"))
_GUARANTORS = _subjects_by(attrgetter("guarantor_id"))
_BORROWERS = _subjects_by(attrgetter("borrower_id"))


@strawberry.federation.type(keys=["code"], description="A lender, court, agency or scorer.")
class Institution:
    code: str = strawberry.field(description="Unified social credit code.")
    name: str
    kind: InstitutionKind

    @classmethod
    def from_row(cls, row: Row) -> Institution:
        return cls(code=row["code"], name=row["name"], kind=InstitutionKind(row["kind"]))

    @classmethod
    async def resolve_reference(cls, info: Info, code: str) -> Institution | None:
        return await _loaded(info.context.loader(dl.institution_by_code), code, cls.from_row)


# -- identity -----------------------------------------------------------------


@strawberry.type(description="A mobile or fixed number, with when and by whom it was reported.")
class Phone(Disputable):
    number: str
    reported_on: date
    reported_by: str | None


@strawberry.type
class Address(Disputable):
    kind: str = strawberry.field(description="RESIDENCE, REGISTERED, MAILING or BUSINESS.")
    address: str
    residence_status: str | None
    reported_on: date
    reported_by: str | None


@strawberry.type
class Employment(Disputable):
    employer_name: str
    occupation: str | None
    title: str | None
    started_on: date | None
    reported_on: date
    reported_by: str | None
    employer_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The employer as a subject, when the bureau knows it.",
        metadata=by_level(_EMPLOYERS),
    )
    async def employer(self, info: Info) -> Subject | None:
        return await for_one(_EMPLOYERS, self, info)


@strawberry.type
class Education(Disputable):
    level: str
    school: str | None
    graduated_on: date | None
    reported_on: date


@strawberry.type
class Marriage(Disputable):
    started_on: date
    ended_on: date | None
    end_reason: str | None = strawberry.field(description="DIVORCE, DEATH or ANNULMENT.")
    partner_id: strawberry.Private[int]

    @strawberry.field
    def current(self) -> bool:
        return self.ended_on is None

    @strawberry.field(metadata=by_level(_PARTNERS))
    async def partner(self, info: Info) -> Subject:
        return await for_one(_PARTNERS, self, info)


@strawberry.type(description="A person's role in an organisation (legal representative, …).")
class Principal:
    role: PrincipalRole
    share: Decimal | None = strawberry.field(description="An investor's share, 0 to 1.")
    since: date
    until: date | None
    organisation_id: strawberry.Private[int]
    person_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row) -> Principal:
        return build_record(cls, row)

    @strawberry.field(metadata=by_level(_ORGANISATIONS))
    async def organisation(self, info: Info) -> Subject:
        return await for_one(_ORGANISATIONS, self, info)

    @strawberry.field(metadata=by_level(_PERSONS))
    async def person(self, info: Info) -> Subject:
        return await for_one(_PERSONS, self, info)


# -- subject's own records ----------------------------------------------------


@strawberry.type(description="A look at the subject's report: who, when, why, under what.")
class Inquiry(Disputable):
    requester_role: str
    requester_code: str
    requester_name: str
    operator: str | None
    purpose: InquiryPurpose
    edition: Edition | None = strawberry.field(
        description="The report edition the look was given; none for an ELIGIBILITY look, "
        "which was given a yes or a no and no part of the report."
    )
    grant_id: strawberry.ID | None
    answer_id: strawberry.ID | None = strawberry.field(
        description="For an ELIGIBILITY look: the answer given, as the subject's "
        "eligibilityAnswers and the institution know it."
    )
    inquired_at: datetime
    hard: bool = strawberry.field(
        description="A lender's credit decision; counts against the file."
    )
    counted: bool = strawberry.field(
        description="Whether this look counts as a hard inquiry: a lender's repeated looks "
        "for one purpose under one grant count once, at the first."
    )


@strawberry.type(description="A dispute (异议) the subject filed on a record.")
class Dispute:
    id: strawberry.ID
    record_type: str
    record_id: str = strawberry.field(
        description="The disputed record's type and id, as fileDispute took it: CreditAccount:42."
    )
    reason: str | None
    filed_at: datetime
    respond_by: date = strawberry.field(description="The data source must verify by this date.")
    status: str
    outcome: str | None
    resolution: str | None
    resolved_at: datetime | None
    correction_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Row) -> Dispute:
        return build_record(
            cls, row, record_id=record_reference(row["record_type"], row["record_id"])
        )

    @strawberry.field(
        description="For a CORRECTED answer, the furnisher's correction that answered the "
        "dispute, with what changed (when the answer named one)."
    )
    async def correction(self, info: Info) -> Correction | None:
        if self.correction_id is None:
            return None
        row = await info.context.loader(dl.correction_by_id).load(self.correction_id)
        return None if row is None else Correction.from_row(row)


@strawberry.type(
    description="A furnisher's correction of a record on the report: who, when, what changed."
)
class Correction:
    id: strawberry.ID
    record_id: str = strawberry.field(
        description="The record corrected, by type and id (CreditAccount:42, EnforcementCase:7), "
        "as a dispute names it."
    )
    period: date | None = strawberry.field(
        description="For a monthly repayment statement, the month corrected."
    )
    furnisher: str = strawberry.field(description="The furnisher's unified social credit code.")
    furnisher_name: str | None
    corrected_at: datetime
    changes: list[FieldChange]

    @classmethod
    def from_row(cls, row: Row) -> Correction:
        return cls(
            id=strawberry.ID(str(row["id"])),
            record_id=record_reference(row["record_type"], str(row["record_id"])),
            period=row["period"],
            furnisher=row["furnisher"],
            furnisher_name=row["furnisher_name"],
            corrected_at=row["corrected_at"],
            changes=field_changes(row["changes"]),
        )


@strawberry.type(
    description="A furnisher's word that it told the subject of negative information (an "
    "overdue month, bad debt, an enforcement case, a dishonest listing, a black-list entry) "
    "before reporting it: negative information is reported only after notice."
)
class NegativeNotice:
    record_id: str = strawberry.field(
        description="The negative record, by type and id (CreditAccount:42, EnforcementCase:7), "
        "as a dispute names it."
    )
    period: date | None = strawberry.field(
        description="For an overdue repayment statement, its month."
    )
    notified_on: date = strawberry.field(description="When the furnisher told the subject.")
    furnisher: str = strawberry.field(description="The furnisher's unified social credit code.")
    furnisher_name: str | None

    @classmethod
    def from_row(cls, row: Row) -> NegativeNotice:
        return cls(
            record_id=record_reference(row["record_type"], str(row["record_id"])),
            period=row["period"],
            notified_on=row["notified_on"],
            furnisher=row["furnisher"],
            furnisher_name=row["furnisher_name"],
        )


@strawberry.type(description="A personal statement (本人声明) on the report.")
class Statement:
    id: strawberry.ID
    text: str
    added_at: datetime
    withdrawn_at: datetime | None


@strawberry.type(
    description="An anti-fraud alert (反欺诈警示): lenders must call the number first."
)
class FraudAlert:
    id: strawberry.ID
    kind: str
    contact_phone: str
    note: str | None
    placed_at: datetime
    expires_at: datetime
    lifted_at: datetime | None

    @strawberry.field
    def active(self) -> bool:
        return self.lifted_at is None and self.expires_at > datetime.now(self.expires_at.tzinfo)


# -- accounts -----------------------------------------------------------------


@strawberry.type(description="One month of an account's repayment record.")
class RepaymentMonth:
    month: date
    status: str = strawberry.field(
        description="N normal; 1-7 months overdue; C settled; G ended otherwise; D repaid by "
        "guarantor; Z repaid by transfer of assets; * nothing due; # unknown."
    )
    amount_due: Decimal
    amount_paid: Decimal
    overdue_amount: Decimal
    balance: Decimal


@strawberry.type(description="A repayment history as one string, most recent month first.")
class RepaymentGrid:
    latest_month: date = strawberry.field(description="The month of the grid's first symbol.")
    months: int
    statuses: str = strawberry.field(
        description="One symbol per month, most recent first; '/' before the account opened."
    )


@strawberry.type(description="A party to an account: the primary borrower or a co-borrower.")
class AccountParty:
    role: PartyRole
    subject_id: strawberry.Private[int]

    @strawberry.field(metadata=by_level(_PARTY_SUBJECTS))
    async def subject(self, info: Info) -> Subject:
        return await for_one(_PARTY_SUBJECTS, self, info)


def _check_months(info: Info, months: int) -> int:
    """The months of history to show: as asked, within what the gateway allows this request
    (the requester's history limit, carried with it to every fetch: subgraphs/context.py)."""
    asked = check_range("months", months, 1, MAX_HISTORY_MONTHS)
    allowed = info.context.history_months
    return asked if allowed is None else min(asked, allowed)


async def _lenders(accounts: Sequence[CreditAccount], info: Info) -> list[Institution]:
    rows = await info.context.loader(dl.institution_by_id).load_many(
        [account.lender_id for account in accounts]
    )
    return [Institution.from_row(_present(row)) for row in rows]


async def _parties(accounts: Sequence[CreditAccount], info: Info) -> list[list[AccountParty]]:
    loaded = await info.context.loader(dl.parties).load_many([a.pk for a in accounts])
    return [
        [AccountParty(role=PartyRole(r["role"]), subject_id=r["subject_id"]) for r in rows]
        for rows in loaded
    ]


async def _account_guarantees(
    accounts: Sequence[CreditAccount], info: Info
) -> list[list[Guarantee]]:
    loaded = await info.context.dated(dl.guarantees_of_account).load_many([a.pk for a in accounts])
    return [Guarantee.loaded(info, rows) for rows in loaded]


async def _repayments(
    accounts: Sequence[CreditAccount],
    info: Info,
    months: int = DEFAULT_HISTORY_MONTHS,
    first: int | None = None,
    after: str | None = None,
) -> list[Connection[RepaymentMonth] | Exception]:
    count = _check_months(info, months)
    loaded = await info.context.loader(dl.repayments).load_many([a.pk for a in accounts])

    def answer(at: int) -> Connection[RepaymentMonth]:
        account = accounts[at]
        end = history.history_end(account.closed_on, account.reported_on)
        window = history.in_window(loaded[at], end=end, months=count)
        return paginate(
            [build_record(RepaymentMonth, r) for r in window],
            kind="repayment month",
            key=lambda m: m.month.isoformat(),
            first=first,
            after=after,
            default_size=MAX_HISTORY_MONTHS,
        )

    return each(range(len(accounts)), answer)


async def _grids(
    accounts: Sequence[CreditAccount], info: Info, months: int = DEFAULT_HISTORY_MONTHS
) -> list[RepaymentGrid]:
    count = _check_months(info, months)
    loaded = await info.context.loader(dl.repayments).load_many([a.pk for a in accounts])
    grids = []
    for account, rows in zip(accounts, loaded, strict=True):
        end = history.history_end(account.closed_on, account.reported_on)
        statuses = history.grid_statuses(rows, opened_on=account.opened_on, end=end, months=count)
        grids.append(
            RepaymentGrid(latest_month=history.month_start(end), months=count, statuses=statuses)
        )
    return grids


@strawberry.federation.type(keys=["id"], description="A loan, card or credit line.")
class CreditAccount(Disputable):
    account_number: str
    kind: AccountKind
    purpose: str | None
    currency: str
    principal: Decimal | None = strawberry.field(description="A loan's amount.")
    credit_limit: Decimal | None = strawberry.field(description="A card's or credit line's limit.")
    balance: Decimal
    term_months: int | None
    repayment_method: str | None
    collateral: str
    opened_on: date
    matures_on: date | None
    closed_on: date | None
    status: AccountStatus
    classification: str | None = strawberry.field(description="Five-category loan class.")
    reported_on: date = strawberry.field(description="Data date: lenders report T+1.")
    pk: strawberry.Private[int]
    lender_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row) -> CreditAccount:
        return build_record(cls, row, pk=row["id"])

    @classmethod
    async def by_ids(cls, info: Info, ids: Sequence[int]) -> list[CreditAccount | None]:
        """One per id asked, None where there is no such account."""
        return await _each_loaded(info.context.dated(dl.account_by_id), ids, cls.from_row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditAccount | None:
        return await _loaded(info.context.dated(dl.account_by_id), check_id(str(id)), cls.from_row)

    @strawberry.field(metadata=by_level(_lenders))
    async def lender(self, info: Info) -> Institution:
        return await for_one(_lenders, self, info)

    @strawberry.field(
        description="Borrowers: a joint loan lists both spouses.", metadata=by_level(_parties)
    )
    async def parties(self, info: Info) -> list[AccountParty]:
        return await for_one(_parties, self, info)

    # nullable, like the history below: a report that shows another's account as a liability
    # withholds them, and a withheld field is null
    @strawberry.field(
        description="Guarantees standing behind this account.",
        metadata=by_level(_account_guarantees),
    )
    async def guarantees(self, info: Info) -> list[Guarantee] | None:
        return await for_one(_account_guarantees, self, info)

    @strawberry.field(
        description="Monthly records, most recent first, over the last `months`.",
        metadata=by_level(_repayments),
    )
    async def repayments(
        self,
        info: Info,
        months: int = DEFAULT_HISTORY_MONTHS,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RepaymentMonth] | None:
        return await for_one(_repayments, self, info, months=months, first=first, after=after)

    @strawberry.field(
        description="The last `months` statuses as one string, most recent first.",
        metadata=by_level(_grids),
    )
    async def repayment_grid(
        self, info: Info, months: int = DEFAULT_HISTORY_MONTHS
    ) -> RepaymentGrid | None:
        return await for_one(_grids, self, info, months=months)


async def _joint(holdings: Sequence[AccountHolding], info: Info) -> list[bool]:
    loaded = await info.context.loader(dl.parties).load_many([h.account.pk for h in holdings])
    return [len(parties) > 1 for parties in loaded]


@strawberry.type(description="An account a subject is party to, with the subject's role on it.")
class AccountHolding:
    role: PartyRole
    account: CreditAccount

    @strawberry.field(
        description="More than one borrower, e.g. a spouse-linked mortgage.",
        metadata=by_level(_joint),
    )
    async def joint(self, info: Info) -> bool:
        return await for_one(_joint, self, info)


# -- guarantees ---------------------------------------------------------------


async def _guaranteed_accounts(
    guarantees: Sequence[Guarantee], info: Info
) -> list[CreditAccount | Exception]:
    found = await CreditAccount.by_ids(info, [g.account_id for g in guarantees])
    return each(found, _found)


async def _primary_borrowers(
    guarantees: Sequence[Guarantee], info: Info
) -> list[Subject | Exception]:
    """The primary borrower of each guarantee's account (the schema gives every account
    exactly one)."""
    loaded = await info.context.loader(dl.parties).load_many([g.account_id for g in guarantees])
    primary = each(
        loaded,
        lambda rows: next(p["subject_id"] for p in rows if p["role"] == "PRIMARY_BORROWER"),
    )
    found = iter(await _existing(info, [p for p in primary if not isinstance(p, Exception)]))
    return [p if isinstance(p, Exception) else next(found) for p in primary]


def _found(record: R | None) -> R:
    """A record a foreign key guarantees exists."""
    assert record is not None
    return record


@strawberry.federation.type(keys=["id"], description="A guarantee (担保) given for an account.")
class Guarantee(Disputable):
    contract_number: str
    kind: GuaranteeKind
    amount: Decimal
    currency: str
    starts_on: date
    ends_on: date | None
    status: GuaranteeStatus
    guarantor_id: strawberry.Private[int]
    account_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row) -> Guarantee:
        return build_record(cls, row)

    @classmethod
    def loaded(cls, info: Info, rows: Sequence[Row]) -> list[Guarantee]:
        """Guarantees read whole with a list of them; whatever else of this request asks for
        one of them by id finds it loaded."""
        by_id = info.context.dated(dl.guarantee_by_id)
        for row in rows:
            by_id.prime(row["id"], row)
        return [cls.from_row(row) for row in rows]

    @classmethod
    async def by_ids(cls, info: Info, ids: Sequence[int]) -> list[Guarantee | None]:
        """One per id asked, None where there is no such guarantee."""
        return await _each_loaded(info.context.dated(dl.guarantee_by_id), ids, cls.from_row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Guarantee | None:
        return await _loaded(
            info.context.dated(dl.guarantee_by_id), check_id(str(id)), cls.from_row
        )

    @strawberry.field(metadata=by_level(_GUARANTORS))
    async def guarantor(self, info: Info) -> Subject:
        return await for_one(_GUARANTORS, self, info)

    @strawberry.field(metadata=by_level(_guaranteed_accounts))
    async def account(self, info: Info) -> CreditAccount:
        return await for_one(_guaranteed_accounts, self, info)

    @strawberry.field(
        description="The primary borrower of the guaranteed account.",
        metadata=by_level(_primary_borrowers),
    )
    async def borrower(self, info: Info) -> Subject:
        return await for_one(_primary_borrowers, self, info)


async def _linked_guarantees(
    links: Sequence[ExposureLink], info: Info
) -> list[Guarantee | Exception]:
    return each(await Guarantee.by_ids(info, [link.guarantee_id for link in links]), _found)


@strawberry.type(description="One guarantee on a chain, `depth` links from the subject.")
class ExposureLink:
    depth: int
    amount: Decimal
    guarantee_id: strawberry.Private[int]
    guarantor_id: strawberry.Private[int]
    borrower_id: strawberry.Private[int]

    @strawberry.field(metadata=by_level(_linked_guarantees))
    async def guarantee(self, info: Info) -> Guarantee:
        return await for_one(_linked_guarantees, self, info)

    @strawberry.field(metadata=by_level(_GUARANTORS))
    async def guarantor(self, info: Info) -> Subject:
        return await for_one(_GUARANTORS, self, info)

    @strawberry.field(metadata=by_level(_BORROWERS))
    async def borrower(self, info: Info) -> Subject:
        return await for_one(_BORROWERS, self, info)


async def _members(circles: Sequence[GuaranteeCircle], info: Info) -> list[list[Subject]]:
    rows = iter(
        await info.context.loader(dl.subject_by_id).load_many(
            [member for circle in circles for member in circle.member_ids]
        )
    )
    return [
        [Subject.from_row(row) for row in [next(rows) for _ in circle.member_ids] if row]
        for circle in circles
    ]


@strawberry.type(
    description="A guarantee circle (担保圈): guarantors that end up guaranteeing themselves."
)
class GuaranteeCircle:
    member_ids: strawberry.Private[tuple[int, ...]]

    @strawberry.field(
        description="The members in guarantee order, starting from the lowest id.",
        metadata=by_level(_members),
    )
    async def members(self, info: Info) -> list[Subject]:
        return await for_one(_members, self, info)


@strawberry.type(description="What a subject stands behind, directly and along guarantee chains.")
class GuaranteeExposure:
    max_depth: int
    direct_exposure: Decimal = strawberry.field(description="Active guarantees the subject gave.")
    chain_exposure: Decimal = strawberry.field(
        description="Active guarantees further along the chains the subject's guarantees start."
    )
    total_exposure: Decimal
    links: list[ExposureLink] | None
    circles: list[GuaranteeCircle] | None
    truncated: bool = strawberry.field(description="Chains go on beyond maxDepth.")


def _canonical_circle(path: Sequence[int]) -> tuple[int, ...]:
    """A circle's members in order, rotated to start at the smallest id (one name per circle)."""
    start = path.index(path[-1])
    members = list(path[start:-1])
    lowest = members.index(min(members))
    return tuple(members[lowest:] + members[:lowest])


def exposure_from_chains(rows: Sequence[Row], max_depth: int) -> GuaranteeExposure:
    nearest: dict[int, Row] = {}
    for row in rows:  # ordered by depth: the first sighting of a guarantee is its nearest
        # a circle's closing link guarantees the subject's own debt: not an exposure of its
        if row["borrower_id"] != row["root_id"]:
            nearest.setdefault(row["guarantee_id"], row)
    links = [build_record(ExposureLink, r) for r in nearest.values()]
    direct = sum((link.amount for link in links if link.depth == 1), Decimal(0))
    chain = sum((link.amount for link in links if link.depth > 1), Decimal(0))
    circles = sorted({_canonical_circle(r["path"]) for r in rows if r["closes_circle"]})
    return GuaranteeExposure(
        max_depth=max_depth,
        direct_exposure=direct,
        chain_exposure=chain,
        total_exposure=direct + chain,
        links=links,
        circles=[GuaranteeCircle(member_ids=c) for c in circles],
        truncated=any(r["cut_short"] for r in rows),
    )


# -- summary ------------------------------------------------------------------


@strawberry.type(description="One of the four nots, with why it failed.")
class NotCheck:
    passed: bool
    reasons: list[str]


@strawberry.type(description="The four nots of a good file (不黑、不白、不多、不乱).")
class FourNots:
    passed: bool | None
    not_black: NotCheck = strawberry.field(description="No blacklist, nothing overdue now.")
    not_white: NotCheck | None = strawberry.field(
        description="Some credit history: not a thin file."
    )
    not_too_many: NotCheck = strawberry.field(description="Not too many accounts, cards or debt.")
    not_messy: NotCheck | None = strawberry.field(description="Few recent hard inquiries.")


@strawberry.type(description="Derived signals lenders read first (docs/domain.md).")
class CreditSummary:
    data_month: date | None = strawberry.field(
        description="The month the 24-month window ends: the bureau's data month."
    )
    account_count: int
    open_account_count: int
    open_credit_card_count: int
    total_balance: Decimal
    revolving_balance: Decimal
    revolving_limit: Decimal
    utilisation: float | None = strawberry.field(description="Revolving balance / limit.")
    utilisation_level: UtilisationLevel
    current_overdue_accounts: int
    current_overdue_amount: Decimal
    bad_debt: bool
    bad_debt_count: int
    # null where the grant's data period is shorter than the window (graphql/policy.toml)
    longest_overdue_run_24m: int | None
    overdue_months_24m: int | None
    serious_delinquency: bool | None = strawberry.field(
        description="连三累六: an account 3 months overdue in a row, or 6 in total, in 24 months."
    )
    serious_delinquency_accounts: int | None
    hard_inquiries_6m: int | None
    hard_inquiry_warning: bool | None = strawberry.field(description="More than 5 in 6 months.")
    guarantees_given: int
    guaranteed_amount: Decimal
    four_nots: FourNots


def _verdict(verdict: signals.Verdict) -> NotCheck:
    return NotCheck(passed=verdict.passed, reasons=list(verdict.reasons))


def summary_from(row: Row, *, blacklisted: bool | None) -> CreditSummary:
    """The summary of a subject from its row of `credit_summaries`."""
    rows = row["facts"]
    data_month = rows[0]["data_month"] if rows else None
    accounts = signals.account_facts(rows)
    s = signals.summarise(accounts, hard_inquiries_6m=int(row["hard_inquiries"]))
    nots = signals.four_nots(s, blacklisted=blacklisted)
    return CreditSummary(
        data_month=data_month,
        account_count=s.account_count,
        open_account_count=s.open_account_count,
        open_credit_card_count=s.open_card_count,
        total_balance=s.total_balance,
        revolving_balance=s.revolving_balance,
        revolving_limit=s.revolving_limit,
        utilisation=None if s.utilisation is None else float(s.utilisation),
        utilisation_level=UtilisationLevel(signals.utilisation_level(s.utilisation)),
        current_overdue_accounts=s.current_overdue_accounts,
        current_overdue_amount=s.current_overdue_amount,
        bad_debt=s.bad_debt_count > 0,
        bad_debt_count=s.bad_debt_count,
        longest_overdue_run_24m=s.longest_overdue_run,
        overdue_months_24m=s.overdue_months,
        serious_delinquency=s.serious_delinquency,
        serious_delinquency_accounts=s.serious_accounts,
        hard_inquiries_6m=s.hard_inquiries_6m,
        hard_inquiry_warning=s.hard_inquiries_6m > signals.HARD_INQUIRY_WARNING,
        guarantees_given=int(row["active_guarantees"]),
        guaranteed_amount=row["guaranteed_amount"],
        four_nots=FourNots(
            passed=all(v.passed for v in nots.values()),
            not_black=_verdict(nots["not_black"]),
            not_white=_verdict(nots["not_white"]),
            not_too_many=_verdict(nots["not_too_many"]),
            not_messy=_verdict(nots["not_messy"]),
        ),
    )


# -- subject ------------------------------------------------------------------


@strawberry.federation.type(
    keys=["id", "identifier"], description="A person or an organisation the bureau reports on."
)
class Subject:
    id: strawberry.ID
    identifier: str = strawberry.field(
        description="Resident identity number or unified social credit code."
    )
    kind: SubjectKind
    name: str
    birth_date: date | None
    gender: Gender | None
    established_on: date | None
    industry: str | None
    registered_capital: Decimal | None
    pk: strawberry.Private[int]
    # from the public subgraph, when the gateway passes it (see credit_summary)
    on_blacklist: strawberry.Private[bool | None] = None

    @classmethod
    def from_row(cls, row: Row, *, blacklisted: bool | None = None) -> Subject:
        return build_record(cls, row, pk=row["id"], on_blacklist=blacklisted)

    @classmethod
    async def load(cls, info: Info, subject_id: int | None) -> Subject | None:
        return await _loaded(info.context.loader(dl.subject_by_id), subject_id, cls.from_row)

    @classmethod
    async def by_identifier(cls, info: Info, identifier: str) -> Subject | None:
        loader = info.context.loader(dl.subject_by_identifier)
        return await _loaded(loader, check_identifier(identifier), cls.from_row)

    @classmethod
    async def resolve_reference(
        cls,
        info: Info,
        id: strawberry.ID | None = None,
        identifier: str | None = None,
        blacklisted: bool | None = None,
    ) -> Subject | None:
        def build(row: Row) -> Subject:
            return cls.from_row(row, blacklisted=blacklisted)

        if id is not None:
            return await _loaded(info.context.loader(dl.subject_by_id), check_id(str(id)), build)
        if identifier is not None:
            loader = info.context.loader(dl.subject_by_identifier)
            return await _loaded(loader, check_identifier(identifier), build)
        raise BadUserInput("a Subject representation needs an id or an identifier")

    @strawberry.federation.field(
        external=True, description="Listed as a dishonest debtor or on a black list (public)."
    )
    def blacklisted(self) -> bool | None:
        if self.on_blacklist is None:
            raise BadUserInput("blacklisted is owned by the public subgraph")
        return self.on_blacklist

    # identity

    @strawberry.field(description="Phone numbers, most recently reported first (five by default).")
    async def phones(self, info: Info, limit: int = DEFAULT_PHONES) -> list[Phone] | None:
        check_range("limit", limit, 1, 50)
        rows = await info.context.loader(dl.phones).load(self.pk)
        return [build_record(Phone, r) for r in rows[:limit]]

    @strawberry.field(description="Addresses, most recently reported first.")
    async def addresses(self, info: Info) -> list[Address] | None:
        rows = await info.context.loader(dl.addresses).load(self.pk)
        return [build_record(Address, r) for r in rows]

    @strawberry.field(description="Employers, most recently reported first.")
    async def employments(self, info: Info) -> list[Employment] | None:
        rows = await info.context.loader(dl.employments).load(self.pk)
        return [build_record(Employment, r) for r in rows]

    @strawberry.field
    async def educations(self, info: Info) -> list[Education] | None:
        rows = await info.context.loader(dl.educations).load(self.pk)
        return [build_record(Education, r) for r in rows]

    @strawberry.field(description="Marriages, most recent first, each with the partner.")
    async def marriages(self, info: Info) -> list[Marriage] | None:
        rows = await info.context.loader(dl.marriages).load(self.pk)
        return [build_record(Marriage, r) for r in rows]

    @strawberry.field(description="The partner in the current marriage, if any.")
    async def spouse(self, info: Info) -> Subject | None:
        rows = await info.context.loader(dl.marriages).load(self.pk)
        current = next((r["partner_id"] for r in rows if r["ended_on"] is None), None)
        return await Subject.load(info, current)

    @strawberry.field(description="An organisation's legal representative, directors, investors.")
    async def principals(self, info: Info) -> list[Principal] | None:
        rows = await info.context.loader(dl.principals).load(self.pk)
        return [Principal.from_row(r) for r in rows]

    @strawberry.field(description="A person's roles in organisations.")
    async def principal_roles(self, info: Info) -> list[Principal] | None:
        rows = await info.context.loader(dl.principal_roles).load(self.pk)
        return [Principal.from_row(r) for r in rows]

    # credit

    @strawberry.field(
        description="Accounts the subject is party to, newest first; a joint loan shows on "
        "every borrower's list, with each one's role."
    )
    async def accounts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AccountHolding] | None:
        rows = await info.context.dated(dl.accounts_of).load(self.pk)
        # the accounts came whole with the list, with their lenders, parties and months:
        # whatever else of this request asks for one of them by id (a guarantee's account, an
        # account's parties) finds it loaded
        context = info.context
        by_id, lenders = context.dated(dl.account_by_id), context.loader(dl.institution_by_id)
        parties, months = context.loader(dl.parties), context.loader(dl.repayments)
        holdings = []
        for row in rows:
            by_id.prime(row["id"], row)
            lenders.prime(row["lender_id"], row["lender"])
            parties.prime(row["id"], row["parties"])
            months.prime(row["id"], row["months"])
            holdings.append(
                AccountHolding(role=PartyRole(row["role"]), account=CreditAccount.from_row(row))
            )
        return paginate(
            holdings, kind="account", key=lambda h: str(h.account.pk), first=first, after=after
        )

    @strawberry.field(description="Guarantees the subject gave (对外担保), newest first.")
    async def guarantees_given(self, info: Info) -> list[Guarantee] | None:
        rows = await info.context.dated(dl.guarantees_given).load(self.pk)
        return Guarantee.loaded(info, rows)

    @strawberry.federation.field(
        requires=["blacklisted"],
        description="Derived signals: 连三累六, overdue, bad debt, utilisation, hard "
        "inquiries, guarantees given and the four-nots verdict.",
    )
    async def credit_summary(self, info: Info) -> CreditSummary | None:
        row = await info.context.dated(dl.credit_summaries).load(self.pk)
        # the subject exists: it was read to get here
        return summary_from(_present(row), blacklisted=self.on_blacklist)

    @strawberry.field(description="Exposure along guarantee chains, up to maxDepth links.")
    async def guarantee_exposure(
        self, info: Info, max_depth: int = DEFAULT_CHAIN_DEPTH
    ) -> GuaranteeExposure | None:
        depth = check_range("maxDepth", max_depth, 1, MAX_CHAIN_DEPTH)
        rows = await info.context.loader(dl.guarantee_chains).load((self.pk, depth))
        return exposure_from_chains(rows, depth)

    # the subject's file

    @strawberry.field(description="Who looked at this report, newest first.")
    async def inquiries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Inquiry] | None:
        # every look appends one, so the list is read a page at a time (never whole)
        size = page_size(first)
        start = (
            None if after is None else check_id(decode_cursor("inquiry", after), argument="after")
        )
        rows = await info.context.dated(dl.inquiry_pages).load((self.identifier, size, start))
        if not rows[0]["found"]:
            raise gone("inquiry")
        items = [build_record(Inquiry, r) for r in rows if r["id"] is not None]
        return page(
            items[:size],
            kind="inquiry",
            key=lambda i: str(i.id),
            has_next=len(items) > size,
            has_previous=start is not None,
            total=int(rows[0]["looks"]),
        )

    @strawberry.field
    async def disputes(self, info: Info) -> list[Dispute] | None:
        rows = await info.context.dated(dl.disputes).load(self.pk)
        return [Dispute.from_row(r) for r in rows]

    @strawberry.field(
        description="Furnishers' corrections of the records on this report, newest first."
    )
    async def corrections(self, info: Info) -> list[Correction] | None:
        rows = await info.context.loader(dl.corrections).load(self.identifier)
        return [Correction.from_row(r) for r in rows]

    @strawberry.field(
        description="When each furnisher told the subject of negative information it reports, "
        "latest notice first."
    )
    async def negative_notices(self, info: Info) -> list[NegativeNotice] | None:
        rows = await info.context.loader(dl.negative_notices).load(self.identifier)
        return [NegativeNotice.from_row(r) for r in rows]

    @strawberry.field
    async def statements(self, info: Info) -> list[Statement] | None:
        rows = await info.context.dated(dl.statements).load(self.pk)
        return [build_record(Statement, r) for r in rows]

    @strawberry.field
    async def fraud_alerts(self, info: Info) -> list[FraudAlert] | None:
        rows = await info.context.dated(dl.fraud_alerts).load(self.pk)
        return [build_record(FraudAlert, r) for r in rows]
