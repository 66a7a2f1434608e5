"""The bureau's closed vocabularies, as GraphQL enums (values as stored)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class SubjectKind(Enum):
    PERSON = "PERSON"
    ORGANISATION = "ORGANISATION"


@strawberry.enum
class Gender(Enum):
    M = "M"
    F = "F"


@strawberry.enum
class InstitutionKind(Enum):
    BANK = "BANK"
    CONSUMER_FINANCE = "CONSUMER_FINANCE"
    COURT = "COURT"
    AGENCY = "AGENCY"
    SCORER = "SCORER"


@strawberry.enum
class AccountKind(Enum):
    MORTGAGE = "MORTGAGE"
    CAR_LOAN = "CAR_LOAN"
    CONSUMER_LOAN = "CONSUMER_LOAN"
    BUSINESS_LOAN = "BUSINESS_LOAN"
    REVOLVING_LOAN = "REVOLVING_LOAN"
    CREDIT_CARD = "CREDIT_CARD"
    SPECIAL_INSTALMENT = "SPECIAL_INSTALMENT"


@strawberry.enum
class AccountStatus(Enum):
    NORMAL = "NORMAL"
    OVERDUE = "OVERDUE"
    CLOSED = "CLOSED"
    BAD_DEBT = "BAD_DEBT"
    FROZEN = "FROZEN"
    STOPPED = "STOPPED"


@strawberry.enum
class PartyRole(Enum):
    PRIMARY_BORROWER = "PRIMARY_BORROWER"
    CO_BORROWER = "CO_BORROWER"


@strawberry.enum
class GuaranteeKind(Enum):
    JOINT_AND_SEVERAL = "JOINT_AND_SEVERAL"
    GENERAL = "GENERAL"


@strawberry.enum
class GuaranteeStatus(Enum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    CALLED = "CALLED"


@strawberry.enum
class PrincipalRole(Enum):
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    DIRECTOR = "DIRECTOR"
    INVESTOR = "INVESTOR"


@strawberry.enum
class UtilisationLevel(Enum):
    NORMAL = "NORMAL"
    WARNING = "WARNING"
    HIGH_RISK = "HIGH_RISK"


@strawberry.enum
class InquiryPurpose(Enum):
    SELF = "SELF"
    LOAN_APPROVAL = "LOAN_APPROVAL"
    CREDIT_CARD_APPROVAL = "CREDIT_CARD_APPROVAL"
    GUARANTEE_CHECK = "GUARANTEE_CHECK"
    POST_LOAN_MANAGEMENT = "POST_LOAN_MANAGEMENT"
    CORPORATE_PRINCIPAL_CHECK = "CORPORATE_PRINCIPAL_CHECK"
    PUBLIC_CREDIT_CHECK = "PUBLIC_CREDIT_CHECK"
    JUDICIAL_ENFORCEMENT = "JUDICIAL_ENFORCEMENT"
    # a yes/no answer the subject shared (eligibility): an inquiry that showed no report
    ELIGIBILITY = "ELIGIBILITY"


@strawberry.enum
class Edition(Enum):
    SUBJECT = "SUBJECT"
    BANK = "BANK"
    SOCIAL = "SOCIAL"
    GOVERNMENT = "GOVERNMENT"
