"""`GET /live`: a requester's notices as server-sent events, authenticated by their token.

The token travels in the Authorization header, as for `/graphql` (a browser reads the
stream with fetch; EventSource cannot send the header). A subject token follows its
subject's notices; a bank's or a government body's token follows its institution's
(`institution:CODE`: the joint-measure notices due to it, live/measures.py). Every stream is
bounded before it starts: the hub's room (RATE_LIMITED past it), a lifetime of
`MAX_SECONDS` after which the stream ends (the client reconnects, with a token that must
still be valid) and `MAX_NOTICES` notices. A comment line every `KEEPALIVE_SECONDS` keeps
proxies from closing it.

Each event is `event: notice` with `data: {"kind": "inquiry"|"record"}`: what changed,
never what it is. The client asks the API again for that. An institution's event names the
subject it is about, `{"kind": "measureNotice", "subject": …}`: it follows many, and the
API shows it that subject's notices only as its edition allows.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from creditgraph.gateway.errors import error, request_errors
from creditgraph.live.hub import CLOSED, LiveFull, LiveHub
from creditgraph.live.measures import institution_topic
from creditgraph.requester import Requester, RequesterVerifier, Unauthenticated

MAX_SECONDS: Final = 600.0
MAX_NOTICES: Final = 1000
KEEPALIVE_SECONDS: Final = 15.0

Topic = Callable[[Requester], str | None]
Confirm = Callable[[Requester], Awaitable[None]]
"""Checks the claims of a token that only the database can check (an organisation's
representative), raising Unauthenticated, as `/graphql` does before it runs anything."""


def requester_topic(requester: Requester) -> str | None:
    """A subject follows their own notices; an institution the notices due to it."""
    if requester.role == "SUBJECT":
        return requester.identifier
    return institution_topic(requester.identifier)


def _refused(message: str, code: str, status: int) -> JSONResponse:
    headers = {"cache-control": "no-store"}
    if status == 401:
        headers["www-authenticate"] = "Bearer"
    return JSONResponse(request_errors([error(message, code)]), status_code=status, headers=headers)


class _Following(StreamingResponse):
    """A stream that gives its place in the hub back however it ends: run out, closed by
    the client (Starlette cancels the sending), or failed."""

    def __init__(self, events: AsyncIterator[str], release: Callable[[], Awaitable[None]]):
        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()


def live_routes(
    hub: LiveHub, verifier: RequesterVerifier, confirm: Confirm, topic: Topic = requester_topic
) -> list[BaseRoute]:
    """`/live` over `hub`, each requester's topic named by `topic`.

    A token is followed only once `confirm` holds its claims: a signed token naming a person
    for an organisation who is not its legal representative follows nothing of it, here as
    at `/graphql`."""

    async def live(request: Request) -> Response:
        try:
            requester = await verifier.authenticate(request.headers.get("authorization"))
            if requester is not None:
                await confirm(requester)
        except Unauthenticated as exc:
            return _refused(str(exc), "UNAUTHENTICATED", 401)
        if requester is None:
            return _refused("the live channel needs a bearer token", "UNAUTHENTICATED", 401)
        followed = topic(requester)
        if followed is None:
            return _refused("no live notices for this requester", "FORBIDDEN", 403)
        stream = hub.follow(followed)
        try:
            queue = await stream.__aenter__()
        except LiveFull:
            return _refused("too many live streams; try again later", "RATE_LIMITED", 429)

        async def events() -> AsyncIterator[str]:
            yield "retry: 5000\n\n"
            ends, sent = time.monotonic() + MAX_SECONDS, 0
            while sent < MAX_NOTICES and (left := ends - time.monotonic()) > 0:
                try:
                    notice = await asyncio.wait_for(queue.get(), min(KEEPALIVE_SECONDS, left))
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if notice is CLOSED:
                    return
                sent += 1
                data = {"kind": notice.kind}
                if notice.subject is not None:
                    data["subject"] = notice.subject
                yield f"event: notice\ndata: {json.dumps(data)}\n\n"

        async def release() -> None:
            await stream.__aexit__(None, None, None)

        return _Following(events(), release)

    return [Route("/live", live, methods=["GET"])]
