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
from datetime import date
from decimal import Decimal
from typing import TypeAlias, TypeVar

import asyncpg
import strawberry

from creditgraph.bureau.marks import Disputable
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
    ObjectionOutcome,
    RestrictionKind,
    SocialInsuranceStatus,
    TaxType,
    UtilityService,
)
from creditgraph.subgraphs.context import SubgraphContext
from creditgraph.subgraphs.errors import check_identifier
from creditgraph.subgraphs.pagination import Connection, paginate
from creditgraph.subgraphs.records import build_record

Info: TypeAlias = strawberry.Info[SubgraphContext, None]
Row: TypeAlias = asyncpg.Record
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


def list_entry_state(
    *,
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
    4. IN_FORCE when it took effect on or before today.
    5. IN_NOTICE otherwise: published for public notice and not in force yet,
       because the notice period is still running or because the authority
       has not yet recorded the date it took effect. A listing is never
       presumed in force without that date.
    """
    if objection_outcome is ObjectionOutcome.UPHELD:
        return ListEntryState.OBJECTED
    if exited_on is not None and exited_on <= today:
        return ListEntryState.EXITED
    if objection_filed_on is not None and objection_outcome is None:
        return ListEntryState.OBJECTED
    if effective_on is not None and effective_on <= today:
        return ListEntryState.IN_FORCE
    return ListEntryState.IN_NOTICE


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
        description="IN_NOTICE until it takes effect; OBJECTED while an objection is pending "
        "or once one is upheld; IN_FORCE from its effective date; EXITED from its exit date. "
        "Derived from the dates as of today."
    )

    @classmethod
    def from_row(cls, row: Row, *, today: date) -> ListEntry:
        outcome = row["objection_outcome"]
        state = list_entry_state(
            objection_filed_on=row["objection_filed_on"],
            objection_outcome=None if outcome is None else ObjectionOutcome(outcome),
            effective_on=row["effective_on"],
            exited_on=row["exited_on"],
            today=today,
        )
        return build_record(cls, row, state=state)

    @property
    def black_in_force(self) -> bool:
        return self.colour is ListColour.BLACK and self.state is ListEntryState.IN_FORCE


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
        rows = await info.context.loader(batch).load(self.identifier)
        return [build(row) for row in rows]

    async def _list_entries(self, info: Info) -> list[ListEntry]:
        today = date.today()
        return await self._load(info, dl.list_entries, lambda r: ListEntry.from_row(r, today=today))

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
