"""The first stages for the routes that are not GraphQL (`GET /live`, `POST /furnish`).

They pass the same pipeline as `/graphql`: the authentication middleware has proven the
token, the limit stage takes the request from the requester's allowance, and a refusal is
recorded by the record stage before it is answered (or answered with the one error saying
it could not be recorded). `/graphql` itself runs these stages in gateway/http.py, where a
malformed body is answered as such before a bad token is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from creditgraph.gateway.errors import error, request_errors
from creditgraph.gateway.stages.pipeline import Pipeline
from creditgraph.middleware.authentication import authenticated
from creditgraph.request_id import current_request_id
from creditgraph.requester import Requester


@dataclass(frozen=True, slots=True)
class Admission:
    """A request let past authentication and the limit: who asks, and how to refuse them."""

    pipeline: Pipeline[Any]
    request_id: str
    requester: Requester
    operation: str

    async def refuse(
        self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        """The refusal, recorded first (or the error saying it could not be)."""
        return await _refused(
            self.pipeline,
            self.request_id,
            self.requester,
            self.operation,
            [error(message, code)],
            status,
            headers,
        )


async def admit(
    pipeline: Pipeline[Any], request: Request, operation: str, anonymous: str
) -> Admission | JSONResponse:
    """The request's admission, or the recorded refusal to answer instead: over the rate
    (429), a token refused (401), or no token at all (401, saying `anonymous`).

    `operation` is what the audit log names the request."""
    request_id = current_request_id() or uuid.uuid4().hex
    who = authenticated(request.scope)
    address = None if request.client is None else request.client.host
    limited = await pipeline.limit.check(who.requester, address)
    if limited is not None:
        retry = {"retry-after": str(limited.retry_after)}
        return await _refused(
            pipeline, request_id, who.requester, operation, limited.errors(), 429, retry
        )
    if who.refusal is not None or who.requester is None:
        reason = anonymous if who.refusal is None else str(who.refusal)
        errors = [error(reason, "UNAUTHENTICATED")]
        challenge = {"www-authenticate": "Bearer"}
        return await _refused(
            pipeline, request_id, who.requester, operation, errors, 401, challenge
        )
    return Admission(pipeline, request_id, who.requester, operation)


async def _refused(
    pipeline: Pipeline[Any],
    request_id: str,
    requester: Requester | None,
    operation: str,
    errors: list[dict[str, Any]],
    status: int,
    headers: Mapping[str, str] | None,
) -> JSONResponse:
    errors = await pipeline.record.refuse(request_id, requester, operation, errors)
    answer = JSONResponse(request_errors(errors), status_code=status, headers=headers)
    answer.headers["cache-control"] = "no-store"
    return answer
