"""mail: knows users only by `email` (`User @key(fields: "email")`).

A user the gateway holds by `id` reaches this subgraph only by way of
accounts, the one subgraph that knows both keys. An address mail does not
know is a null entity; one it knows is locked, and resolving it fails.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

UNREAD = {"ada@example.com": 3, "alan@example.com": 0}
LOCKED = "barbara@example.com"


@strawberry.federation.type(keys=["email"])
class User:
    email: str
    unread: int | None

    @classmethod
    def resolve_reference(cls, email: str | None = None) -> User | None:
        if email == LOCKED:
            raise GraphQLError(f"the mailbox of {email} is locked")
        if email is None or email not in UNREAD:
            return None
        return cls(email=email, unread=UNREAD[email])


@strawberry.type
class Query:
    @strawberry.field
    def mailbox_owner(self, email: str) -> User | None:
        return User.resolve_reference(email)


schema = strawberry.federation.Schema(query=Query, federation_version="2.9")
