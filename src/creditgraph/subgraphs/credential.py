"""The gateway's signed internal credential, which a subgraph served over HTTP demands.

Authorisation happens in the gateway only, so a subgraph reachable over the
network must not answer anyone else: every request carries a short-lived JWT
(HS256 over a secret shared by the gateway and its subgraphs) in the
`Creditgraph-Gateway-Credential` header, issued by the gateway and addressed
to one subgraph. Mounted in-process, a subgraph is called directly and needs
none.

The secret is `CREDITGRAPH_INTERNAL_SECRET` when set (at least 32 bytes, for a
deployment where gateway and subgraphs run on different hosts), else a random
key created once under CREDITGRAPH_HOME and readable by its owner only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import jwt

from creditgraph.errors import ConfigurationError
from creditgraph.secret_files import load_or_create_secret

HEADER = "creditgraph-gateway-credential"
ISSUER = "creditgraph-gateway"
LIFETIME_SECONDS = 60
_LEEWAY_SECONDS = 5
_SECRET_ENV = "CREDITGRAPH_INTERNAL_SECRET"
_SECRET_FILE = "internal-credential.key"
_MIN_SECRET_BYTES = 32


class CredentialRefused(Exception):
    """The request's internal credential is missing, malformed, expired or not for us."""


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


def issue(secret: bytes, subgraph: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "aud": audience(subgraph),
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


REFUSAL = "this subgraph answers the creditgraph gateway only"


def verify(secret: bytes, subgraph: str, token: str | None) -> None:
    """Accept a credential issued for this subgraph in the last minute, or refuse.

    The refusal says nothing about which check failed: that would only help
    someone probing for a way in.
    """
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
