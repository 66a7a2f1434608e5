"""An identity provider's JWKS endpoint on localhost, whose keys a test rotates.

A real HTTP server (the standard library's, on a thread): it answers `GET /jwks.json` with
the keys published at that moment and counts the fetches, so a test can see when the gateway
fetched and when it did not. `failing` makes it answer 503, as a provider in trouble does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from creditgraph.seed.personas import EASTBRIDGE_BANK
from creditgraph.settings import DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER


class SigningKey:
    """A provider's RSA key pair under a kid: signs tokens, and publishes as a JWK."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def bank_token(self) -> str:
        """A bank operator's token, as the provider issues it."""
        now = int(time.time())
        claims = {
            "iss": DEFAULT_JWT_ISSUER,
            "aud": DEFAULT_JWT_AUDIENCE,
            "sub": EASTBRIDGE_BANK.code,
            "role": "bank",
            "operator": "loan officer 7",
            "iat": now,
            "exp": now + 600,
        }
        return jwt.encode(claims, self._private, "RS256", headers={"kid": self.kid})


class JwksServer:
    def __init__(self) -> None:
        self.published: list[SigningKey] = []
        self.failing = False
        self._fetches = 0
        self._lock = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server._fetches += 1
                    server._lock.notify_all()
                    body = json.dumps({"keys": [key.jwk() for key in server.published]})
                    status = 503 if server.failing else 200
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/jwks.json"

    def publish(self, *keys: SigningKey) -> None:
        with self._lock:
            self.published = list(keys)

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    def wait_for_fetches(self, count: int, timeout: float = 60) -> None:
        """Until the endpoint has been fetched `count` times in all (fails after `timeout`)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._fetches >= count, timeout):
                raise AssertionError(f"the JWKS was fetched {self._fetches} times, not {count}")


@contextmanager
def jwks_server(*keys: SigningKey) -> Iterator[JwksServer]:
    server = JwksServer()
    server.publish(*keys)
    thread = threading.Thread(target=server._http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server._http.shutdown()
        server._http.server_close()
