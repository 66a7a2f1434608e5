"""audit: adds `views` to every `Node` through `type Node @key(fields: "id") @interfaceObject`.

It never knows which implementation a node is: `trending` returns bare
`Node`s, and the gateway must ask catalog for their concrete types.
"""

from __future__ import annotations

import strawberry

VIEWS = {"img1": 10, "vid1": 99, "img2": 0}


@strawberry.federation.interface_object(keys=["id"])
class Node:
    id: strawberry.ID
    views: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Node | None:
        return cls(id=id, views=VIEWS[id]) if id in VIEWS else None


@strawberry.type
class Query:
    @strawberry.field
    def trending(self) -> list[Node]:
        return [Node(id=strawberry.ID(id), views=VIEWS[id]) for id in ("vid1", "img1")]


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
