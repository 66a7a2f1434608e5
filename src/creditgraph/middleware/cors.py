"""Cross-origin calls from browser apps: an allowlist of origins, preflights answered.

A browser app on another origin sends a preflight (`OPTIONS` with
`Access-Control-Request-Method`) before any call carrying a bearer token or a JSON body.
From an origin of the allowlist (`[cors] allow_origins`) the preflight is answered here,
`204`, with the methods, headers and lifetime the configuration allows; from any other
origin it is answered `403` with no CORS header, so the browser never makes the call. An
actual call from an allowed origin gets `Access-Control-Allow-Origin` (and the exposed
headers) on its answer; from another origin it runs as any request without an `Origin`
does, and its answer carries no CORS header, so the page cannot read it.

Credentials are never allowed with the `*` origin: the configuration refuses it at start
(config/options.py). With credentials the allowed origin is echoed, never `*`, as the
Fetch standard requires; every answer that depends on the origin says `Vary: Origin`.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditgraph.config import Config
from creditgraph.config import options as o

METHODS = ("GET", "POST")
# Headers a browser sends without asking (the CORS-safelisted request headers).
_SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins may call, with what, and for how long a preflight's answer holds."""

    origins: tuple[str, ...]
    allow_credentials: bool
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int

    @classmethod
    def from_config(cls, config: Config) -> CorsPolicy | None:
        """The policy the `[cors]` section declares; None when it allows no origin."""
        origins = config[o.CORS_ALLOW_ORIGINS]
        if not origins:
            return None
        return cls(
            origins=origins,
            allow_credentials=config[o.CORS_ALLOW_CREDENTIALS],
            allow_headers=tuple(h.lower() for h in config[o.CORS_ALLOW_HEADERS]),
            expose_headers=tuple(h.lower() for h in config[o.CORS_EXPOSE_HEADERS]),
            max_age=config[o.CORS_MAX_AGE],
        )

    def allows(self, origin: str) -> bool:
        origin = origin.lower()
        for allowed in self.origins:
            if allowed in ("*", origin):
                return True
            scheme, _, pattern = allowed.partition("://*.")
            if pattern and origin.startswith(f"{scheme}://") and origin.endswith(f".{pattern}"):
                return True
        return False

    def allow_origin(self, origin: str) -> str:
        """The value of `Access-Control-Allow-Origin` for an allowed `origin`."""
        if "*" in self.origins and not self.allow_credentials:
            return "*"
        return origin


class Cors:
    """The ASGI middleware applying a `CorsPolicy` to every HTTP request."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and (
            scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        ):
            await self._preflight(origin, headers, send)
            return
        if origin is None or not self.policy.allows(origin):
            await self.app(scope, receive, self._varying(send))
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = MutableHeaders(scope=message)
                self._allow(response, origin)
                if self.policy.expose_headers:
                    exposed = ", ".join(self.policy.expose_headers)
                    response["access-control-expose-headers"] = exposed
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _varying(self, send: Send) -> Send:
        """`send`, saying `Vary: Origin` on an answer with no CORS headers whenever another
        origin's answer would carry some: a shared cache must not hand this one to an allowed
        origin, nor an allowed origin's to anyone else."""
        if self.policy.allow_origin("") == "*":
            return send

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).add_vary_header("Origin")
            await send(message)

        return send_varying

    def _allow(self, response: MutableHeaders, origin: str) -> None:
        response["access-control-allow-origin"] = self.policy.allow_origin(origin)
        if self.policy.allow_credentials:
            response["access-control-allow-credentials"] = "true"
        if response["access-control-allow-origin"] != "*":
            response.add_vary_header("Origin")

    async def _preflight(self, origin: str, request: Headers, send: Send) -> None:
        """Answer the preflight: 204 with what is allowed, or 403 saying what is not."""
        method = request["access-control-request-method"].strip().upper()
        asked = request.get("access-control-request-headers", "")
        wanted = {h.strip().lower() for h in asked.split(",") if h.strip()}
        refused = sorted(wanted - set(self.policy.allow_headers) - _SAFELISTED)
        if not self.policy.allows(origin):
            problem = f"origin {origin} is not allowed"
        elif method not in METHODS:
            problem = f"method {method} is not allowed"
        elif refused:
            problem = f"header(s) {', '.join(refused)} not allowed"
        else:
            problem = None
        response = MutableHeaders()
        response.add_vary_header("Origin")
        if problem is None:
            self._allow(response, origin)
            response["access-control-allow-methods"] = ", ".join(METHODS)
            if self.policy.allow_headers:
                response["access-control-allow-headers"] = ", ".join(self.policy.allow_headers)
            response["access-control-max-age"] = str(self.policy.max_age)
        body = b"" if problem is None else f"CORS preflight refused: {problem}\n".encode()
        if body:
            response["content-type"] = "text/plain; charset=utf-8"
        response["content-length"] = str(len(body))
        status = 204 if problem is None else 403
        await send({"type": "http.response.start", "status": status, "headers": response.raw})
        await send({"type": "http.response.body", "body": body})
