"""Subgraphs behind HTTP: pooled keep-alive connections, the internal credential attached.

Each subgraph's URL comes from the supergraph (`join__graph(url:)`), or an
override when the deployment knows better. Every request carries a credential
addressed to that subgraph alone; one is reused for half its lifetime, so
signing does not cost a JWT per fetch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from creditgraph.access.tokens import Requester
from creditgraph.gateway.transports._base import SubgraphUnavailable
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
        self._credentials: dict[str, tuple[float, str]] = {}
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            timeout=httpx.Timeout(None),
        )

    def _credential(self, subgraph: str) -> str | None:
        if self._secret is None:
            return None
        now = time.time()
        cached = self._credentials.get(subgraph)
        if cached is not None and now - cached[0] < credential.LIFETIME_SECONDS / 2:
            return cached[1]
        token = credential.issue(self._secret, subgraph, now=now)
        self._credentials[subgraph] = (now, token)
        return token

    def acting_for(self, requester: Requester | None) -> HTTPTransport:
        """Unchanged: the requester does not yet travel over HTTP, so a subgraph served
        apart sees none and refuses whatever needs one (the consent mutations)."""
        return self

    async def send(self, subgraph: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        url = self._urls.get(subgraph)
        if not url:
            raise SubgraphUnavailable(f"no URL is configured for subgraph {subgraph!r}")
        headers = {"content-type": "application/json", "accept": _ACCEPT}
        token = self._credential(subgraph)
        if token is not None:
            headers[credential.HEADER] = token
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


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return type(exc).__name__
