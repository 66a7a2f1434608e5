"""accounts: owns `User`, keyed both by `id` and by `email`.

It is the only subgraph that knows both keys, so a gateway holding a user by
`id` (from reviews) can reach mail, which keys users by `email`, only through
here. It also holds everything the API schema must hide: an `@inaccessible`
field, an `@inaccessible` enum value (returned for one user, which the
gateway must not pass on) and an `@inaccessible` type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import strawberry


@strawberry.federation.enum
class Role(Enum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    LEGACY = strawberry.federation.enum_value("LEGACY", inaccessible=True)


@strawberry.federation.type(inaccessible=True)
class AuditTrail:
    note: str


@dataclass(frozen=True)
class _Row:
    id: str
    email: str | None
    name: str
    username: str
    role: Role


_INITIAL = {
    row.id: row
    for row in (
        _Row("1", "ada@example.com", "Ada Lovelace", "ada", Role.ADMIN),
        _Row("2", "alan@example.com", "Alan Turing", "alan", Role.MEMBER),
        # no email: a null key for mail
        _Row("3", None, "Grace Hopper", "grace", Role.LEGACY),
        # an email mail does not know: a null entity from mail
        _Row("4", "linus@example.com", "Linus Torvalds", "linus", Role.MEMBER),
        # mail fails to resolve this one
        _Row("5", "barbara@example.com", "Barbara Liskov", "barbara", Role.MEMBER),
    )
}
USERS: dict[str, _Row] = dict(_INITIAL)


def reset() -> None:
    USERS.clear()
    USERS.update(_INITIAL)


@strawberry.federation.type(keys=["id", "email"])
class User:
    id: strawberry.ID
    email: str | None
    name: str
    username: str = strawberry.federation.field(shareable=True)
    role: Role
    password_hash: str = strawberry.federation.field(inaccessible=True)
    audit_trail: AuditTrail | None = strawberry.federation.field(inaccessible=True)

    @classmethod
    def of(cls, row: _Row) -> User:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            name=row.name,
            username=row.username,
            role=row.role,
            password_hash=f"hash-of-{row.username}",
            audit_trail=AuditTrail(note=f"{row.username} audited"),
        )

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID | None = None, email: str | None = None
    ) -> User | None:
        for row in USERS.values():
            if (id is not None and row.id == id) or (email is not None and row.email == email):
                return cls.of(row)
        return None


@strawberry.type
class Query:
    @strawberry.field
    def me(self) -> User:
        return User.of(USERS["1"])

    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        row = USERS.get(id)
        return None if row is None else User.of(row)

    @strawberry.field
    def users(self) -> list[User]:
        return [User.of(row) for row in USERS.values()]

    @strawberry.field
    def users_by_role(self, role: Role) -> list[User]:
        return [User.of(row) for row in USERS.values() if row.role == role]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def rename_user(self, id: strawberry.ID, name: str) -> User:
        USERS[id] = replace(USERS[id], name=name)
        return User.of(USERS[id])


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, federation_version="2.9")
