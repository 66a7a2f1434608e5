"""The bureau subgraph's schema: its root fields, its entities and the subject's writes."""

from __future__ import annotations

import asyncio

import strawberry

from creditgraph.bureau.mutations import Mutation
from creditgraph.bureau.types import CreditAccount, Guarantee, Info, Institution, Subject
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

    @strawberry.federation.field(inaccessible=True)
    async def credit_account(self, info: Info, id: strawberry.ID) -> CreditAccount | None:
        found = await CreditAccount.load_many(info, [check_id(str(id))])
        return found[0] if found else None

    @strawberry.federation.field(
        inaccessible=True, description="An institution by unified social credit code."
    )
    async def institution(self, info: Info, code: str) -> Institution | None:
        return await Institution.resolve_reference(info, code)


schema = federation_schema(
    query=Query, mutation=Mutation, types=[Subject, CreditAccount, Guarantee, Institution]
)
