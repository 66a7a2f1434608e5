"""The gateway's signed internal credential, which a subgraph served over HTTP demands.

Authorisation happens in the gateway only, so a subgraph reachable over the
network must not answer anyone else: every request carries a short-lived JWT
(HS256 over a secret shared by the gateway and its subgraphs) in the
`creditgraph-gateway-credential` header, issued by the gateway and addressed
to one subgraph. Mounted in-process, a subgraph is called directly and needs
none.

The claims:

* `iss` `creditgraph-gateway`; `aud` `creditgraph-subgraph:<name>` (one
  subgraph: a credential for one is refused by every other); `iat`, and `exp`
  at most LIFETIME_SECONDS later (5 s of clock skew tolerated);
* on whose behalf the gateway calls, when it calls for a requester: `sub` (the
  requester's identifier: a resident identity number for a subject, else a
  unified social credit code), `role` (`subject`, `bank` or `government`, as
  in requester tokens), `operator` (the person operating for an institution;
  always for a bank, never for a subject), `representative` (for an
  organisation acting as a subject, the person the gateway checked is its
  legal representative) and `history_months` (the most months of repayment
  history the fetch may show: the data period of the grant the gateway
  fetches under; a whole number from 1, absent for no limit). With none of
  them, the request is the gateway's own (its internal lookups) and has no
  requester; with some of them but not a whole requester (a role without an
  identifier, an identifier of the wrong kind for the role, an operator on a
  subject, a representative on anyone but an organisation's subject, a
  history limit that is not a whole number from 1), the credential is refused
  as a whole, like a forged one.

* `hold`, on a mutation's requests only: the name under which the
  subgraph leaves its writes pending until the gateway has recorded the
  request (subgraphs/writing.py). Thirty-two hex digits; anything else is
  refused like a forged credential.

The requester rides inside the credential rather than in a header of its own
because then one signature binds it to the subgraph and the lifetime: it
cannot be moved onto another subgraph's credential or outlive its own, there
is nothing to pair up and only one HMAC to check, and a gateway that signs no
requester claims (interop/apollo_gateway.mjs) is still understood. Only a
holder of the secret can assert a requester, and a client's headers never
reach a subgraph (the gateway builds every subgraph request from scratch). The
subgraph hosts hold the secret too, so one taken over could assert anyone to
the others: a key only the gateway holds (an asymmetric signature) would be
the step beyond this.

The secret is `CREDITGRAPH_INTERNAL_SECRET` when set (at least 32 bytes, for a
deployment where gateway and subgraphs run on different hosts), else a random
key created once under CREDITGRAPH_HOME and readable by its owner only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, get_args

import jwt

from creditgraph.errors import ConfigurationError
from creditgraph.identifiers import is_resident_id, is_uscc
from creditgraph.requester import Requester, Role
from creditgraph.secret_files import load_or_create_secret

HEADER = "creditgraph-gateway-credential"
ISSUER = "creditgraph-gateway"
LIFETIME_SECONDS = 60
_LEEWAY_SECONDS = 5
_SECRET_ENV = "CREDITGRAPH_INTERNAL_SECRET"
_SECRET_FILE = "internal-credential.key"
_MIN_SECRET_BYTES = 32
_REQUESTER_CLAIMS: Final = ("sub", "role", "operator", "representative", "history_months")
#: the role claim is lower-case, as in requester tokens; `Requester.role` is upper-case
_ROLES: Final[Mapping[str, Role]] = {role.lower(): role for role in get_args(Role)}


class CredentialRefused(Exception):
    """The request's internal credential is missing, malformed, expired or not for us."""


HOLD_PATTERN: Final = re.compile(r"[0-9a-f]{32}")
"""A hold is a UUID's 32 hex digits, as the gateway makes them (gateway/writes.py)."""


@dataclass(frozen=True, slots=True)
class Attested:
    """What a verified credential asserts: on whose behalf, and where a write may wait."""

    requester: Requester | None
    hold: str | None


def audience(subgraph: str) -> str:
    return f"creditgraph-subgraph:{subgraph}"


def load_secret(home: Path, env: Mapping[str, str] | None = None) -> bytes:
    env = os.environ if env is None else env
    configured = env.get(_SECRET_ENV)
    if configured:
        if len(configured.encode()) < _MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"{_SECRET_ENV} must be at least {_MIN_SECRET_BYTES} bytes long"
            )
        return configured.encode()
    return load_or_create_secret(home / _SECRET_FILE, min_bytes=_MIN_SECRET_BYTES)


def issue(
    secret: bytes,
    subgraph: str,
    *,
    requester: Requester | None = None,
    now: float | None = None,
    hold: str | None = None,
) -> str:
    """A credential for `subgraph`, asserting `requester` when the gateway calls for one.

    `hold` names where a mutation's writes wait for the gateway's audit entry.
    """
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience(subgraph),
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
    }
    if requester is not None:
        claims["sub"] = requester.identifier
        claims["role"] = requester.role.lower()
        if requester.operator is not None:
            claims["operator"] = requester.operator
        if requester.representative is not None:
            claims["representative"] = requester.representative
        if requester.history_months is not None:
            claims["history_months"] = requester.history_months
    if hold is not None:
        claims["hold"] = hold
    return jwt.encode(claims, secret, algorithm="HS256")


REFUSAL = "this subgraph answers the creditgraph gateway only"


def verify(secret: bytes, subgraph: str, token: str | None) -> Requester | None:
    """The requester a credential issued for this subgraph in the last minute asserts.

    None when it asserts none (the gateway's own lookups). Refuses with one
    message whatever failed: saying which check would only help someone
    probing for a way in.
    """
    return attested(secret, subgraph, token).requester


def attested(secret: bytes, subgraph: str, token: str | None) -> Attested:
    """Everything a credential issued for this subgraph in the last minute asserts."""
    if not token:
        raise CredentialRefused(REFUSAL)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=audience(subgraph),
            issuer=ISSUER,
            leeway=_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.InvalidTokenError:
        raise CredentialRefused(REFUSAL) from None
    if claims["exp"] - claims["iat"] > LIFETIME_SECONDS:
        raise CredentialRefused(REFUSAL)
    hold = claims.get("hold")
    if hold is not None and not (isinstance(hold, str) and HOLD_PATTERN.fullmatch(hold)):
        raise CredentialRefused(REFUSAL)
    return Attested(_requester(claims), hold)


def _requester(claims: Mapping[str, Any]) -> Requester | None:
    """The requester in verified claims; None when there is none, refused when it is partial."""
    if not any(name in claims for name in _REQUESTER_CLAIMS):
        return None
    role_claim = claims.get("role")
    role = _ROLES.get(role_claim) if isinstance(role_claim, str) else None
    identifier = claims.get("sub")
    operator = claims.get("operator")
    representative = claims.get("representative")
    if role is None or not isinstance(identifier, str):
        raise CredentialRefused(REFUSAL)
    person = role == "SUBJECT" and representative is None
    if not (is_resident_id(identifier) if person else is_uscc(identifier)):
        raise CredentialRefused(REFUSAL)
    if representative is not None and (
        role != "SUBJECT"
        or not isinstance(representative, str)
        or not is_resident_id(representative)
    ):
        raise CredentialRefused(REFUSAL)
    if "operator" in claims:
        if role == "SUBJECT" or not isinstance(operator, str) or not operator:
            raise CredentialRefused(REFUSAL)
    elif role == "BANK":
        raise CredentialRefused(REFUSAL)
    history = claims.get("history_months")
    if history is not None and (type(history) is not int or history < 1):
        raise CredentialRefused(REFUSAL)
    return Requester(role, identifier, operator, representative, history)
