"""The consent subgraph's schema: the root fields clients start from, and the grant mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError

from creditgraph.bureau.enums import Edition, InquiryPurpose
from creditgraph.consent import mutations
from creditgraph.consent.types import ConsentGrant, ConsentState, EligibilityShare, Subject
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import check_identifier
from creditgraph.subgraphs.schema import federation_schema


@strawberry.type(description="An eligibility answer as the institution that asked receives it.")
class EligibilityResult:
    answer_id: strawberry.ID = strawberry.field(description="The id the subject sees it by.")
    subject: str
    predicate: str
    purpose: str
    holds: bool
    answered_at: datetime


@strawberry.type
class Query:
    @strawberry.field(description="The requester's own graph, when the requester is a subject.")
    def me(self, info: Info) -> Subject | None:
        requester = info.context.requester
        if requester is None or requester.role != "SUBJECT":
            return None
        return Subject(identifier=requester.identifier)

    @strawberry.field(
        description="A subject by resident identity number or USCC, looked at for a purpose: "
        "the purpose and the requester's grants decide which edition comes back."
    )
    def subject(self, info: Info, identifier: str, purpose: InquiryPurpose) -> Subject | None:
        return Subject(identifier=check_identifier(identifier))

    @strawberry.field(
        description="Whether a predicate the subject shared with you for a purpose holds: "
        "true or false and an answer id the subject sees, nothing of the data it was read "
        "from. Refused (CONSENT_REQUIRED) unless the subject shared that predicate with your "
        "institution for that purpose and has not withdrawn it, and it has not expired. "
        "Answered by the gateway, which reads the predicate's data from the subgraphs."
    )
    def eligibility(
        self, info: Info, subject: str, predicate: str, purpose: str
    ) -> EligibilityResult | None:
        # the gateway answers it under its policy (access/enforcement.py) and never sends it
        # here; anything that does is refused rather than answered without the share checked
        raise GraphQLError(
            "eligibility is answered by the gateway", extensions={"code": "FORBIDDEN_FIELD"}
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The subject consents to a bank seeing an edition of their report (BANK "
        "unless said) for one purpose, until validUntil: at most 12 months, 12 when not given; "
        "dataPeriodMonths (1-60, all 60 when not given) is how far back it may look."
    )
    async def grant_consent(
        self,
        info: Info,
        grantee: str,
        purpose: InquiryPurpose,
        edition: Edition | None = None,
        valid_until: datetime | None = None,
        data_period_months: int | None = None,
    ) -> ConsentGrant:
        return await mutations.grant_consent(
            info.context, grantee, purpose, edition or Edition.BANK, valid_until, data_period_months
        )

    @strawberry.mutation(description="The subject revokes a grant; it stops at once.")
    async def revoke_consent(self, info: Info, id: strawberry.ID) -> ConsentGrant:
        return await mutations.revoke_consent(info.context, str(id))

    @strawberry.mutation(
        description="A bank records the subject's written authorisation for a purpose, with "
        "a reference to the signed form (e.g. its hash). It is PENDING and opens nothing "
        "until the subject confirms it (confirmAuthorisation); the subject may refuse it."
    )
    async def record_authorisation(
        self,
        info: Info,
        subject: str,
        purpose: InquiryPurpose,
        evidence: str,
        valid_until: datetime | None = None,
        data_period_months: int | None = None,
    ) -> ConsentGrant:
        return await mutations.record_authorisation(
            info.context, subject, purpose, evidence, valid_until, data_period_months
        )

    @strawberry.mutation(
        description="The subject confirms a bank's PENDING authorisation: it is a grant from "
        "now until its validUntil."
    )
    async def confirm_authorisation(self, info: Info, id: strawberry.ID) -> ConsentGrant:
        return await mutations.answer_authorisation(info.context, str(id), ConsentState.ACTIVE)

    @strawberry.mutation(
        description="The subject refuses a bank's PENDING authorisation: it never opens anything."
    )
    async def refuse_authorisation(self, info: Info, id: strawberry.ID) -> ConsentGrant:
        return await mutations.answer_authorisation(info.context, str(id), ConsentState.REFUSED)

    @strawberry.mutation(
        description="The subject lets one institution ask one predicate of "
        "graphql/predicates.toml for one purpose, until validUntil (at most 12 months, 12 when "
        "not given); it gets only yes or no, and every answer is on the subject's record."
    )
    async def share_eligibility(
        self,
        info: Info,
        requester: str,
        predicate: str,
        purpose: str,
        valid_until: datetime | None = None,
    ) -> EligibilityShare:
        return await mutations.share_eligibility(
            info.context, requester, predicate, purpose, valid_until
        )

    @strawberry.mutation(description="The subject withdraws a share: it answers nothing more.")
    async def withdraw_eligibility(self, info: Info, id: strawberry.ID) -> EligibilityShare:
        return await mutations.withdraw_eligibility(info.context, str(id))


schema = federation_schema(
    query=Query, mutation=Mutation, types=[Subject, ConsentGrant, EligibilityShare]
)
