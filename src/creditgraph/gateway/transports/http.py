"""Subgraphs behind HTTP: pooled keep-alive connections, the internal credential attached.

Each subgraph's URL comes from the supergraph (`join__graph(url:)`), or an
override when the deployment knows better. Every request carries a credential
addressed to that subgraph alone and, when the gateway calls on a requester's
behalf (`acting_for`), naming that requester (see subgraphs/credential.py), so
a subgraph served apart knows who is asking exactly as an in-process one does.
The transport itself calls for no one (the gateway's own lookups); the views
`acting_for` returns share its connections.

A credential is signed for every fetch: signing costs a few tens of
microseconds, about 1% of the gateway's own CPU time for a report of four
fetches, too little to justify keeping signed credentials per requester
across requests. Each then arrives with its whole minute to live.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from creditgraph.access.tokens import Requester
from creditgraph.gateway.transports._base import SubgraphUnavailable, Transport
from creditgraph.subgraphs import credential

_ACCEPT = "application/graphql-response+json, application/json"


class HTTPTransport:
    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        secret: bytes | None,
        max_connections: int = 100,
    ) -> None:
        self._urls = dict(urls)
        self._secret = secret
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            timeout=httpx.Timeout(None),
        )

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
        # built from scratch for every request: nothing a client sent the gateway is passed on
        headers = {"content-type": "application/json", "accept": _ACCEPT}
        if self._secret is not None:
            headers[credential.HEADER] = credential.issue(
                self._secret, subgraph, requester=requester
            )
        body = orjson.dumps({"query": document, "variables": variables})
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SubgraphUnavailable(_describe(exc)) from None
        if response.status_code in (401, 403):
            raise SubgraphUnavailable("it refused the gateway's credential")
        try:
            decoded = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise SubgraphUnavailable(
                f"HTTP {response.status_code} without a GraphQL response"
            ) from None
        if not isinstance(decoded, dict) or ("data" not in decoded and "errors" not in decoded):
            raise SubgraphUnavailable(f"HTTP {response.status_code} without a GraphQL response")
        if response.status_code >= 500 and decoded.get("data") is None:
            raise SubgraphUnavailable(f"HTTP {response.status_code}")
        return decoded

    async def aclose(self) -> None:
        await self._client.aclose()


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


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return type(exc).__name__
