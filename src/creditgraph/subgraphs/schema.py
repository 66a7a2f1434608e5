"""How every subgraph builds its schema, so all three speak the same federation.

The Federation version is the newest one that the composition libraries we
are checked against (The Guild's and Apollo's) and the gateways we are
compared with all accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import strawberry

from creditgraph.subgraphs.masking import MaskInternalErrors

FEDERATION_VERSION: Final = "2.9"


def federation_schema(
    *, query: type, types: Sequence[type], mutation: type | None = None
) -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=query,
        mutation=mutation,
        types=types,
        extensions=[MaskInternalErrors],
        federation_version=FEDERATION_VERSION,
    )
