"""`GET /live`: a requester's notices as server-sent events, authenticated by their token.

The token travels in the Authorization header, as for `/graphql` (a browser reads the
stream with fetch; EventSource cannot send the header). A subject token follows its
subject's notices; a bank's or a government body's token follows its institution's
(`institution:CODE`: the joint-measure notices due to it, live/measures.py); a furnishing
credential follows nothing (it reports, it does not read).

A request to follow passes the same stages as a GraphQL request, from the same pipeline
(gateway/stages/): its token proven by the authentication middleware, its rate taken by the
limit stage, its token's claims confirmed by the authorise stage, and the request recorded
by the record stage, a refusal as one (with its codes) and an opened stream as the
requester following a topic. A stream whose entry cannot be written is not opened.

Every stream is bounded before it starts: the hub's room (RATE_LIMITED past it), a
lifetime of `MAX_SECONDS` after which the stream ends (the client reconnects, with a token
that must still be valid) and `MAX_NOTICES` notices. A comment line every
`KEEPALIVE_SECONDS` keeps proxies from closing it.

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
from typing import Any, Final

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from creditgraph.gateway.errors import request_errors
from creditgraph.gateway.stages.admission import Admission, admit
from creditgraph.gateway.stages.pipeline import Pipeline
from creditgraph.live.hub import CLOSED, LiveFull, LiveHub
from creditgraph.live.measures import institution_topic
from creditgraph.middleware.authentication import Authentication
from creditgraph.requester import Requester, Unauthenticated

MAX_SECONDS: Final = 600.0
MAX_NOTICES: Final = 1000
KEEPALIVE_SECONDS: Final = 15.0

#: What the audit log names a request to follow as (its `operation`).
OPERATION: Final = "GET /live"

Topic = Callable[[Requester], str | None]


def requester_topic(requester: Requester) -> str | None:
    """A subject follows their own notices; a bank or a government body the notices due to
    its institution; anyone else (a furnisher) nothing."""
    if requester.role == "SUBJECT":
        return requester.identifier
    if requester.role in ("BANK", "GOVERNMENT"):
        return institution_topic(requester.identifier)
    return None


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
    hub: LiveHub, pipeline: Pipeline[Any], topic: Topic = requester_topic
) -> list[BaseRoute]:
    """`/live` over `hub`, through `pipeline`'s stages, each requester's topic named by `topic`.

    A token is followed only once the authorise stage confirms its claims: a signed token
    naming a person for an organisation who is not its legal representative follows nothing
    of it, here as at `/graphql`."""

    async def live(request: Request) -> Response:
        admitted = await admit(pipeline, request, OPERATION, "the live channel needs a token")
        if not isinstance(admitted, Admission):
            return admitted
        requester = admitted.requester
        try:
            await pipeline.authorise.confirm(requester)
        except Unauthenticated as exc:
            challenge = {"www-authenticate": "Bearer"}
            return await admitted.refuse(401, str(exc), "UNAUTHENTICATED", challenge)
        followed = topic(requester)
        if followed is None:
            return await admitted.refuse(403, "no live notices for this requester", "FORBIDDEN")
        stream = hub.follow(followed)
        try:
            queue = await stream.__aenter__()
        except LiveFull:
            busy = "too many live streams; try again later"
            return await admitted.refuse(429, busy, "RATE_LIMITED")
        try:
            unrecorded = await pipeline.record.admit(
                admitted.request_id, requester, OPERATION, followed
            )
        except BaseException:
            await stream.__aexit__(None, None, None)
            raise
        if unrecorded is not None:  # nothing is followed unrecorded
            await stream.__aexit__(None, None, None)
            headers = {"cache-control": "no-store"}
            return JSONResponse(request_errors(unrecorded), status_code=500, headers=headers)

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

    # the first stage, authenticate, wraps the route as it wraps `/graphql`
    authenticate = [Middleware(Authentication, authenticator=pipeline.authenticate)]
    return [Route("/live", live, methods=["GET"], middleware=authenticate)]
