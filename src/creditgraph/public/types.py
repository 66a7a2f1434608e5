"""The public subgraph's GraphQL types.

The one entity is `Subject`, keyed by `identifier` alone: courts and agencies
record people and organisations by their identity number or unified social
credit code, never by the bureau's internal id, so the gateway joins this
subgraph to the bureau by that key. Every list on a subject goes through a
per-request dataloader, so a report costs one statement per kind of record
however many subjects and records it holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import strawberry

from creditgraph.bureau.marks import Disputable
from creditgraph.measures import catalogue, notices
from creditgraph.measures.catalogue import Measure
from creditgraph.public import dataloaders as dl
from creditgraph.public.enums import (
    AdministrativeActionKind,
    DebtorPerformance,
    DishonestReason,
    EnforcementStatus,
    HousingFundStatus,
    InsuranceScheme,
    JudgmentOutcome,
    LicenceStatus,
    ListColour,
    ListEntryState,
    ListExitReason,
    ListingRemovalReason,
    MeasureKind,
    NoticeKind,
    ObjectionOutcome,
    RepairDecision,
    RestrictionKind,
    SocialInsuranceStatus,
    TaxType,
    UtilityService,
)
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import check_identifier
from creditgraph.subgraphs.pagination import Connection, paginate
from creditgraph.subgraphs.records import Row, build_record

T = TypeVar("T")


# -- court records ------------------------------------------------------------


@strawberry.type(description="A court enforcement case (强制执行) against the subject.")
class EnforcementCase(Disputable):
    case_number: str = strawberry.field(
        description='As the court numbers it: "(2024)浙0106执12号".'
    )
    court_code: str = strawberry.field(description="The court's unified social credit code.")
    court_name: str
    subject_name: str = strawberry.field(description="The respondent's name as the court has it.")
    applicant_name: str | None
    cause: str | None
    filed_on: date
    amount: Decimal
    amount_outstanding: Decimal | None
    currency: str
    status: EnforcementStatus
    closed_on: date | None

    @classmethod
    def from_row(cls, row: Row) -> EnforcementCase:
        return build_record(cls, row)


@strawberry.type(description="A listing as a dishonest judgment debtor (失信被执行人).")
class DishonestListing(Disputable):
    case_number: str
    court_code: str
    court_name: str
    subject_name: str
    obligation: str = strawberry.field(description="What the judgment obliges the debtor to do.")
    performance: DebtorPerformance
    reasons: list[DishonestReason]
    published_on: date
    removed_on: date | None
    removal_reason: ListingRemovalReason | None
    active: bool = strawberry.field(description="Published and not removed.")

    @classmethod
    def from_row(cls, row: Row) -> DishonestListing:
        return build_record(
            cls,
            row,
            active=row["removed_on"] is None,
        )


@strawberry.type(description="A consumption restriction order (限制消费令).")
class ConsumptionRestriction(Disputable):
    subject_identifier: str = strawberry.field(
        description="Whom the order was made against: the subject, or an organisation the "
        "subject represents."
    )
    subject_name: str
    restricted_person_identifier: str | None = strawberry.field(
        description="For an organisation, the legal representative the order also binds."
    )
    restricted_person_name: str | None
    case_number: str
    court_code: str
    court_name: str
    restrictions: list[RestrictionKind]
    issued_on: date
    lifted_on: date | None
    active: bool = strawberry.field(description="Issued and not lifted.")

    @classmethod
    def from_row(cls, row: Row) -> ConsumptionRestriction:
        return build_record(
            cls,
            row,
            active=row["lifted_on"] is None,
        )


@strawberry.type(description="A civil judgment in which the subject is a party.")
class CivilJudgment(Disputable):
    case_number: str
    court_code: str
    court_name: str
    subject_name: str
    cause: str
    filed_on: date
    judged_on: date | None
    outcome: JudgmentOutcome | None
    amount: Decimal | None

    @classmethod
    def from_row(cls, row: Row) -> CivilJudgment:
        return build_record(cls, row)


# -- agencies' records --------------------------------------------------------


@strawberry.type(description="An administrative penalty or award.")
class AdministrativeAction(Disputable):
    kind: AdministrativeActionKind
    subject_name: str
    authority_code: str = strawberry.field(
        description="The authority's unified social credit code."
    )
    authority_name: str
    decision_number: str
    category: str
    description: str
    amount: Decimal | None = strawberry.field(description="A fine's amount; none for an award.")
    decided_on: date
    publish_until: date | None = strawberry.field(
        description="A penalty is published until this date."
    )
    repaired_on: date | None = strawberry.field(
        description="When the subject repaired their credit (信用修复) after a penalty."
    )

    @classmethod
    def from_row(cls, row: Row) -> AdministrativeAction:
        return build_record(cls, row)


@strawberry.type(description="Tax owed and recorded by a tax authority.")
class TaxArrear(Disputable):
    subject_name: str
    authority_code: str
    authority_name: str
    tax_type: TaxType
    amount: Decimal
    period_start: date
    period_end: date
    recorded_on: date
    settled_on: date | None
    settled: bool

    @classmethod
    def from_row(cls, row: Row) -> TaxArrear:
        return build_record(
            cls,
            row,
            settled=row["settled_on"] is not None,
        )


@strawberry.type(description="Telecom or utility bills left unpaid.")
class UtilityArrear(Disputable):
    provider_name: str
    service: UtilityService
    amount: Decimal
    since_month: date = strawberry.field(description="The first unpaid month (its first day).")
    recorded_on: date
    settled_on: date | None
    settled: bool

    @classmethod
    def from_row(cls, row: Row) -> UtilityArrear:
        return build_record(
            cls,
            row,
            settled=row["settled_on"] is not None,
        )


@strawberry.type(description="Membership of one social-insurance scheme in one region.")
class SocialInsuranceRecord(Disputable):
    region: str
    employer_name: str | None
    scheme: InsuranceScheme
    started_on: date
    last_paid_month: date | None
    monthly_base: Decimal | None = strawberry.field(description="The contribution base.")
    status: SocialInsuranceStatus
    updated_on: date

    @classmethod
    def from_row(cls, row: Row) -> SocialInsuranceRecord:
        return build_record(cls, row)


@strawberry.type(description="A housing provident fund (住房公积金) account.")
class HousingFundRecord(Disputable):
    region: str
    employer_name: str | None
    started_on: date
    last_paid_month: date | None
    monthly_contribution: Decimal | None
    status: HousingFundStatus
    updated_on: date

    @classmethod
    def from_row(cls, row: Row) -> HousingFundRecord:
        return build_record(cls, row)


@strawberry.type(description="A professional or business licence.")
class Licence(Disputable):
    licence_type: str
    licence_number: str
    authority_name: str
    issued_on: date
    expires_on: date | None
    status: LicenceStatus

    @classmethod
    def from_row(cls, row: Row) -> Licence:
        return build_record(cls, row)


# -- red and black lists ------------------------------------------------------


def in_force_from(
    *,
    notice_ends_on: date,
    objection_filed_on: date | None,
    objection_outcome: ObjectionOutcome | None,
    effective_on: date | None,
) -> date | None:
    """The day a list entry takes (or took) effect, or None while nothing says it will.

    A listing takes effect the day after its public notice period ends, unless
    the subject objected in it: a pending objection holds it (None), an upheld
    one means it never takes effect (None), and a dismissed one lets it take
    effect on the day the listing body recorded (effective_on, never before the
    notice period ends). An effective date the listing body recorded wins. So
    nothing has to run for an entry to come into force: the dates say when.
    """
    if objection_outcome is ObjectionOutcome.UPHELD:
        return None
    if effective_on is not None:
        return effective_on
    if objection_filed_on is not None:
        return None
    return notice_ends_on + timedelta(days=1)


def list_entry_state(
    *,
    notice_ends_on: date,
    objection_filed_on: date | None,
    objection_outcome: ObjectionOutcome | None,
    effective_on: date | None,
    exited_on: date | None,
    today: date,
) -> ListEntryState:
    """Where a list entry stands on `today`; the first rule that applies wins.

    The table records events, not a state, so the state is read off the dates
    as of the day of the request:

    1. OBJECTED when an objection was upheld: the listing never took effect,
       even though the entry records an exit (reason OBJECTION_UPHELD).
    2. EXITED when it exited on or before today.
    3. OBJECTED when an objection is filed and not yet decided: a challenged
       listing is not enforced while the challenge stands.
    4. IN_FORCE from the day it takes effect (`in_force_from`): the day after
       its notice period, or the effective date the listing body recorded.
    5. IN_NOTICE otherwise: published for public notice and not in force yet.
    """
    if objection_outcome is ObjectionOutcome.UPHELD:
        return ListEntryState.OBJECTED
    if exited_on is not None and exited_on <= today:
        return ListEntryState.EXITED
    if objection_filed_on is not None and objection_outcome is None:
        return ListEntryState.OBJECTED
    since = in_force_from(
        notice_ends_on=notice_ends_on,
        objection_filed_on=objection_filed_on,
        objection_outcome=objection_outcome,
        effective_on=effective_on,
    )
    if since is not None and since <= today:
        return ListEntryState.IN_FORCE
    return ListEntryState.IN_NOTICE


@strawberry.type(
    description="A joint measure (守信联合激励, 失信联合惩戒) a list entry in force triggers, "
    "as the catalogue declares it (docs/measures.md)."
)
class JointMeasure:
    code: str
    kind: MeasureKind
    body: str = strawberry.field(description="Who applies it.")
    action: str = strawberry.field(description="What it does.")
    legal_basis: str
    valid_from: date = strawberry.field(description="The first day the measure applies.")
    valid_until: date | None = strawberry.field(
        description="The first day the measure no longer applies; null: until ended."
    )
    notifies_lenders: bool = strawberry.field(
        description="Applied by lenders: those with an open account with the subject receive "
        "a notice naming it."
    )

    @classmethod
    def of(cls, measure: Measure) -> JointMeasure:
        return cls(
            code=measure.code,
            kind=MeasureKind(measure.kind),
            body=measure.body,
            action=measure.action,
            legal_basis=measure.legal_basis,
            valid_from=measure.valid_from,
            valid_until=measure.valid_until,
            notifies_lenders=measure.notify_lenders,
        )


@strawberry.type(
    description="The subject's objection to a list entry in its notice period, and the "
    "listing body's answer once given."
)
class ListObjection:
    id: strawberry.ID
    reason: str
    filed_at: datetime
    outcome: ObjectionOutcome | None = strawberry.field(
        description="UPHELD: the listing never takes effect; DISMISSED: it takes effect."
    )
    answer: str | None = strawberry.field(description="The listing body's reasons.")
    answered_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> ListObjection:
        return build_record(cls, row)


@strawberry.type(
    description="The subject's application for credit repair (信用修复) of a list entry in "
    "force, with its evidence, and the listing body's decision once made."
)
class RepairApplication:
    id: strawberry.ID
    evidence: str = strawberry.field(
        description="What the subject gives to show the behaviour is corrected."
    )
    filed_at: datetime
    decision: RepairDecision | None = strawberry.field(
        description="APPROVED: the entry and its measures ended that day; REFUSED: it stands."
    )
    reasons: str | None = strawberry.field(description="The listing body's reasons.")
    decided_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> RepairApplication:
        return build_record(cls, row)


@strawberry.type(
    description="An entry on a red (exemplary) or black list, with its public notice period "
    "(7 working days) and the objection the subject may raise in it."
)
class ListEntry(Disputable):
    colour: ListColour
    list_name: str
    subject_name: str
    authority_code: str
    authority_name: str
    reason: str
    notice_starts_on: date
    notice_ends_on: date
    objection_filed_on: date | None
    objection_outcome: ObjectionOutcome | None
    effective_on: date | None
    exited_on: date | None
    exit_reason: ListExitReason | None
    state: ListEntryState = strawberry.field(
        description="IN_NOTICE until it takes effect (the day after its notice period, unless "
        "objected to); OBJECTED while an objection is pending or once one is upheld; IN_FORCE "
        "from then; EXITED from its exit date. Derived from the dates as of today."
    )
    in_force_from: date | None = strawberry.field(
        description="The day it takes or took effect: the day after its notice period, or the "
        "day the listing body recorded; null while an objection holds it or after one upheld."
    )
    today: strawberry.Private[date]

    @classmethod
    def from_row(cls, row: Row, *, today: date) -> ListEntry:
        outcome = row["objection_outcome"]
        dates: dict[str, Any] = {
            "notice_ends_on": row["notice_ends_on"],
            "objection_filed_on": row["objection_filed_on"],
            "objection_outcome": None if outcome is None else ObjectionOutcome(outcome),
            "effective_on": row["effective_on"],
        }
        state = list_entry_state(**dates, exited_on=row["exited_on"], today=today)
        return build_record(
            cls, row, state=state, in_force_from=in_force_from(**dates), today=today
        )

    @property
    def black_in_force(self) -> bool:
        return self.colour is ListColour.BLACK and self.state is ListEntryState.IN_FORCE

    def dates(self) -> notices.Entry:
        """What notices are worked out from."""
        return notices.Entry(
            id=int(self.id),
            colour=self.colour.value,
            list_name=self.list_name,
            authority_name=self.authority_name,
            in_force_from=self.in_force_from,
            exited_on=self.exited_on,
            exit_reason=None if self.exit_reason is None else self.exit_reason.value,
        )

    @strawberry.field(
        description="The joint measures this entry triggers today: while it is in force, every "
        "measure of the catalogue for its list that applies today; otherwise none."
    )
    def measures(self) -> list[JointMeasure]:
        if self.state is not ListEntryState.IN_FORCE:
            return []
        found = catalogue.applied().triggered(self.colour.value, self.list_name, self.today)
        return [JointMeasure.of(m) for m in found]

    @strawberry.field(description="The subject's objection in the notice period, if any.")
    async def objection(self, info: Info) -> ListObjection | None:
        rows = await info.context.loader(dl.list_objections).load(int(self.id))
        return ListObjection.from_row(rows[0]) if rows else None

    @strawberry.field(description="The subject's applications for credit repair, oldest first.")
    async def repair_applications(self, info: Info) -> list[RepairApplication] | None:
        rows = await info.context.loader(dl.repair_applications).load(int(self.id))
        return [RepairApplication.from_row(row) for row in rows]


@strawberry.type(
    description="A notice of joint measures sent to an institution that lends to the subject "
    "(金融惩戒告知书 for a black list): due the day a list entry came into force, and again "
    "the day it ended by credit repair. The subject sees every notice about them; a bank its own."
)
class MeasureNotice:
    id: strawberry.ID = strawberry.field(
        description="entry id, kind and institution code: the same notice keeps its id."
    )
    kind: NoticeKind
    due_on: date = strawberry.field(description="The day the notice became due.")
    entry_id: strawberry.ID = strawberry.field(description="The list entry's id.")
    colour: ListColour
    list_name: str
    authority_name: str = strawberry.field(description="The listing body.")
    institution_code: str = strawberry.field(
        description="The notified institution's unified social credit code."
    )
    institution_name: str
    measures: list[JointMeasure] = strawberry.field(
        description="The measures lenders apply, with their legal basis, as of the day the "
        "entry came into force."
    )

    @classmethod
    def of(cls, notice: notices.Notice) -> MeasureNotice:
        return cls(
            id=strawberry.ID(notice.id),
            kind=NoticeKind(notice.kind),
            due_on=notice.due_on,
            entry_id=strawberry.ID(str(notice.entry_id)),
            colour=ListColour(notice.colour),
            list_name=notice.list_name,
            authority_name=notice.authority_name,
            institution_code=notice.institution_code,
            institution_name=notice.institution_name,
            measures=[JointMeasure.of(m) for m in notice.measures],
        )


# -- subject ------------------------------------------------------------------


def public_record_count(
    cases: Sequence[EnforcementCase],
    listings: Sequence[DishonestListing],
    actions: Sequence[AdministrativeAction],
    arrears: Sequence[TaxArrear],
    entries: Sequence[ListEntry],
) -> int:
    """The adverse records a report counts: every enforcement case, active dishonest
    listings, penalties, unsettled tax arrears and black list entries in force."""
    return (
        len(cases)
        + sum(listing.active for listing in listings)
        + sum(action.kind is AdministrativeActionKind.PENALTY for action in actions)
        + sum(not arrear.settled for arrear in arrears)
        + sum(entry.black_in_force for entry in entries)
    )


# The fields this subgraph adds to the subject are nullable on purpose: if the
# subgraph is down, the gateway nulls only them, where a non-null field would
# null the whole subject (the spec's null propagation).
@strawberry.federation.type(
    keys=["identifier"],
    description="A person or an organisation, as the public record knows them: by identifier.",
)
class Subject:
    identifier: str = strawberry.field(
        description="Resident identity number or unified social credit code."
    )

    @classmethod
    def resolve_reference(cls, info: Info, identifier: str) -> Subject:
        """Any valid identifier resolves: having no public record is the usual case."""
        return cls(identifier=check_identifier(identifier))

    async def _load(self, info: Info, batch: dl.Batch, build: Callable[[Row], T]) -> list[T]:
        rows = await info.context.dated(batch).load(self.identifier)
        return [build(row) for row in rows]

    async def _list_entries(self, info: Info) -> list[ListEntry]:
        """The subject's entries as they stand on the bureau's day, read with them."""
        return await self._load(
            info, dl.list_entries, lambda r: ListEntry.from_row(r, today=r["today"])
        )

    # court records

    @strawberry.field(description="Court enforcement cases, newest filing first.")
    async def enforcement_cases(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[EnforcementCase] | None:
        cases = await self._load(info, dl.enforcement_cases, EnforcementCase.from_row)
        return paginate(
            cases, kind="enforcement case", key=lambda c: str(c.id), first=first, after=after
        )

    @strawberry.field(description="Dishonest-debtor listings, newest first.")
    async def dishonest_listings(
        self, info: Info, active_only: bool | None = False
    ) -> list[DishonestListing] | None:
        listings = await self._load(info, dl.dishonest_listings, DishonestListing.from_row)
        return [listing for listing in listings if listing.active] if active_only else listings

    @strawberry.field(description="Consumption restriction orders, newest first.")
    async def consumption_restrictions(self, info: Info) -> list[ConsumptionRestriction] | None:
        return await self._load(info, dl.consumption_restrictions, ConsumptionRestriction.from_row)

    @strawberry.field(description="Civil judgments, newest filing first.")
    async def civil_judgments(self, info: Info) -> list[CivilJudgment] | None:
        return await self._load(info, dl.civil_judgments, CivilJudgment.from_row)

    # agencies' records

    @strawberry.field(description="Administrative penalties and awards, newest first.")
    async def administrative_actions(
        self, info: Info, kind: AdministrativeActionKind | None = None
    ) -> list[AdministrativeAction] | None:
        actions = await self._load(info, dl.administrative_actions, AdministrativeAction.from_row)
        return actions if kind is None else [a for a in actions if a.kind is kind]

    @strawberry.field(description="Tax arrears, most recently recorded first.")
    async def tax_arrears(self, info: Info) -> list[TaxArrear] | None:
        return await self._load(info, dl.tax_arrears, TaxArrear.from_row)

    @strawberry.field(description="Telecom and utility arrears, most recently recorded first.")
    async def utility_arrears(self, info: Info) -> list[UtilityArrear] | None:
        return await self._load(info, dl.utility_arrears, UtilityArrear.from_row)

    @strawberry.field(description="Social-insurance memberships, newest first.")
    async def social_insurance(self, info: Info) -> list[SocialInsuranceRecord] | None:
        return await self._load(info, dl.social_insurance, SocialInsuranceRecord.from_row)

    @strawberry.field(description="Housing provident fund accounts, newest first.")
    async def housing_fund(self, info: Info) -> list[HousingFundRecord] | None:
        return await self._load(info, dl.housing_fund, HousingFundRecord.from_row)

    @strawberry.field(description="Professional and business licences, newest first.")
    async def licences(self, info: Info) -> list[Licence] | None:
        return await self._load(info, dl.licences, Licence.from_row)

    # red and black lists

    @strawberry.field(description="Red and black list entries, newest notice first.")
    async def list_entries(
        self, info: Info, colour: ListColour | None = None
    ) -> list[ListEntry] | None:
        entries = await self._list_entries(info)
        return entries if colour is None else [e for e in entries if e.colour is colour]

    @strawberry.field(
        description="Notices of joint measures sent to institutions lending to the subject, "
        "newest first: each when a list entry came into force, and again when one ended by "
        "credit repair."
    )
    async def measure_notices(self, info: Info) -> list[MeasureNotice] | None:
        entries, lenders = await asyncio.gather(
            self._list_entries(info),
            info.context.loader(dl.notice_recipients).load(self.identifier),
        )
        if not entries:
            return []  # no entry, no notice
        due = notices.due(
            [entry.dates() for entry in entries],
            [notices.Lending.from_row(row) for row in lenders],
            catalogue.applied(),
            today=entries[0].today,  # the bureau's day, read with the entries
        )
        return [MeasureNotice.of(notice) for notice in due]

    # what summaries read

    @strawberry.field(
        description="Listed now: an active dishonest-debtor listing, or a black list entry in "
        "force. The bureau's creditSummary requires it for its four-nots verdict."
    )
    async def blacklisted(self, info: Info) -> bool | None:
        listings, entries = await asyncio.gather(
            self._load(info, dl.dishonest_listings, DishonestListing.from_row),
            self._list_entries(info),
        )
        return any(listing.active for listing in listings) or any(
            entry.black_in_force for entry in entries
        )

    @strawberry.field(
        description="Adverse records: enforcement cases, active dishonest listings, penalties, "
        "unsettled tax arrears and black list entries in force."
    )
    async def public_record_count(self, info: Info) -> int | None:
        cases, listings, actions, arrears, entries = await asyncio.gather(
            self._load(info, dl.enforcement_cases, EnforcementCase.from_row),
            self._load(info, dl.dishonest_listings, DishonestListing.from_row),
            self._load(info, dl.administrative_actions, AdministrativeAction.from_row),
            self._load(info, dl.tax_arrears, TaxArrear.from_row),
            self._list_entries(info),
        )
        return public_record_count(cases, listings, actions, arrears, entries)
