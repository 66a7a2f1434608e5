"""The scores subgraph's schema: its root field and its entities."""

from __future__ import annotations

import strawberry

from creditgraph.scores import dataloaders as dl
from creditgraph.scores.types import ScoreModel, Subject
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.schema import federation_schema


@strawberry.type
class Query:
    @strawberry.federation.field(
        inaccessible=True, description="Every scoring model, with its scale and bands."
    )
    async def score_models(self, info: Info) -> list[ScoreModel]:
        return [ScoreModel.from_row(row) for row in await dl.all_models(info.context.db)]


schema = federation_schema(query=Query, types=[Subject, ScoreModel])
