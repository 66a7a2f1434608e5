"""The consent subgraph's types: a grant, an eligibility share and its answers, and the
subject they are about."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from creditgraph.bureau.enums import Edition, InquiryPurpose
from creditgraph.consent import dataloaders as dl
from creditgraph.eligibility import catalogue
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import check_range
from creditgraph.subgraphs.records import build_record


@strawberry.enum(
    description="A grant's state now: expiry is by clock. PENDING: a bank's authorisation "
    "awaiting the subject's answer; REFUSED: one the subject refused."
)
class ConsentState(Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    REFUSED = "REFUSED"


@strawberry.type(
    description="A subject's consent for one grantee and purpose (FHIR Consent, CDR, Open "
    "Banking): what, to whom, for how long, on what evidence, and its revocation."
)
class ConsentGrant:
    id: strawberry.ID
    subject_identifier: str
    grantor_identifier: str = strawberry.field(
        description="Who gave it: the subject, or a representative on their behalf."
    )
    grantee_code: str
    grantee_name: str
    grantee_role: str
    purpose: InquiryPurpose
    edition: Edition
    data_period_months: int = strawberry.field(description="How far back the grantee may look.")
    valid_from: datetime
    valid_until: datetime = strawberry.field(description="At most 12 months after validFrom.")
    state: ConsentState
    recorded_via: str = strawberry.field(
        description="SUBJECT: granted in the product; GRANTEE: a written authorisation the "
        "bank recorded, which takes effect only once the subject confirms it."
    )
    recorded_by: str | None
    evidence: str | None = strawberry.field(
        description="A reference to the signed authorisation, e.g. its hash."
    )
    created_at: datetime
    revoked_at: datetime | None
    revocation_channel: str | None
    answered_at: datetime | None = strawberry.field(
        description="When the subject confirmed or refused the bank's authorisation."
    )


@strawberry.enum(description="A share's state now: expiry is by clock.")
class ShareState(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


@strawberry.type(
    description="A yes/no answer the subject shares: one predicate, with one institution, "
    "for one purpose, until validUntil (at most 12 months) or until withdrawn."
)
class EligibilityShare:
    id: strawberry.ID
    grantor_identifier: str = strawberry.field(
        description="Who shared it: the subject, or an organisation's legal representative."
    )
    requester_code: str
    requester_name: str
    requester_role: str
    predicate: str = strawberry.field(description="A code of graphql/predicates.toml.")
    purpose: str = strawberry.field(description="A purpose of graphql/predicates.toml.")
    valid_from: datetime
    valid_until: datetime
    withdrawn_at: datetime | None
    state: ShareState


@strawberry.type(
    description="One answer given to an institution: whether the shared predicate held, and "
    "nothing of the data it was read from. Its id is the one the institution holds."
)
class EligibilityAnswer:
    id: strawberry.ID
    share_id: strawberry.ID
    requester_code: str
    requester_name: str
    operator: str | None
    predicate: str
    purpose: str
    holds: bool
    answered_at: datetime


@strawberry.type(description="A predicate a subject may share, and its question.")
class EligibilityPredicate:
    code: str
    en: str
    zh: str


@strawberry.type(description="What a share may be for: the service a yes opens.")
class EligibilityPurpose:
    code: str
    en: str
    zh: str


@strawberry.type(description="The predicates and purposes of graphql/predicates.toml.")
class EligibilityCatalogue:
    predicates: list[EligibilityPredicate]
    purposes: list[EligibilityPurpose]


@strawberry.federation.type(keys=["identifier"], description="A person or an organisation.")
class Subject:
    identifier: str

    @classmethod
    def resolve_reference(cls, info: Info, identifier: str) -> Subject:
        return cls(identifier=identifier)

    @strawberry.field(description="Every consent the subject gave, newest first.")
    async def consent_grants(self, info: Info) -> list[ConsentGrant] | None:
        rows = await info.context.loader(dl.grants_by_subject).load(self.identifier)
        return [build_record(ConsentGrant, row) for row in rows]

    @strawberry.field(description="The yes/no answers the subject shares, newest first.")
    async def eligibility_shares(self, info: Info) -> list[EligibilityShare] | None:
        rows = await info.context.loader(dl.shares_by_subject).load(self.identifier)
        return [build_record(EligibilityShare, row) for row in rows]

    @strawberry.field(
        description="The answers given about the subject, newest first: first (1-100) of them."
    )
    async def eligibility_answers(
        self, info: Info, first: int = 50
    ) -> list[EligibilityAnswer] | None:
        size = check_range("first", first, 1, 100)
        rows = await info.context.loader(dl.answers_by_subject).load((self.identifier, size))
        return [build_record(EligibilityAnswer, row) for row in rows]

    @strawberry.field(description="What the subject may share, and for what.")
    def eligibility_catalogue(self) -> EligibilityCatalogue | None:
        found = catalogue.shipped()
        return EligibilityCatalogue(
            predicates=[
                EligibilityPredicate(code=item.code, en=item.en, zh=item.zh)
                for item in found.predicates.values()
            ],
            purposes=[
                EligibilityPurpose(code=item.code, en=item.en, zh=item.zh)
                for item in found.purposes.values()
            ],
        )
