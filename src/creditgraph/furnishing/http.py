"""`POST /furnish`: a furnisher uploads a batch to the gateway over HTTP.

The body is read as it arrives and fed to the pipeline a part at a time, never held whole;
the answer (each rejected line, then the summary, one JSON object a line:
`application/x-ndjson`) is gathered in a spooled temporary file, in memory while small, and
sent once the batch is done, so a batch's answer is as long as it needs to be without
holding memory. `?allOrNothing=true` takes the batch only if every line passes.

The request carries a furnisher's token (`Authorization: Bearer`, the furnishing audience);
every request is recorded in the audit log, the refused ones included (a bad token, a body
that is not JSON Lines or CSV).
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from typing import IO, Final

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from creditgraph.access import audit
from creditgraph.furnishing.pipeline import FurnishingRefused, Rejection, furnish
from creditgraph.furnishing.sources import UnreadableBatch, format_of_media_type, records
from creditgraph.gateway.errors import error, request_errors
from creditgraph.request_id import current_request_id
from creditgraph.requester import FurnisherVerifier, Unauthenticated

_SPOOL_BYTES: Final = 1 << 20
#: The largest upload taken: a monthly batch of a few million statements. Bigger batches are
#: split; an upload that turns out bigger stops there (its committed parts stay, as after a
#: broken connection, and the rest is sent again).
MAX_UPLOAD_BYTES: Final = 4 << 30
_NDJSON: Final = "application/x-ndjson"


def furnishing_routes(pool: asyncpg.Pool, verifier: FurnisherVerifier) -> list[BaseRoute]:
    """The upload endpoint, checking furnishers' tokens with `verifier` (furnishing audience)."""

    async def upload(request: Request) -> Response:
        request_id = current_request_id() or "unknown"
        try:
            furnisher = await verifier.authenticate_furnisher(request.headers.get("authorization"))
        except Unauthenticated as exc:
            await _refused(pool, request_id, None, str(exc), "UNAUTHENTICATED")
            return _error(401, str(exc), "UNAUTHENTICATED")
        try:
            fmt = format_of_media_type(request.headers.get("content-type"))
        except UnreadableBatch as exc:
            await _refused(pool, request_id, furnisher.institution, str(exc), "BAD_USER_INPUT")
            return _error(415, str(exc), "BAD_USER_INPUT")
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            reason = f"an upload is at most {MAX_UPLOAD_BYTES >> 30} GiB: split it"
            await _refused(pool, request_id, furnisher.institution, reason, "BAD_USER_INPUT")
            return _error(413, reason, "BAD_USER_INPUT")
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
            return _error(400, str(exc), "BAD_USER_INPUT")
        answer.write(orjson.dumps({"summary": summary.document()}) + b"\n")
        answer.seek(0)
        return StreamingResponse(_sent(answer), media_type=_NDJSON)

    return [Route("/furnish", upload, methods=["POST"])]


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


async def _refused(
    pool: asyncpg.Pool, request_id: str, furnisher: str | None, reason: str, code: str
) -> None:
    """A refused upload's audit entry (a refusal of the pipeline's own is recorded there)."""
    async with pool.acquire() as conn, conn.transaction():
        await audit.append(
            conn,
            audit.AuditEntry(
                request_id=request_id,
                role="FURNISHER" if furnisher else None,
                requester=furnisher,
                operator=None,
                operation="furnish:UPLOAD",
                subjects=(),
                fields=(),
                decision="DENIED",
                detail={"reason": reason, "codes": [code]},
            ),
        )
