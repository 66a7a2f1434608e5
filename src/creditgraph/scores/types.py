"""The scores subgraph's GraphQL types.

Entities: `Subject`, keyed by `identifier` alone (scorers key people by their
identity number or unified social credit code, as courts do, so the gateway
joins this subgraph to the bureau by that key), and `ScoreModel` (key `id`).
Every field that reaches further goes through a per-request dataloader, so a
query costs one statement per kind of record however many subjects,
observations and reasons it holds.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from creditgraph.scores import dataloaders as dl
from creditgraph.scores.enums import ScoreScale
from creditgraph.subgraphs.context import Info
from creditgraph.subgraphs.errors import check_id, check_identifier
from creditgraph.subgraphs.pagination import Connection, paginate
from creditgraph.subgraphs.records import Row, build_record


@strawberry.type(
    description="One band of a model's scale, from `lower` up to but not including `upper`; "
    "the top band also holds the scale's maximum."
)
class ScoreBand:
    name: str
    lower: int
    upper: int
    ordinal: int = strawberry.field(description="1 for the lowest band, rising with the score.")


@strawberry.federation.type(
    keys=["id"], description="A scoring model: who scores, on which scale, with which bands."
)
class ScoreModel:
    id: strawberry.ID
    provider_code: str = strawberry.field(description="The scorer's unified social credit code.")
    provider_name: str
    name: str
    version: str
    scale: ScoreScale
    min: int = strawberry.field(description="The lowest score on the scale.")
    max: int = strawberry.field(description="The highest score on the scale.")
    description: str
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row) -> ScoreModel:
        return build_record(cls, row, min=row["scale_min"], max=row["scale_max"], pk=row["id"])

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> ScoreModel | None:
        row = await info.context.loader(dl.model_by_id).load(check_id(str(id)))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The bands, lowest first.")
    async def bands(self, info: Info) -> list[ScoreBand]:
        rows = await info.context.loader(dl.bands).load(self.pk)
        return [build_record(ScoreBand, r) for r in rows]


@strawberry.type(description="A factor behind a score: what a lender tells an applicant.")
class ScoreReason:
    rank: int = strawberry.field(description="1 for the factor that cost the most.")
    code: str
    description: str
    impact: int = strawberry.field(
        description="Points this factor cost against the best attainable score."
    )


@strawberry.type(
    description="One dimension of a score built from several (the city score's five: "
    "docs/city-scorecard.md): what it scored out of its points, and the factors that cost it."
)
class ScoreDimension:
    code: str = strawberry.field(
        description="IDENTITY, LAW_ABIDING, SOCIAL_CREDIT, COMMERCIAL_CREDIT or PRO_SOCIAL."
    )
    name: str
    value: int
    points: int = strawberry.field(description="The most the dimension can score.")
    reasons: list[ScoreReason] = strawberry.field(
        description="The factors that cost the dimension points, costliest first."
    )

    @classmethod
    def from_row(cls, row: Row) -> ScoreDimension:
        reasons = zip(
            row["reason_codes"], row["reason_descriptions"], row["reason_impacts"], strict=True
        )
        return cls(
            code=row["code"],
            name=row["name"],
            value=row["value"],
            points=row["points"],
            reasons=[
                ScoreReason(rank=rank, code=code, description=description, impact=impact)
                for rank, (code, description, impact) in enumerate(reasons, start=1)
            ],
        )


@strawberry.type(description="A score as observed: which model rated the subject, when, how.")
class ScoreObservation:
    id: strawberry.ID
    value: int
    band: str = strawberry.field(description="The name of the model's band holding the value.")
    observed_at: datetime
    pk: strawberry.Private[int]
    model_id: strawberry.Private[int]
    scale: strawberry.Private[ScoreScale]

    @classmethod
    def from_row(cls, row: Row) -> ScoreObservation:
        return build_record(cls, row, pk=row["id"], scale=ScoreScale(row["scale"]))

    @strawberry.field
    async def model(self, info: Info) -> ScoreModel:
        row = await info.context.loader(dl.model_by_id).load(self.model_id)
        assert row is not None  # a foreign key guarantees it
        return ScoreModel.from_row(row)

    @strawberry.field(description="The reason codes, costliest first.")
    async def reasons(self, info: Info) -> list[ScoreReason]:
        rows = await info.context.loader(dl.reasons).load(self.pk)
        return [
            ScoreReason(
                rank=r["rank"], code=r["code"], description=r["description"], impact=r["impact"]
            )
            for r in rows
        ]

    @strawberry.field(
        description="The score's dimensions, for a model built from several (the city score's "
        "five), each with its reason codes; empty for a single-table model and for earlier "
        "observations recorded without them."
    )
    async def dimensions(self, info: Info) -> list[ScoreDimension] | None:
        rows = await info.context.loader(dl.dimensions).load(self.pk)
        return [ScoreDimension.from_row(row) for row in rows]


def on_scale(rows: list[Row], scale: ScoreScale | None) -> list[ScoreObservation]:
    """A subject's observations (newest first, as stored), only `scale`'s unless None."""
    found = [ScoreObservation.from_row(r) for r in rows]
    return found if scale is None else [o for o in found if o.scale is scale]


def latest_per_model(history: list[ScoreObservation]) -> list[ScoreObservation]:
    """The first of each model's observations in a newest-first history, by model."""
    latest: dict[int, ScoreObservation] = {}
    for observation in history:
        latest.setdefault(observation.model_id, observation)
    return [latest[model_id] for model_id in sorted(latest)]


# The fields this subgraph adds to the subject are nullable on purpose: if the
# subgraph is down, the gateway nulls only them, where a non-null field would
# null the whole subject (the spec's null propagation).
@strawberry.federation.type(keys=["identifier"], description="A person or an organisation.")
class Subject:
    identifier: str = strawberry.field(
        description="Resident identity number or unified social credit code."
    )

    @classmethod
    def resolve_reference(cls, info: Info, identifier: str) -> Subject:
        """Any valid identifier resolves: most scorers have never rated most subjects."""
        return cls(identifier=check_identifier(identifier))

    @strawberry.field(description="The latest observation from each model, or from one scale's.")
    async def scores(
        self, info: Info, scale: ScoreScale | None = None
    ) -> list[ScoreObservation] | None:
        rows = await info.context.loader(dl.observations).load(self.identifier)
        return latest_per_model(on_scale(rows, scale))

    @strawberry.field(description="Every observation, newest first, or one scale's.")
    async def score_history(
        self,
        info: Info,
        scale: ScoreScale | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ScoreObservation] | None:
        rows = await info.context.loader(dl.observations).load(self.identifier)
        return paginate(
            on_scale(rows, scale),
            kind="score observation",
            key=lambda o: str(o.id),
            first=first,
            after=after,
        )
