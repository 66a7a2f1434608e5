"""An identity provider's verification keys: from a PEM file, a JWKS file or a JWKS URL.

Each key is pinned to the one algorithm it may verify (RS256 for an RSA key of at least
2048 bits, ES256 for an EC P-256 key), so a token can never choose how it is checked. A JWKS
(a file or a URL's answer) goes through the same rules either way (`keys_from_jwks`).

A JWKS URL is the form identity providers publish and rotate: `RemoteKeySet` fetches it with
PyJWT's `PyJWKClient` (which reaches http(s) only, follows no redirect and bounds the wait),
always on a thread of its own, never on the event loop:

* every `refresh_seconds`, on its own thread, so a key the provider removed stops verifying
  within that time, and a key it added is there before the first token signed with it;
* at once when a token names a kid the set does not hold (`fetch_unknown`), so a key rotated
  in between is found on its first use; at most once per `cooldown_seconds`, since clients
  choose the kid and must not be able to make the gateway hammer its provider. Concurrent
  requests naming the new kid wait on that one fetch.

A fetch that fails (the provider unreachable, an answer that is not a usable JWKS) is logged
in one line and changes nothing: the last good set is kept, so a provider's outage does not
lock everyone out, and a removed key stays refused. Until a first fetch succeeds there are no
keys, and every token is refused, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from creditgraph import __version__
from creditgraph.errors import ConfigurationError

_RSA_MIN_BITS: Final = 2048
#: How long one fetch of a JWKS URL may take before it counts as failed.
FETCH_TIMEOUT_SECONDS: Final = 10.0

_log = logging.getLogger("creditgraph.tokens")


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A key together with the one algorithm tokens signed by it must use."""

    key: bytes | RSAPublicKey | EllipticCurvePublicKey
    algorithm: str


def pinned(key: object, origin: str) -> VerificationKey:
    """The key with the one algorithm it may verify, or ConfigurationError naming why not."""
    if isinstance(key, RSAPublicKey):
        if key.key_size < _RSA_MIN_BITS:
            raise ConfigurationError(
                f"{origin} is a {key.key_size}-bit RSA key; at least {_RSA_MIN_BITS} bits needed"
            )
        return VerificationKey(key, "RS256")
    if isinstance(key, EllipticCurvePublicKey) and isinstance(key.curve, SECP256R1):
        return VerificationKey(key, "ES256")
    raise ConfigurationError(f"{origin} is neither an RSA key (RS256) nor an EC P-256 key (ES256)")


def keys_from_jwks(document: object, origin: str) -> dict[str, VerificationKey]:
    """The JWKS's signing keys by kid, each pinned to RS256 or ES256.

    Keys meant for something else (encryption, another algorithm or curve) are passed over, as
    a provider's JWKS may well hold some; symmetric (`oct`) keys always are, since a secret
    published in a key set would let anyone sign. A key we would use but cannot (no kid, a
    duplicate kid, private material, a broken key) is a mistake in the set and refuses it
    whole (ConfigurationError naming `origin` and the key).
    """
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f'{origin} is not a JWKS: it needs a non-empty "keys" list')
    keys: dict[str, VerificationKey] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{origin}: key {position} is not a JSON object")
        algorithm = _jwk_algorithm(entry)
        if algorithm is None:
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ConfigurationError(
                f"{origin}: key {position} has no kid, so no token can name it"
            )
        if kid in keys:
            raise ConfigurationError(f"{origin}: kid {kid!r} names two keys")
        if "d" in entry:
            raise ConfigurationError(
                f"{origin}: key {kid!r} holds private key material; publish the public key only"
            )
        try:
            jwk = jwt.PyJWK(entry, algorithm=algorithm)
        except jwt.PyJWTError:
            raise ConfigurationError(f"{origin}: key {kid!r} is not a valid key") from None
        keys[kid] = pinned(jwk.key, f"{origin}: key {kid!r}")
    if not keys:
        raise ConfigurationError(f"{origin} holds no RS256 or ES256 signing key")
    return keys


def _jwk_algorithm(entry: Mapping[str, Any]) -> str | None:
    """RS256 or ES256 when creditgraph would verify tokens with this JWK, else None."""
    if entry.get("use", "sig") != "sig":
        return None
    kty = entry.get("kty")
    if kty == "RSA":
        algorithm = "RS256"
    elif kty == "EC" and entry.get("crv") == "P-256":
        algorithm = "ES256"
    else:
        return None
    declared = entry.get("alg")
    return algorithm if declared is None or declared == algorithm else None


class RemoteKeySet:
    """The signing keys published at a JWKS URL, kept fresh (see the module's docstring).

    `keys` is read by every request and replaced whole by each good fetch, never changed in
    place, so a reader needs no lock. Call `close` to stop the refreshing thread.
    """

    def __init__(self, url: str, *, refresh_seconds: float, cooldown_seconds: float) -> None:
        try:
            self._client = jwt.PyJWKClient(
                url,
                cache_jwk_set=False,  # the set is held here, parsed under our own rules
                timeout=FETCH_TIMEOUT_SECONDS,
                headers={"User-Agent": f"creditgraph/{__version__}"},
            )
        except jwt.PyJWKClientError:
            raise ConfigurationError(
                f"CREDITGRAPH_JWT_JWKS {url} is neither a file nor an http(s) URL"
            ) from None
        self.url = url
        self.keys: Mapping[str, VerificationKey] = {}
        self.failure: str | None = "not fetched yet"
        """Why the last fetch failed, or None when it succeeded."""
        self._refresh_seconds = refresh_seconds
        self._cooldown_seconds = cooldown_seconds
        self._fetching = threading.Lock()  # one fetch at a time, whoever asks
        self._last_on_demand = -math.inf
        self._on_demand: asyncio.Future[object] | None = None
        self._stop = threading.Event()
        self._first = threading.Event()  # set once the first fetch is over, good or not
        self._thread = threading.Thread(target=self._every_interval, name="jwks", daemon=True)
        self._thread.start()

    def refresh(self) -> None:
        """Fetch the set now and keep it if it is good; blocks, so never on the event loop."""
        with self._fetching:
            try:
                keys = keys_from_jwks(self._client.fetch_data(), f"the JWKS at {self.url}")
            except jwt.PyJWKClientError as exc:
                self._failed(f"the JWKS at {self.url} could not be fetched: {exc}")
            except ValueError:
                self._failed(f"the JWKS at {self.url} is not JSON")
            except ConfigurationError as exc:
                self._failed(str(exc))
            else:
                self.keys, self.failure = keys, None

    def _failed(self, reason: str) -> None:
        self.failure = reason
        held = f"the {len(self.keys)} key(s) fetched before are kept" if self.keys else "no keys"
        _log.warning("%s; %s", reason, held)

    async def fetch_unknown(self) -> None:
        """A token named a kid the set does not hold: fetch the set now, off the event loop,
        unless an earlier unknown kid made it fetch less than `cooldown_seconds` ago.

        Requests that arrive while that fetch runs wait for it rather than refusing early, and
        so do those that arrive before the first fetch is done (which uses no cooldown)."""
        if self._on_demand is None:
            if self._first.is_set():
                now = time.monotonic()
                if now - self._last_on_demand < self._cooldown_seconds:
                    return
                self._last_on_demand = now
                work: Callable[[], object] = self.refresh
            else:  # the first fetch is under way: its answer is as fresh as one more would be
                work = self._first.wait
            fetch: asyncio.Future[object] = asyncio.ensure_future(asyncio.to_thread(work))
            self._on_demand = fetch
            fetch.add_done_callback(self._fetched)
        await asyncio.shield(self._on_demand)

    def _fetched(self, fetch: asyncio.Future[object]) -> None:
        if self._on_demand is fetch:
            self._on_demand = None

    def close(self) -> None:
        """Stop refreshing (a fetch under way finishes on its own)."""
        self._stop.set()

    def _every_interval(self) -> None:
        while True:
            self.refresh()
            self._first.set()
            if self._stop.wait(self._refresh_seconds):
                return
