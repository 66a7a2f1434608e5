"""The public record's closed vocabularies, as GraphQL enums (values as stored).

`ListEntryState` alone is not stored: it is derived from a list entry's dates
(see `types.list_entry_state`).
"""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class EnforcementStatus(Enum):
    IN_PROGRESS = "IN_PROGRESS"
    CONCLUDED = "CONCLUDED"
    TERMINATED = "TERMINATED"


@strawberry.enum(description="Why a court put a debtor on the dishonest list (失信被执行人).")
class DishonestReason(Enum):
    EVADES_ENFORCEMENT_BY_FRAUD = "EVADES_ENFORCEMENT_BY_FRAUD"
    OBSTRUCTS_ENFORCEMENT = "OBSTRUCTS_ENFORCEMENT"
    FALSE_LITIGATION = "FALSE_LITIGATION"
    FALSE_PROPERTY_REPORT = "FALSE_PROPERTY_REPORT"
    VIOLATES_CONSUMPTION_RESTRICTION = "VIOLATES_CONSUMPTION_RESTRICTION"
    REFUSES_WITH_ABILITY_TO_PAY = "REFUSES_WITH_ABILITY_TO_PAY"
    BREACHES_SETTLEMENT_AGREEMENT = "BREACHES_SETTLEMENT_AGREEMENT"


@strawberry.enum(description="How much of the judgment the debtor has performed.")
class DebtorPerformance(Enum):
    NONE = "NONE"
    PARTIAL = "PARTIAL"


@strawberry.enum
class ListingRemovalReason(Enum):
    PERFORMED = "PERFORMED"
    SETTLED = "SETTLED"
    PERIOD_ENDED = "PERIOD_ENDED"
    REVOKED_IN_ERROR = "REVOKED_IN_ERROR"


@strawberry.enum(description="What a consumption restriction order (限制消费令) forbids.")
class RestrictionKind(Enum):
    FLIGHTS = "FLIGHTS"
    HIGH_SPEED_RAIL_SOFT_SLEEPER = "HIGH_SPEED_RAIL_SOFT_SLEEPER"
    STAR_HOTELS = "STAR_HOTELS"
    LUXURY_SPENDING = "LUXURY_SPENDING"
    PRIVATE_SCHOOL_FEES = "PRIVATE_SCHOOL_FEES"
    COMPANY_OFFICE = "COMPANY_OFFICE"
    REAL_ESTATE_PURCHASE = "REAL_ESTATE_PURCHASE"
    LEISURE_TRAVEL = "LEISURE_TRAVEL"
    HIGH_PREMIUM_INSURANCE = "HIGH_PREMIUM_INSURANCE"


@strawberry.enum
class AdministrativeActionKind(Enum):
    PENALTY = "PENALTY"
    AWARD = "AWARD"


@strawberry.enum
class TaxType(Enum):
    VAT = "VAT"
    CORPORATE_INCOME = "CORPORATE_INCOME"
    INDIVIDUAL_INCOME = "INDIVIDUAL_INCOME"
    STAMP = "STAMP"
    PROPERTY = "PROPERTY"
    LAND_USE = "LAND_USE"
    URBAN_MAINTENANCE = "URBAN_MAINTENANCE"
    OTHER = "OTHER"


@strawberry.enum(description="RED lists exemplary subjects; BLACK lists offenders.")
class ListColour(Enum):
    RED = "RED"
    BLACK = "BLACK"


@strawberry.enum(description="Where a red or black list entry stands today.")
class ListEntryState(Enum):
    IN_NOTICE = "IN_NOTICE"
    OBJECTED = "OBJECTED"
    IN_FORCE = "IN_FORCE"
    EXITED = "EXITED"


@strawberry.enum
class ObjectionOutcome(Enum):
    UPHELD = "UPHELD"
    DISMISSED = "DISMISSED"


@strawberry.enum
class ListExitReason(Enum):
    REPAIRED = "REPAIRED"
    EXPIRED = "EXPIRED"
    OBJECTION_UPHELD = "OBJECTION_UPHELD"


@strawberry.enum(description="REWARD for a red list's measure, PUNISHMENT for a black list's.")
class MeasureKind(Enum):
    REWARD = "REWARD"
    PUNISHMENT = "PUNISHMENT"


@strawberry.enum(
    description="IN_FORCE: a list entry came into force; REPAIRED: it ended by credit repair."
)
class NoticeKind(Enum):
    IN_FORCE = "IN_FORCE"
    REPAIRED = "REPAIRED"


@strawberry.enum(description="The listing body's decision on an application for credit repair.")
class RepairDecision(Enum):
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


@strawberry.enum
class JudgmentOutcome(Enum):
    JUDGMENT = "JUDGMENT"
    MEDIATION = "MEDIATION"
    WITHDRAWN = "WITHDRAWN"
    DISMISSED = "DISMISSED"


@strawberry.enum
class UtilityService(Enum):
    TELECOM = "TELECOM"
    WATER = "WATER"
    ELECTRICITY = "ELECTRICITY"
    GAS = "GAS"
    HEATING = "HEATING"


@strawberry.enum
class InsuranceScheme(Enum):
    PENSION = "PENSION"
    MEDICAL = "MEDICAL"
    UNEMPLOYMENT = "UNEMPLOYMENT"
    WORK_INJURY = "WORK_INJURY"
    MATERNITY = "MATERNITY"


@strawberry.enum
class SocialInsuranceStatus(Enum):
    PAYING = "PAYING"
    SUSPENDED = "SUSPENDED"
    ENDED = "ENDED"


@strawberry.enum
class HousingFundStatus(Enum):
    PAYING = "PAYING"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


@strawberry.enum
class LicenceStatus(Enum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"
