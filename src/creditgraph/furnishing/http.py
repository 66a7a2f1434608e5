"""`POST /furnish`: a furnisher uploads a batch to the gateway over HTTP.

The body is read as it arrives and fed to the pipeline a part at a time, never held whole;
the answer (each rejected line, then the summary, one JSON object a line:
`application/x-ndjson`) is gathered in a spooled temporary file, in memory while small, and
sent once the batch is done, so a batch's answer is as long as it needs to be without
holding memory. `?allOrNothing=true` takes the batch only if every line passes.

The request carries a furnisher's token (`Authorization: Bearer`, the furnishing audience)
and passes the same stages as a GraphQL request, from the same pipeline (gateway/stages/):
the token proven by the authentication middleware (a reading token furnishes nothing), the
rate taken by the limit stage, and every request recorded: a refusal before the batch is
read (a bad token, over the rate, a body that is not JSON Lines or CSV) or as it is read (a
CSV batch without a header to read it by) by the record stage, a batch by the furnishing
pipeline's own entry, which names its submission.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from typing import IO, Any, Final

import asyncpg
import orjson
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from creditgraph.furnishing.pipeline import FurnishingRefused, Rejection, furnish
from creditgraph.furnishing.sources import UnreadableBatch, format_of_media_type, records
from creditgraph.gateway.errors import error, request_errors
from creditgraph.gateway.stages.admission import Admission, admit
from creditgraph.gateway.stages.pipeline import Pipeline
from creditgraph.middleware.authentication import Authentication
from creditgraph.requester import Furnisher

_SPOOL_BYTES: Final = 1 << 20
#: The largest upload taken: a monthly batch of a few million statements. Bigger batches are
#: split; an upload that turns out bigger stops there (its committed parts stay, as after a
#: broken connection, and the rest is sent again).
MAX_UPLOAD_BYTES: Final = 4 << 30
_NDJSON: Final = "application/x-ndjson"
#: What the audit log names an upload (its `operation`), as the pipeline's own entry does.
OPERATION: Final = "furnish:UPLOAD"


def furnishing_routes(pool: asyncpg.Pool, pipeline: Pipeline[Any]) -> list[BaseRoute]:
    """The upload endpoint, through `pipeline`'s stages (its authentication proves
    furnishers' tokens, of the furnishing audience, besides reading ones)."""

    async def upload(request: Request) -> Response:
        admitted = await admit(pipeline, request, OPERATION, "an upload needs a furnishing token")
        if not isinstance(admitted, Admission):
            return admitted
        requester = admitted.requester
        if requester.role != "FURNISHER":
            reason = "an upload needs a furnishing token: a reading token furnishes nothing"
            return await admitted.refuse(401, reason, "UNAUTHENTICATED")
        furnisher = Furnisher(requester.identifier, requester.operator)
        request_id = admitted.request_id
        try:
            fmt = format_of_media_type(request.headers.get("content-type"))
        except UnreadableBatch as exc:
            return await admitted.refuse(415, str(exc), "BAD_USER_INPUT")
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            reason = f"an upload is at most {MAX_UPLOAD_BYTES >> 30} GiB: split it"
            return await admitted.refuse(413, reason, "BAD_USER_INPUT")
        all_or_nothing = request.query_params.get("allOrNothing", "false") == "true"
        # closed by _sent once the answer has gone out, or below on a refusal
        answer = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b")  # noqa: SIM115

        async def write(rejection: Rejection) -> None:
            answer.write(orjson.dumps(rejection.document()) + b"\n")

        try:
            async with pool.acquire() as conn:
                summary = await furnish(
                    conn,
                    furnisher,
                    records(_bounded(request.stream()), fmt),
                    channel="UPLOAD",
                    request_id=request_id,
                    all_or_nothing=all_or_nothing,
                    on_rejection=write,
                )
        except FurnishingRefused as exc:
            answer.close()
            return _error(403, str(exc), "FORBIDDEN")
        except UnreadableBatch as exc:
            answer.close()
            return await admitted.refuse(400, str(exc), "BAD_USER_INPUT")
        answer.write(orjson.dumps({"summary": summary.document()}) + b"\n")
        answer.seek(0)
        return StreamingResponse(_sent(answer), media_type=_NDJSON)

    # the first stage, authenticate, wraps the route as it wraps `/graphql`
    authenticate = [Middleware(Authentication, authenticator=pipeline.authenticate)]
    return [Route("/furnish", upload, methods=["POST"], middleware=authenticate)]


async def _bounded(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    taken = 0
    async for piece in stream:
        taken += len(piece)
        if taken > MAX_UPLOAD_BYTES:
            raise UnreadableBatch(f"an upload is at most {MAX_UPLOAD_BYTES >> 30} GiB: split it")
        yield piece


async def _sent(answer: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while piece := answer.read(_SPOOL_BYTES):
            yield piece
    finally:
        answer.close()


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(request_errors([error(message, code)]), status_code=status)
