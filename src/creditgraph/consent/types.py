"""The consent subgraph's types: a grant, and the subject the grants are about."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from creditgraph.bureau.enums import Edition, InquiryPurpose
from creditgraph.consent import dataloaders as dl
from creditgraph.subgraphs.context import Info
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
