"""catalog: owns the entity interface `Node @key(fields: "id")` and its implementations.

audit sees `Node` only as an `@interfaceObject`: when it hands the gateway a
`Node`, only this subgraph can say whether it is an `Image` or a `Video`, by
resolving the representation `{__typename: "Node", id}`.
"""

from __future__ import annotations

import strawberry

IMAGES = {"img1": ("Logo", 640), "img2": ("Banner", 1200)}
VIDEOS = {"vid1": ("Intro", 30)}


@strawberry.federation.interface(keys=["id"])
class Node:
    id: strawberry.ID
    label: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Node | None:
        return _node(id)


@strawberry.federation.type(keys=["id"])
class Image(Node):
    width: int


@strawberry.federation.type(keys=["id"])
class Video(Node):
    seconds: int


def _node(id: str) -> Node | None:
    if id in IMAGES:
        label, width = IMAGES[id]
        return Image(id=strawberry.ID(id), label=label, width=width)
    if id in VIDEOS:
        label, seconds = VIDEOS[id]
        return Video(id=strawberry.ID(id), label=label, seconds=seconds)
    return None


@strawberry.type
class Query:
    @strawberry.field
    def nodes(self) -> list[Node]:
        found = [_node(id) for id in ("img1", "vid1", "img2")]
        return [node for node in found if node is not None]

    @strawberry.field
    def node(self, id: strawberry.ID) -> Node | None:
        return _node(id)


schema = strawberry.federation.Schema(query=Query, types=[Image, Video], federation_version="2.9")
