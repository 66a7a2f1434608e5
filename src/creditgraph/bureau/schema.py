"""The bureau subgraph's schema: its root fields, its entities, the subject's writes and the
furnishers' records coming in (furnishing/mutations.py)."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.tools import merge_types

from creditgraph.bureau.mutations import Mutation as SubjectMutation
from creditgraph.bureau.types import (
    CreditAccount,
    Guarantee,
    Institution,
    Subject,
)
from creditgraph.furnishing.mutations import FurnishingMutation
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import check_id
from creditgraph.subgraphs.schema import federation_schema


@strawberry.type
class Query:
    @strawberry.federation.field(
        inaccessible=True,
        description="Subjects by resident identity number or USCC, in the order asked, null "
        "where unknown. The gateway's own entry: clients reach a subject through `subject`, "
        "which decides what they may see.",
    )
    async def subjects(self, info: Info, identifiers: list[str]) -> list[Subject | None]:
        return list(
            await asyncio.gather(*(Subject.by_identifier(info, item) for item in identifiers))
        )

    @strawberry.federation.field(
        inaccessible=True,
        description="Accounts by id, in the order asked, null where unknown. The gateway's own "
        "entry: it fetches another subject's account this way once it has decided, from the "
        "account's parties, what the requester may see of it.",
    )
    async def credit_accounts(
        self, info: Info, ids: list[strawberry.ID]
    ) -> list[CreditAccount | None]:
        return await CreditAccount.by_ids(info, [check_id(str(item)) for item in ids])

    @strawberry.federation.field(
        inaccessible=True,
        description="Guarantees by id, in the order asked, null where unknown; the gateway's "
        "own entry, as for accounts.",
    )
    async def guarantees(self, info: Info, ids: list[strawberry.ID]) -> list[Guarantee | None]:
        return await Guarantee.by_ids(info, [check_id(str(item)) for item in ids])

    @strawberry.federation.field(
        inaccessible=True, description="An institution by unified social credit code."
    )
    async def institution(self, info: Info, code: str) -> Institution | None:
        return await Institution.resolve_reference(info, code)


Mutation = merge_types("Mutation", (SubjectMutation, FurnishingMutation))

schema = federation_schema(
    query=Query, mutation=Mutation, types=[Subject, CreditAccount, Guarantee, Institution]
)
