"""Subgraphs behind HTTP: pooled keep-alive connections, the internal credential attached.

Each subgraph's URL comes from the supergraph (`join__graph(url:)`), or an
override when the deployment knows better. Every request carries a credential
addressed to that subgraph alone and, when the gateway calls on a requester's
behalf (`acting_for`), naming that requester (see subgraphs/credential.py), so
a subgraph served apart knows who is asking exactly as an in-process one does.
The transport itself calls for no one (the gateway's own lookups); the views
`acting_for` returns share its connections and signed credentials.

A credential is reused for REUSE_SECONDS per subgraph and requester, so the
fetches of one request, and a requester's next few requests, share one
signature: signing every fetch measured at about 6% of the gateway's CPU time
for a four-fetch report. A few seconds is enough for that and keeps the store
small (one credential per subgraph for each requester seen in the last few
seconds; stale ones are dropped as new ones are signed), and a reused
credential still has most of its minute left when it arrives.

A mutation's fetches carry the hold of the unit the gateway lent
(gateway/writes.py) in their credential, so the subgraph leaves its writes
pending until the gateway has recorded the request.

The client is aiohttp's, chosen by measurement (bench/gateway_bound.py): httpx's
pool looked at every idle connection on every request, which under load took
most of the gateway's CPU; aiohttp's takes the next idle one off a queue.
Timeouts are the executor's (one deadline per fetch, `asyncio.timeout`), so the
client sets none of its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
import orjson

from creditgraph import tracing
from creditgraph.gateway import writes
from creditgraph.gateway.transports._base import SubgraphUnavailable, Transport
from creditgraph.request_id import REQUEST_ID_HEADER, current_request_id
from creditgraph.requester import Requester
from creditgraph.subgraphs import credential

_ACCEPT = "application/graphql-response+json, application/json"
REUSE_SECONDS: Final = 5.0


class _Credentials:
    """Signed credentials by (subgraph, requester), each reused for REUSE_SECONDS."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._signed: dict[tuple[str, Requester | None], tuple[float, str]] = {}
        self._next_sweep = 0.0

    def for_request(self, subgraph: str, requester: Requester | None) -> str:
        now = time.time()
        key = (subgraph, requester)
        cached = self._signed.get(key)
        if cached is not None and now - cached[0] < REUSE_SECONDS:
            return cached[1]
        if now >= self._next_sweep:
            self._sweep(now)
        token = credential.issue(self._secret, subgraph, requester=requester, now=now)
        self._signed[key] = (now, token)
        return token

    def holding(self, subgraph: str, requester: Requester | None, hold: str) -> str:
        """A credential naming a mutation's hold, where its writes wait for the audit entry."""
        return credential.issue(self._secret, subgraph, requester=requester, hold=hold)

    def _sweep(self, now: float) -> None:
        """Forget credentials too old to reuse, so requesters gone quiet cost no memory."""
        self._signed = {
            key: signed for key, signed in self._signed.items() if now - signed[0] < REUSE_SECONDS
        }
        self._next_sweep = now + REUSE_SECONDS


class HTTPTransport:
    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        secret: bytes | None,
        max_connections: int = 100,
    ) -> None:
        self._urls = dict(urls)
        self._credentials = None if secret is None else _Credentials(secret)
        self._max_connections = max_connections
        self._client: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        """The connection pool, opened on first use: aiohttp binds it to the running loop."""
        if self._client is None:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=aiohttp.ClientTimeout(total=None),
                # subgraphs set no cookies the gateway should keep
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._client

    def acting_for(self, requester: Requester | None) -> Transport:
        """A view of this transport whose every request names `requester` in its credential."""
        return _ActingFor(self, requester)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.send_for(None, subgraph, document, variables)

    async def send_for(
        self,
        requester: Requester | None,
        subgraph: str,
        document: str,
        variables: dict[str, Any],
    ) -> dict[str, Any]:
        """One request to `subgraph` on `requester`'s behalf (None: the gateway's own)."""
        url = self._urls.get(subgraph)
        if not url:
            raise SubgraphUnavailable(f"no URL is configured for subgraph {subgraph!r}")
        # built from scratch for every request: of what a client sent the gateway, only the
        # request id is passed on (RequestLog has checked it is short, printable ASCII), so
        # a subgraph's log line for this fetch carries the id the client was given; and the
        # trace, as the fetch's own span
        headers = {"content-type": "application/json", "accept": _ACCEPT}
        request_id = current_request_id()
        if request_id is not None:
            headers[REQUEST_ID_HEADER] = request_id
        # the fetch's span, so a subgraph served apart continues the request's trace
        tracing.inject(headers)
        unit = writes.lent()
        if self._credentials is not None:
            headers[credential.HEADER] = (
                self._credentials.for_request(subgraph, requester)
                if unit is None
                # a mutation's: its hold is this request's alone, so signed for it, never reused
                else self._credentials.holding(subgraph, requester, unit.hold)
            )
        body = orjson.dumps({"query": document, "variables": variables})
        try:
            async with self._session().post(url, data=body, headers=headers) as response:
                status = response.status
                content = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SubgraphUnavailable(_describe(exc)) from None
        if status in (401, 403):
            raise SubgraphUnavailable("it refused the gateway's credential")
        try:
            decoded = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise SubgraphUnavailable(f"HTTP {status} without a GraphQL response") from None
        if not isinstance(decoded, dict) or ("data" not in decoded and "errors" not in decoded):
            raise SubgraphUnavailable(f"HTTP {status} without a GraphQL response")
        if status >= 500 and decoded.get("data") is None:
            raise SubgraphUnavailable(f"HTTP {status}")
        return decoded

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


class _ActingFor:
    """One request's view of an HTTPTransport: the same connections, its requester named."""

    def __init__(self, transport: HTTPTransport, requester: Requester | None) -> None:
        self._transport = transport
        self._requester = requester

    def acting_for(self, requester: Requester | None) -> Transport:
        return _ActingFor(self._transport, requester)

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self._transport.send_for(self._requester, subgraph, document, variables)

    async def aclose(self) -> None:
        """The connections belong to the transport, which closes them."""


def _describe(exc: aiohttp.ClientError | TimeoutError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__
