"""Disputed records: how a record is named across components, and the mark it carries.

Record ids are unique only within their type (account 7 and enforcement case
7 both exist), so a client names a record by a typed id, `<type>:<id>` with
the GraphQL type name and the record's own `id` (`CreditAccount:42`,
`EnforcementCase:7`, `Phone:3`): built from `__typename` and `id`, which
every record type has, so no id had to change. A dispute stores the record's
kind and id as the bureau's `disputes` table has always named them.

While a dispute on a record is open, the record shows a `DisputeMark` in
every edition that sees the record, and it keeps one (KEPT_WITH_NOTE) when
the data source answers that the record stands (creditgraph.bureau.answers).
The bureau's record types and the public subgraph's inherit the mark from
`Disputable`, and both read it from the bureau's `dispute_marks` view through
one per-request dataloader, so a report costs one statement for all its marks
however many records it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Final

import strawberry
from strawberry.types.base import get_object_definition

from creditgraph.bureau import dataloaders as dl
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import BadUserInput, check_id
from creditgraph.subgraphs.per_level import by_level, for_one
from creditgraph.subgraphs.records import build_record

#: The record types a subject can dispute: GraphQL type name -> the kind `bureau.disputes` stores.
DISPUTABLE: Final[Mapping[str, str]] = {
    "Phone": "PHONE",
    "Address": "ADDRESS",
    "Employment": "EMPLOYMENT",
    "Education": "EDUCATION",
    "Marriage": "MARRIAGE",
    "CreditAccount": "CREDIT_ACCOUNT",
    "Guarantee": "GUARANTEE",
    "Inquiry": "INQUIRY",
    "EnforcementCase": "ENFORCEMENT_CASE",
    "DishonestListing": "DISHONEST_LISTING",
    "ConsumptionRestriction": "CONSUMPTION_RESTRICTION",
    "CivilJudgment": "CIVIL_JUDGMENT",
    "AdministrativeAction": "ADMINISTRATIVE_ACTION",
    "TaxArrear": "TAX_ARREAR",
    "UtilityArrear": "UTILITY_ARREAR",
    "SocialInsuranceRecord": "SOCIAL_INSURANCE",
    "HousingFundRecord": "HOUSING_FUND",
    "Licence": "LICENCE",
    "ListEntry": "LIST_ENTRY",
}
_TYPE_NAMES: Final = {kind: name for name, kind in DISPUTABLE.items()}


def record_reference(kind: str, record_id: str) -> str:
    """The typed id of a record a dispute names: what `fileDispute` was given."""
    return f"{_TYPE_NAMES.get(kind, kind)}:{record_id}"


def parse_record_reference(value: str, *, argument: str = "recordId") -> tuple[str, int]:
    """(the kind `bureau.disputes` stores, the record's id) for a typed id, or BAD_USER_INPUT."""
    type_name, colon, raw_id = value.strip().partition(":")
    kind = DISPUTABLE.get(type_name)
    if not colon or kind is None:
        raise BadUserInput(
            f"{argument} must be a record's type and id, like CreditAccount:42; the types "
            f"that can be disputed are {', '.join(sorted(DISPUTABLE))}",
            argument=argument,
        )
    return kind, check_id(raw_id, argument=argument)


@strawberry.federation.type(
    shareable=True,
    description="The sign that the subject disputes a record (异议): shown on the record in "
    "every edition that sees it while the data source has not answered, and for good once it "
    "verified the record and kept it.",
)
class DisputeMark:
    status: str = strawberry.field(
        description="OPEN while the dispute awaits its answer; KEPT_WITH_NOTE once the data "
        "source has kept the record, the dispute noted."
    )
    filed_at: datetime
    respond_by: date = strawberry.field(description="The data source must verify by this date.")


async def _marks(records: Sequence[Disputable], info: Info) -> list[DisputeMark | None]:
    """Each record's mark, None for a record no dispute marks."""
    rows = await info.context.loader(dl.dispute_marks).load_many(
        [(DISPUTABLE[get_object_definition(r, strict=True).name], str(r.id)) for r in records]
    )
    return [None if row is None else build_record(DisputeMark, row) for row in rows]


@strawberry.type
class Disputable:
    """A record type whose records can be disputed: its `id`, and its mark while disputed."""

    id: strawberry.ID

    @strawberry.field(
        description="While the subject disputes this record: when, and by when the data "
        "source must answer; and once it kept the record, that it did. Null when no dispute "
        "is open and none kept it.",
        metadata=by_level(_marks),
    )
    async def dispute(self, info: Info) -> DisputeMark | None:
        return await for_one(_marks, self, info)
