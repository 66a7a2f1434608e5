"""The public subgraph's schema: its root field and its one entity, `Subject`."""

from __future__ import annotations

import strawberry

from creditgraph.public.mutations import Mutation
from creditgraph.public.types import Subject
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.schema import federation_schema


@strawberry.type
class Query:
    @strawberry.federation.field(
        inaccessible=True,
        description="The public record of a subject, by resident identity number or USCC; "
        "every list is empty when there is no record.",
    )
    def public_records(self, info: Info, identifier: str) -> Subject:
        return Subject.resolve_reference(info, identifier)


schema = federation_schema(query=Query, mutation=Mutation, types=[Subject])
