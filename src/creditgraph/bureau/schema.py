"""The bureau subgraph's schema: its root fields and its entities."""

from __future__ import annotations

import strawberry

from creditgraph.bureau.types import CreditAccount, Guarantee, Info, Institution, Subject
from creditgraph.subgraphs.errors import check_id
from creditgraph.subgraphs.schema import federation_schema


@strawberry.type
class Query:
    @strawberry.field(description="A subject by resident identity number or USCC.")
    async def subject(self, info: Info, identifier: str) -> Subject | None:
        return await Subject.by_identifier(info, identifier)

    @strawberry.field
    async def credit_account(self, info: Info, id: strawberry.ID) -> CreditAccount | None:
        found = await CreditAccount.load_many(info, [check_id(str(id))])
        return found[0] if found else None

    @strawberry.field(description="An institution by unified social credit code.")
    async def institution(self, info: Info, code: str) -> Institution | None:
        return await Institution.resolve_reference(info, code)


schema = federation_schema(query=Query, types=[Subject, CreditAccount, Guarantee, Institution])
