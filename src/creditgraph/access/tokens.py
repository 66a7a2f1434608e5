"""Who is asking: the requester proven by the `Authorization: Bearer <JWT>` header.

Every decision the gateway makes (which edition, whose consent, what is masked) starts from
the requester, so the token is checked here once and strictly, and everything after trusts
the `Requester` it yields. A token names the requester's role (`subject`, `bank`,
`government`), its identifier (`sub`: a resident identity number for a subject, a unified
social credit code for an institution) and, for an institution, the person operating
(`operator`: required for a bank, whose every inquiry must name who made it).

An organisation is a subject too, and acts through its legal representative: its token has
the role `subject`, the organisation's unified social credit code as `sub` and the person's
resident identity number as `representative`. The token only claims the role; the gateway
checks it against the bureau's record of the organisation's principals on every request
(`access.editions.known_requester`), so a representative replaced yesterday is refused today.

Two modes, chosen by settings (`creditgraph.settings.JwtSettings`):

* demo (nothing configured): HS256 over a random key created once under CREDITGRAPH_HOME
  (`jwt-signing.key`), minted by `creditgraph token` and `creditgraph up`;
* a real identity provider: RS256 or ES256, checked against `CREDITGRAPH_JWT_PUBLIC_KEY` (a PEM
  file), `CREDITGRAPH_JWT_JWKS` (a JWKS file) or `CREDITGRAPH_JWT_JWKS_URL` (the provider's JWKS
  URL, fetched and kept fresh by access/keys.py); a JWKS's key is picked by the token's `kid`.
  Demo tokens are then refused, and nothing here can mint a token.

The algorithm is fixed by the key, never read from the token: a token that names another one
(`none`, or HS256 signed with the provider's public key as the HMAC secret, the classic key
confusion attack) is refused before its signature is even looked at. Refusals raise
`Unauthenticated` with a short message that is safe to show the client: it says what is wrong
with the token it sent, never anything about the keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.exceptions import InvalidSubjectError

from creditgraph.access.keys import RemoteKeySet, VerificationKey, keys_from_jwks, pinned
from creditgraph.errors import ConfigurationError
from creditgraph.identifiers import (
    InvalidIdentifier,
    is_resident_id,
    is_uscc,
    validate_resident_id,
    validate_uscc,
)
from creditgraph.requester import AUDIENCE_REFUSED, Furnisher, Requester, Role, Unauthenticated
from creditgraph.secret_files import load_or_create_secret
from creditgraph.settings import DEFAULT_FURNISHING_AUDIENCE, JwtSettings

__all__ = [
    "DEFAULT_LIFETIME_SECONDS",
    "FURNISHER_ROLE_CLAIM",
    "LEEWAY_SECONDS",
    "MAX_LIFETIME_SECONDS",
    "SIGNING_KEY_FILE",
    "TokenVerifier",
    "mint_demo_token",
    "mint_furnisher_token",
]

#: The role claim is lower-case in the token (README.md, "Requester tokens"), upper-case in the
#: code.
_ROLE_CLAIMS: Final[Mapping[str, Role]] = {
    "subject": "SUBJECT",
    "bank": "BANK",
    "government": "GOVERNMENT",
}
_REQUIRED_CLAIMS: Final = ("iss", "aud", "sub", "role", "exp", "iat")

#: The role claim of a furnisher's token. It is no requester role: a furnisher's token is for
#: the furnishing audience only, and the gateway's verifier refuses it (audience and role both).
FURNISHER_ROLE_CLAIM: Final = "furnisher"

SIGNING_KEY_FILE: Final = "jwt-signing.key"
_MIN_SECRET_BYTES: Final = 32
_DEMO_ALGORITHM: Final = "HS256"

#: Clock skew tolerated between the token's issuer and this gateway, in seconds.
LEEWAY_SECONDS: Final = 30
DEFAULT_LIFETIME_SECONDS: Final = 3600
#: The longest a demo token may live: long enough for a demo, short enough to expire.
MAX_LIFETIME_SECONDS: Final = 30 * 24 * 3600

# Bounds that keep a hostile header cheap to refuse and an operator's name fit for an audit log.
_MAX_AUTHORIZATION_CHARS: Final = 8192
_MAX_OPERATOR_CHARS: Final = 128


class _UnknownKey(Unauthenticated):
    """The token names a kid the verifier does not hold (yet: a key set at a URL may)."""


class TokenVerifier:
    """Turns an Authorization header into a `Requester`, or refuses it.

    Built once (its keys are read at construction, so a bad key file stops the server from
    starting rather than refusing every request later) and then used for every request.
    With a JWKS URL (`remote`) the keys are fetched and kept fresh by `RemoteKeySet`; the
    server's requests go through `authenticate`, which fetches the set at once, off the event
    loop, when a token names a key it does not hold yet.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        key: VerificationKey | None = None,
        keys_by_id: Mapping[str, VerificationKey] | None = None,
        remote: RemoteKeySet | None = None,
        furnishing_audience: str = DEFAULT_FURNISHING_AUDIENCE,
    ) -> None:
        if sum(given is not None for given in (key, keys_by_id, remote)) != 1:
            raise ValueError("give one key, keys by id, or a remote key set")
        self._issuer = issuer
        self._audience = audience
        self._furnishing_audience = furnishing_audience
        self._key = key
        self._keys_by_id = dict(keys_by_id or {})
        self._remote = remote

    @classmethod
    def from_settings(
        cls,
        home: Path,
        env: Mapping[str, str] | None = None,
        *,
        furnishing: bool = False,
        settings: JwtSettings | None = None,
    ) -> TokenVerifier:
        """The verifier the settings describe; in demo mode this creates the demo key if needed.

        `furnishing`: check furnishers' tokens (their own audience) instead of requesters'
        (see `for_furnishing`). `settings`: the configuration's (a server passes its own);
        else read from `env`.

        Raises ConfigurationError when a configured key file cannot be read or holds no usable
        key. A JWKS URL starts being fetched here, on a thread of its own.
        """
        settings = settings or JwtSettings.from_env(env)
        common: dict[str, Any] = {
            "issuer": settings.issuer,
            "audience": settings.audience,
            "furnishing_audience": settings.furnishing_audience,
        }
        if settings.public_key is not None:
            verifier = cls(key=_load_public_key(settings.public_key), **common)
        elif settings.jwks_url is not None:
            remote = RemoteKeySet(
                settings.jwks_url,
                refresh_seconds=settings.jwks_refresh,
                cooldown_seconds=settings.jwks_cooldown,
            )
            verifier = cls(remote=remote, **common)
        elif settings.jwks is not None:
            verifier = cls(keys_by_id=_load_jwks(settings.jwks), **common)
        else:
            demo = VerificationKey(_demo_secret(home), _DEMO_ALGORITHM)
            verifier = cls(key=demo, **common)
        return verifier.for_furnishing() if furnishing else verifier

    def for_furnishing(self) -> TokenVerifier:
        """A verifier of furnishers' tokens: their own audience, the same keys, since one
        identity provider issues both kinds (and a JWKS URL is then fetched once, not twice)."""
        return TokenVerifier(
            issuer=self._issuer,
            audience=self._furnishing_audience,
            key=self._key,
            keys_by_id=self._keys_by_id if self._key is None and self._remote is None else None,
            remote=self._remote,
            furnishing_audience=self._furnishing_audience,
        )

    def close(self) -> None:
        """Stop keeping a JWKS URL's keys fresh (nothing to do for keys read from files)."""
        if self._remote is not None:
            self._remote.close()

    def verify(self, authorization: str | None) -> Requester | None:
        """The requester the header proves; None when there is no header (anonymous).

        A header that is present but wrong in any way raises Unauthenticated: a client that
        tried to authenticate and failed must hear so, not be served as anonymous. Only the
        keys held now are used; `authenticate` may fetch a JWKS URL's new key first.
        """
        if authorization is None:
            return None
        return _requester(self._claims(authorization))

    def verify_furnisher(self, authorization: str | None) -> Furnisher:
        """The furnisher the header proves (a verifier built with `furnishing=True`).

        There is no anonymous furnishing: no header is refused like a bad one.
        """
        if authorization is None:
            raise Unauthenticated("furnishing needs a furnisher's token")
        return _furnisher(self._claims(authorization))

    async def authenticate(self, authorization: str | None) -> Requester | None:
        """`verify`, for a server: a token naming a key not held yet fetches the JWKS URL."""
        try:
            return self.verify(authorization)
        except _UnknownKey:
            if self._remote is None:
                raise
            await self._remote.fetch_unknown()
        return self.verify(authorization)

    async def authenticate_furnisher(self, authorization: str | None) -> Furnisher:
        """`verify_furnisher`, for a server, fetching a new key as `authenticate` does."""
        try:
            return self.verify_furnisher(authorization)
        except _UnknownKey:
            if self._remote is None:
                raise
            await self._remote.fetch_unknown()
        return self.verify_furnisher(authorization)

    def _claims(self, authorization: str) -> dict[str, Any]:
        """The claims of the header's token, once its signature, issuer, audience and times hold."""
        token = _bearer_token(authorization)
        key = self._key_for(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": list(_REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(_refusal(exc)) from None
        return claims

    def _key_for(self, token: str) -> VerificationKey:
        """The key this token must be signed with; the token's own header only picks by `kid`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("token malformed") from None
        if self._key is not None:
            key = self._key
        else:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise Unauthenticated("token names no signing key (kid)")
            held = self._keys_by_id if self._remote is None else self._remote.keys
            found = held.get(kid)
            if found is None:
                raise _UnknownKey(self._unknown_kid())
            key = found
        if header.get("alg") != key.algorithm:
            raise Unauthenticated("token algorithm not accepted")
        return key

    def _unknown_kid(self) -> str:
        """Why a kid is not found: unknown, or the provider's key set could not be had."""
        if self._remote is not None and self._remote.failure is not None:
            return (
                "token signing key (kid) unknown: the identity provider's key set "
                "could not be fetched"
            )
        return "token signing key (kid) unknown"


def mint_demo_token(
    home: Path,
    role: Role,
    identifier: str,
    operator: str | None,
    *,
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
    env: Mapping[str, str] | None = None,
    settings: JwtSettings | None = None,
    now: float | None = None,
    representative: str | None = None,
) -> str:
    """A demo token for this requester, signed with the demo key under `home`.

    `representative`: for an organisation (role SUBJECT, `identifier` its unified social
    credit code), the resident identity number of its legal representative.

    Everything a verifier would check is checked here first, so a token that is minted is a
    token that is accepted. Raises ConfigurationError for a bad request (wrong identifier kind,
    missing operator, a lifetime out of range) and when an identity provider is configured:
    then only that provider issues tokens.
    """
    settings = _demo_settings(settings or JwtSettings.from_env(env))
    claim_role = _claim_role(role)
    try:
        if role == "SUBJECT" and representative is None:
            validate_resident_id(identifier)
        else:
            validate_uscc(identifier)
        if representative is not None:
            validate_resident_id(representative)
    except InvalidIdentifier as exc:
        raise ConfigurationError(str(exc)) from None
    problem = _operator_problem(role, operator) or _representative_problem(role, representative)
    if problem is not None:
        raise ConfigurationError(problem)
    _check_lifetime(lifetime_seconds)
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": identifier,
        "role": claim_role,
        "iat": issued,
        "exp": issued + lifetime_seconds,
    }
    if operator is not None:
        claims["operator"] = operator
    if representative is not None:
        claims["representative"] = representative
    return jwt.encode(claims, _demo_secret(home), algorithm=_DEMO_ALGORITHM)


def mint_furnisher_token(
    home: Path,
    institution: str,
    operator: str | None,
    *,
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
    env: Mapping[str, str] | None = None,
    settings: JwtSettings | None = None,
    now: float | None = None,
) -> str:
    """A demo furnishing token for an institution, signed with the demo key under `home`.

    Its audience is the furnishing one, so it opens no report; the gateway's reading tokens
    open no furnishing. Raises ConfigurationError as `mint_demo_token` does.
    """
    settings = _demo_settings(settings or JwtSettings.from_env(env))
    try:
        validate_uscc(institution)
    except InvalidIdentifier as exc:
        raise ConfigurationError(str(exc)) from None
    problem = _operator_text_problem(operator)
    if problem is not None:
        raise ConfigurationError(problem)
    _check_lifetime(lifetime_seconds)
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.furnishing_audience,
        "sub": institution,
        "role": FURNISHER_ROLE_CLAIM,
        "iat": issued,
        "exp": issued + lifetime_seconds,
    }
    if operator is not None:
        claims["operator"] = operator
    return jwt.encode(claims, _demo_secret(home), algorithm=_DEMO_ALGORITHM)


def _demo_settings(settings: JwtSettings) -> JwtSettings:
    """The settings, refused when an identity provider (not creditgraph) issues tokens."""
    if not settings.demo:
        if settings.public_key is not None:
            variable = "CREDITGRAPH_JWT_PUBLIC_KEY"
        elif settings.jwks is not None:
            variable = "CREDITGRAPH_JWT_JWKS"
        else:
            variable = "CREDITGRAPH_JWT_JWKS_URL"
        raise ConfigurationError(
            f"{variable} is set, so tokens come from that identity provider; "
            "creditgraph can mint only demo tokens, with no provider configured"
        )
    return settings


def _check_lifetime(lifetime_seconds: int) -> None:
    if not 1 <= lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise ConfigurationError(
            f"a token lives 1 to {MAX_LIFETIME_SECONDS} seconds (30 days), not {lifetime_seconds}"
        )


def _claim_role(role: Role) -> str:
    for claim, named in _ROLE_CLAIMS.items():
        if named == role:
            return claim
    raise ConfigurationError(f"role must be one of SUBJECT, BANK, GOVERNMENT, not {role!r}")


def _demo_secret(home: Path) -> bytes:
    return load_or_create_secret(home / SIGNING_KEY_FILE, min_bytes=_MIN_SECRET_BYTES)


# --- checking a token -----------------------------------------------------------------------


def _bearer_token(authorization: str) -> str:
    if len(authorization) > _MAX_AUTHORIZATION_CHARS:
        raise Unauthenticated("Authorization header too long")
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated("Authorization must use the Bearer scheme")
    token = rest.strip()
    if not token:
        raise Unauthenticated("Bearer token missing")
    if token.count(".") != 2 or any(char.isspace() for char in token):
        raise Unauthenticated("token malformed")
    return token


def _refusal(exc: jwt.PyJWTError) -> str:
    """The client-safe message for what PyJWT found wrong (most specific class first)."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "token not yet valid"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "token signature invalid"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "token algorithm not accepted"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token lacks the {exc.claim} claim"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "token issuer not accepted"
    if isinstance(exc, jwt.InvalidAudienceError):
        return AUDIENCE_REFUSED
    if isinstance(exc, jwt.InvalidIssuedAtError):
        return "token iat claim invalid"
    if isinstance(exc, InvalidSubjectError):
        return "token sub claim invalid"
    if isinstance(exc, jwt.DecodeError):
        return "token malformed"
    return "token invalid"


def _requester(claims: Mapping[str, Any]) -> Requester:
    """The requester a verified token's claims describe, refused if they do not fit together."""
    role_claim = claims["role"]
    role = _ROLE_CLAIMS.get(role_claim) if isinstance(role_claim, str) else None
    if role is None:
        raise Unauthenticated("token role unknown")
    identifier = claims["sub"]
    representative = claims.get("representative")
    if role == "SUBJECT" and representative is None:
        if not is_resident_id(identifier):
            raise Unauthenticated("token sub is not a valid resident identity number")
    elif not is_uscc(identifier):
        raise Unauthenticated("token sub is not a valid unified social credit code")
    operator = claims.get("operator")
    problem = _operator_problem(role, operator) or _representative_problem(role, representative)
    if problem is not None:
        raise Unauthenticated(f"token refused: {problem}")
    assert operator is None or isinstance(operator, str)  # _operator_problem guarantees it
    assert representative is None or isinstance(representative, str)  # and this one that
    return Requester(role, identifier, operator, representative)


def _furnisher(claims: Mapping[str, Any]) -> Furnisher:
    """The furnisher a verified furnishing token's claims describe, or Unauthenticated."""
    if claims["role"] != FURNISHER_ROLE_CLAIM:
        raise Unauthenticated("token is not a furnisher's token")
    institution = claims["sub"]
    if not isinstance(institution, str) or not is_uscc(institution):
        raise Unauthenticated("token sub is not a valid unified social credit code")
    operator = claims.get("operator")
    problem = _operator_text_problem(operator)
    if problem is not None:
        raise Unauthenticated(f"token refused: {problem}")
    if "representative" in claims:
        raise Unauthenticated("token refused: a furnisher's token names no representative")
    assert operator is None or isinstance(operator, str)  # _operator_problem guarantees it
    return Furnisher(institution, operator)


def _operator_problem(role: Role, operator: object) -> str | None:
    """What is wrong with the operator for this role, or None; shared by minting and checking."""
    if role == "SUBJECT":
        return None if operator is None else "a subject token carries no operator"
    if operator is None:
        return "a bank token needs an operator" if role == "BANK" else None
    return _operator_text_problem(operator)


def _operator_text_problem(operator: object) -> str | None:
    """What is wrong with an operator's name as a token carries it (when it carries one)."""
    if operator is None:
        return None
    if (
        not isinstance(operator, str)
        or not operator
        or operator != operator.strip()
        or len(operator) > _MAX_OPERATOR_CHARS
        or not operator.isprintable()
    ):
        return (
            f"the operator must be 1 to {_MAX_OPERATOR_CHARS} printable characters "
            "with no surrounding spaces"
        )
    return None


def _representative_problem(role: Role, representative: object) -> str | None:
    """What is wrong with the representative claim, or None; shared by minting and checking.

    Only an organisation's subject token names one (the identifier being then checked as a
    unified social credit code), and it must be a person: a resident identity number.
    """
    if representative is None:
        return None
    if role != "SUBJECT":
        return "only an organisation's subject token names a representative"
    if not isinstance(representative, str) or not is_resident_id(representative):
        return "the representative must be a valid resident identity number"
    return None


# --- loading an identity provider's keys ------------------------------------------------------


def _load_public_key(path: Path) -> VerificationKey:
    origin = f"CREDITGRAPH_JWT_PUBLIC_KEY {path}"
    data = _read(path, origin)
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(f"{origin} is not a PEM public key") from None
    return pinned(key, origin)


def _load_jwks(path: Path) -> dict[str, VerificationKey]:
    """The signing keys of a JWKS file (`keys_from_jwks` says which are taken)."""
    origin = f"CREDITGRAPH_JWT_JWKS {path}"
    try:
        document = json.loads(_read(path, origin))
    except ValueError:
        raise ConfigurationError(f"{origin} is not JSON") from None
    return keys_from_jwks(document, origin)


def _read(path: Path, origin: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"{origin} cannot be read: {reason}") from None
