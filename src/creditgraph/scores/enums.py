"""The scores subgraph's closed vocabularies, as GraphQL enums (values as stored)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="The scale a model scores on; each has its own range and bands.")
class ScoreScale(Enum):
    BUREAU = "BUREAU"
    CITY = "CITY"
    COMMERCIAL = "COMMERCIAL"
