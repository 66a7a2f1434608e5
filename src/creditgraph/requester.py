"""Who is asking: the party behind a request, as every layer sees it once proven.

The token verifier (access/tokens.py) proves a `Requester` from a bearer token;
the policy decides what it may see; the transports forward it to the subgraphs
(under the gateway's credential), whose resolvers act for it. All of them share
this one small type, so none has to import another's package for it: the
transport does not depend on the authorisation package, nor the subgraphs on
the gateway. The verifiers' seams are here too, for the same reason: the HTTP
handlers need something that proves a requester, not the token package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

from creditgraph.errors import CreditgraphError

Role = Literal["SUBJECT", "BANK", "GOVERNMENT", "FURNISHER"]
"""Who a request acts as. FURNISHER comes only from a furnishing token (the `Authenticator`
of middleware/authentication.py): a furnisher reports records through the furnishing
mutations and reads nothing."""

#: The refusal of a token made for another audience (a furnisher's at a reading verifier):
#: on it, the gateway tries the token as a furnisher's.
AUDIENCE_REFUSED: Final = "token audience not accepted"


@dataclass(frozen=True, slots=True)
class Requester:
    """The authenticated party behind a request."""

    role: Role
    identifier: str
    """The subject's resident identity number (SUBJECT), else the institution's unified social
    credit code."""
    operator: str | None
    """For an institution, the person operating (always set for BANK); None for a subject."""
    representative: str | None = None
    """For an organisation acting as a subject (identifier a unified social credit code), the
    resident identity number of the person claiming to be its legal representative."""
    history_months: int | None = None
    """The most months of repayment history a fetch on the requester's behalf may show (the
    data period of the grant the policy fetches under); None: no limit but the data's. It
    travels with the requester to every subgraph fetch, whatever the fetch's shape (a root
    field or `_entities` after another subgraph), so no shape of plan escapes it, and two
    requesters under different limits never share an answer (the fetch dedupe and the
    credentials are keyed by the whole requester)."""

    @property
    def person(self) -> str:
        """The identifier of whoever acts: the representative for an organisation."""
        return self.representative or self.identifier

    @property
    def actor(self) -> str | None:
        """Who acts for the requester, as inquiries and the audit log name them: an
        institution's operator, an organisation's representative; None for a person acting
        for themself."""
        return self.operator or self.representative


@dataclass(frozen=True, slots=True)
class Furnisher:
    """An institution reporting records (a bank, a court, an agency), proven by its furnishing
    token. Which records it may report is decided from the institution's kind in the bureau
    (`furnishing.kinds`), not from the token."""

    institution: str
    """The institution's unified social credit code."""
    operator: str | None
    """The person or system sending the records, when the token names one."""


class Unauthenticated(CreditgraphError):
    """The request's credentials are not acceptable; the message is safe to show the client."""


class RequesterVerifier(Protocol):
    """What proves a requester from a request's `Authorization` header (the gateway's token
    verifier, access/tokens.py): None for no header, `Unauthenticated` for a bad one."""

    async def authenticate(self, authorization: str | None) -> Requester | None: ...

    def close(self) -> None:
        """Stop whatever keeps its keys fresh."""


class FurnisherVerifier(Protocol):
    """What proves a furnisher from an upload's `Authorization` header (a token verifier for
    the furnishing audience); `Unauthenticated` when it does not."""

    async def authenticate_furnisher(self, authorization: str | None) -> Furnisher: ...
