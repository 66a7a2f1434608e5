"""Who is asking: the first stage of a GraphQL request, as plain ASGI middleware.

The bearer token in `Authorization` is proven here, once, before the request reaches the
handler: a reading token's requester (a subject, a bank, a government body), or else a
furnisher's, who may then call the furnishing mutations alone (graphql/policy.toml). What
was proven, or why nothing could be, is put in the ASGI scope (`authenticated(scope)`), and
the handler decides what to answer: a request refused for its token is still recorded, and
a malformed request is answered as malformed even when its token is bad too, so the refusal
is carried to the handler rather than answered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from creditgraph.requester import (
    AUDIENCE_REFUSED,
    FurnisherVerifier,
    Requester,
    RequesterVerifier,
    Unauthenticated,
)

#: Where the stage leaves its outcome in the ASGI scope.
SCOPE_KEY: Final = "creditgraph.authentication"


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The stage's outcome: the requester the token proves (None: anonymous), or the reason
    the token was refused."""

    requester: Requester | None
    refusal: Unauthenticated | None = None


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Proves a requester from an `Authorization` header: the reading verifier, then the
    furnishing one when there is one."""

    verifier: RequesterVerifier
    furnishing: FurnisherVerifier | None = None

    async def authenticate(self, authorization: str | None) -> Requester | None:
        """The requester the header proves (None: anonymous).

        A token refused by both verifiers is answered with the reading verifier's reason,
        unless it was for the furnishing audience: then with the furnishing verifier's.
        """
        try:
            return await self.verifier.authenticate(authorization)
        except Unauthenticated as refused:
            reading = refused
        if self.furnishing is None or authorization is None:
            raise reading
        try:
            furnisher = await self.furnishing.authenticate_furnisher(authorization)
        except Unauthenticated as refused:
            raise (reading if str(refused) == AUDIENCE_REFUSED else refused) from None
        return Requester("FURNISHER", furnisher.institution, furnisher.operator)


class NoTokens:
    """The verifier of a gateway that knows no requesters (no edition policy): no token is
    read, and every request is anonymous."""

    async def authenticate(self, authorization: str | None) -> Requester | None:
        return None

    def close(self) -> None:
        return None


#: The authentication stage of a gateway with no edition policy.
ANONYMOUS: Final = Authenticator(NoTokens())


class Authentication:
    """The ASGI middleware running an `Authenticator` on every HTTP request it wraps."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = Headers(scope=scope).get("authorization")
            try:
                outcome = Authenticated(await self.authenticator.authenticate(authorization))
            except Unauthenticated as refused:
                outcome = Authenticated(None, refused)
            scope[SCOPE_KEY] = outcome
        await self.app(scope, receive, send)


class NotAuthenticated(Exception):
    """A request reached a handler that needs its requester without passing this stage: a
    wiring bug, answered as an internal failure rather than as an anonymous request."""


def authenticated(scope: Scope) -> Authenticated:
    """What the authentication stage proved for this request."""
    outcome = scope.get(SCOPE_KEY)
    if not isinstance(outcome, Authenticated):
        raise NotAuthenticated("the request did not pass the authentication stage")
    return outcome
