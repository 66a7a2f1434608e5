"""Every HTTP request gets an id, and one JSON log line when it is answered.

The id is the client's `x-request-id` when it is one we can safely repeat
(printable ASCII, at most 128 characters), else a fresh one. It is written
into the request's own headers, so whatever reads `x-request-id` further in
(the audit log's entry for the request) sees the same id, and it is returned
in the response's `x-request-id`, so a client can quote it. While the request
is served it is also `current_request_id()` (request_id.py), which the HTTP transport sends on
to the subgraphs, so their log lines carry the gateway's id.

When tracing is configured (tracing.py), the request is a server span
continuing the client's `traceparent`, with the request id on it.

The log line holds the method, the path (never the query string: a GraphQL
GET carries the query and its variables there), the status and the duration;
never a header, a token, a subject or a query.
"""

from __future__ import annotations

import logging
import time
import uuid

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditgraph import tracing
from creditgraph.observability.logs import FIELDS
from creditgraph.request_id import CURRENT, REQUEST_ID_HEADER

MAX_REQUEST_ID = 128
_HEADER = REQUEST_ID_HEADER.encode("latin-1")

logger = logging.getLogger("creditgraph.requests")


def request_id(offered: bytes | None) -> str:
    """The client's id when it is printable ASCII of at most 128 characters, else a new one."""
    if offered is not None:
        text = offered.decode("latin-1").strip()
        if 0 < len(text) <= MAX_REQUEST_ID and all(" " <= c <= "~" for c in text):
            return text
    return uuid.uuid4().hex


class RequestLog:
    """Plain ASGI middleware (no response buffering): the request id and the request's line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        rid = request_id(next((value for name, value in headers if name == _HEADER), None))
        encoded = rid.encode("latin-1")
        scope = {
            **scope,
            "headers": [(n, v) for n, v in headers if n != _HEADER] + [(_HEADER, encoded)],
        }
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept = [(n, v) for n, v in message.get("headers", ()) if n.lower() != _HEADER]
                message = {**message, "headers": [*kept, (_HEADER, encoded)]}
            await send(message)

        started = time.perf_counter()
        serving = CURRENT.set(rid)
        try:
            with tracing.span(
                f"{scope['method']} {scope['path']}",
                kind=SpanKind.SERVER,
                context=tracing.extract(headers) if tracing.enabled() else None,
                attributes={
                    tracing.REQUEST_ID_ATTRIBUTE: rid,
                    "http.request.method": scope["method"],
                    "url.path": scope["path"],
                },
            ) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        tracing.failed(span, f"HTTP {status}")
        finally:
            CURRENT.reset(serving)
            fields = {
                "request_id": rid,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
            level = logging.ERROR if status >= 500 else logging.INFO
            logger.log(level, "request", extra={FIELDS: fields})
