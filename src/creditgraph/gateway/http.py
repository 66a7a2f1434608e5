"""GraphQL over HTTP: turning requests into gateway calls and answers into responses.

Follows the GraphQL-over-HTTP spec: `POST` with an `application/json` body,
`GET` with the parameters in the query string (queries only: a mutation over
`GET` is 405), and the `application/graphql-response+json` media type when
the client accepts it, in which case a request that never reached execution
(unparseable, invalid) answers 400; with plain `application/json` every
well-formed request answers 200, as legacy clients expect. Responses are
serialised with orjson.

`extensions.persistedQuery` (automatic persisted queries, see
gateway/persisted_queries.py) or `documentId` (a client manifest's document)
may stand in for the query text, on `GET` as on `POST`; a gateway in
trusted-only mode runs nothing but the trusted operations and the manifests'
documents. A client that disconnects while its operation runs cancels it, and the
request is recorded as a refused one is, with the code `CLIENT_CLOSED_REQUEST`.

Every request passes the same stages in order, whatever the configuration
(gateway/stages/): authenticate (the bearer token, proven before the handler by
middleware/authentication.py and read here from the ASGI scope), limit (the requester's
rate: `429` with `Retry-After` and `RATE_LIMITED` when over it), authorise, plan, execute
and shape (`AuthoriseStage.prepare`, then `run`, which plans, executes and shapes through
the pipeline's stages), and record (`RecordStage.record`: the answer leaves only once its
audit entry is written); a request refused at any stage is recorded by the record stage
all the same. With no edition policy the stages
are open ones: no one is limited or recorded, and the operation is planned as prepared.

Every answer is a GraphQL response carrying `Cache-Control: no-store`: a report
must never be kept by a browser or a proxy. When the gateway's database cannot
answer (down, frozen, locked; db/faults.py) the answer is `SERVICE_UNAVAILABLE`
with HTTP 503 and `Retry-After`; any other failure is `INTERNAL_SERVER_ERROR`
with 500, logged once here, its message kept out of the log and the answer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson
from graphql import DocumentNode
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from creditgraph.db.faults import DATABASE_ERRORS, RETRY_AFTER_SECONDS, database_fault
from creditgraph.gateway import defer
from creditgraph.gateway.engine import Gateway
from creditgraph.gateway.errors import (
    BAD_USER_INPUT,
    CLIENT_CLOSED,
    INTERNAL_SERVER_ERROR,
    SERVICE_UNAVAILABLE,
    RequestError,
    error,
    request_errors,
)
from creditgraph.gateway.manifests import MAX_ID_CHARS
from creditgraph.gateway.persisted_queries import PersistedQueries, QueryRefused
from creditgraph.gateway.stages.authorise import AuthoriseStage, P
from creditgraph.gateway.stages.pipeline import Pipeline
from creditgraph.gateway.stages.record import RecordStage
from creditgraph.middleware.authentication import authenticated
from creditgraph.negotiation import weighted
from creditgraph.request_id import current_request_id
from creditgraph.requester import Requester, Unauthenticated

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1 << 20
# nginx's "client closed request": no one reads it, but the request log and metrics do
CLIENT_CLOSED_REQUEST = 499
T = TypeVar("T")

_log = logging.getLogger("creditgraph.gateway")


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _media_type(request: Request) -> str:
    """The media type the client prefers, by the Accept header's quality values.

    No Accept, `*/*` or `application/*` mean plain JSON (legacy clients); when the
    spec's type and JSON are equally welcome the spec's wins. A header that accepts
    neither is disregarded, as the spec allows, and answered in the spec's type.
    """
    accept = request.headers.get("accept")
    if not accept:
        return JSON
    best, best_quality = GRAPHQL_RESPONSE, 0.0
    for media, quality in weighted(accept):
        candidate = _ACCEPTED.get(media)
        if candidate is None or quality <= 0:
            continue
        if quality > best_quality or (quality == best_quality and candidate == GRAPHQL_RESPONSE):
            best, best_quality = candidate, quality
    return best


_ACCEPTED = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": JSON, "*/*": JSON}


def _respond(body: dict[str, Any], status: int, media_type: str) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type)


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in params:
                try:
                    params[name] = orjson.loads(params[name])
                except orjson.JSONDecodeError:
                    raise _BadRequest(f"{name} is not valid JSON") from None
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise _BadRequest("send the request as application/json", 415)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _BadRequest(f"the request body is over {MAX_BODY_BYTES} bytes", 413)
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _BadRequest("the request body is not valid JSON") from None
    if not isinstance(params, dict):
        raise _BadRequest("the request body must be a JSON object")
    return params


@dataclass(frozen=True, slots=True)
class _Params:
    query: str | None
    variables: dict[str, Any]
    operation_name: str | None
    extensions: dict[str, Any] | None
    document_id: str | None


def _checked(params: dict[str, Any]) -> _Params:
    query = params.get("query")
    variables = params.get("variables")
    operation_name = params.get("operationName")
    extensions = params.get("extensions")
    document_id = params.get("documentId")
    if document_id is not None and (
        not isinstance(document_id, str) or not 0 < len(document_id) <= MAX_ID_CHARS
    ):
        raise _BadRequest(f"documentId must be a string of 1 to {MAX_ID_CHARS} characters")
    if query is not None and (not isinstance(query, str) or not query):
        raise _BadRequest("query must be a non-empty string")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise _BadRequest("variables must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _BadRequest("operationName must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise _BadRequest("extensions must be a JSON object")
    return _Params(query, variables, operation_name, extensions, document_id)


def _refused_status(media_type: str) -> int:
    """A well-formed request the gateway will not run: 200 for legacy JSON, 400 for the spec's."""
    return 400 if media_type == GRAPHQL_RESPONSE else 200


@dataclass(slots=True)
class _Refusals:
    """Answers to requests refused before they ran, each through the record stage first.

    Every request is recorded, so one that never reaches execution (a malformed body, a
    bad token, an unknown persisted query, an invalid document) gets an audit entry with
    the codes it was refused with; if that entry cannot be written, the answer says so,
    as for a request that ran.
    """

    record: RecordStage
    request_id: str
    media_type: str
    requester: Requester | None = None
    operation: str | None = None

    async def answer(self, errors: list[dict[str, Any]], status: int) -> Response:
        errors = await self.record.refuse(self.request_id, self.requester, self.operation, errors)
        return _respond(request_errors(errors), status, self.media_type)

    async def unauthenticated(self, exc: Unauthenticated) -> Response:
        response = await self.answer([error(str(exc), "UNAUTHENTICATED")], 401)
        response.headers["www-authenticate"] = "Bearer"
        return response


async def handle(
    gateway: Gateway,
    request: Request,
    queries: PersistedQueries,
    pipeline: Pipeline[P],
) -> Response:
    """One GraphQL request, through `pipeline`'s stages.

    `queries` resolves persisted-query hashes (and, in trusted-only mode, refuses
    anything but the trusted operations). Whatever happens, the answer is GraphQL
    and is never cached.
    """
    media_type = _media_type(request)
    # RequestLog gave every request an id; served without it (an app of one's own), a fresh one
    refusals = _Refusals(pipeline.record, current_request_id() or uuid.uuid4().hex, media_type)
    try:
        response = await _answer(gateway, request, queries, pipeline, refusals)
    except DATABASE_ERRORS as exc:
        reason = database_fault(exc)
        if reason is None:
            response = await _failed(refusals)
        else:
            _log.warning("database unavailable: %s", reason)
            body = [error("the service is unavailable; try again shortly", SERVICE_UNAVAILABLE)]
            response = _respond(request_errors(body), 503, media_type)
            response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    except Exception:
        response = await _failed(refusals)
    response.headers["cache-control"] = "no-store"
    return response


async def _failed(refusals: _Refusals) -> Response:
    """A bug met while answering (called where its exception is handled): logged once, with
    its stack (observability/logs.py keeps messages out), answered 500 with a coded error
    and recorded like any request, its details kept in the server."""
    errors = await _recorded_failure(
        refusals.record, refusals.request_id, refusals.requester, refusals.operation
    )
    return _respond(request_errors(errors), 500, refusals.media_type)


async def _recorded_failure(
    record: RecordStage, request_id: str, requester: Requester | None, operation: str | None
) -> list[dict[str, Any]]:
    """The errors answering a bug, once logged and recorded (the one error saying it could
    not be recorded, when it could not): one home for the plain answer and a deferred one's
    last part. Called where the bug's exception is handled; a failure of the record stage
    itself is logged too, and the bug answered unrecorded rather than not at all."""
    _log.exception("internal failure")
    failure = [error("internal server error", INTERNAL_SERVER_ERROR)]
    try:
        return await record.refuse(request_id, requester, operation, failure)
    except Exception:
        _log.exception("internal failure recording a failure")
        return failure


async def _answer(
    gateway: Gateway,
    request: Request,
    queries: PersistedQueries,
    pipeline: Pipeline[P],
    refusals: _Refusals,
) -> Response:
    request_id, media_type = refusals.request_id, refusals.media_type
    # authenticate: the stage ran before the handler (middleware/authentication.py)
    who = authenticated(request.scope)
    requester = refusals.requester = who.requester
    # limit: once who is asking is known, before anything is done for them, a refusal
    # included (each is recorded): a request whose token was refused takes from its client
    # address's allowance, as an anonymous one does
    address = None if request.client is None else request.client.host
    limited = await pipeline.limit.check(requester, address)
    if limited is not None:
        response = await refusals.answer(limited.errors(), 429)
        response.headers["retry-after"] = str(limited.retry_after)
        return response
    try:
        params = _checked(await _params(request))
    except _BadRequest as exc:
        return await refusals.answer([error(exc.message, BAD_USER_INPUT)], exc.status)
    if who.refusal is not None:
        return await refusals.unauthenticated(who.refusal)
    authorise = pipeline.authorise
    try:
        resolved = queries.resolve(
            params.query,
            params.extensions,
            owner=authorise.query_owner(requester),
            document_id=params.document_id,
        )
    except QueryRefused as exc:
        errors = [error(exc.message, exc.code)]
        return await refusals.answer(errors, 400 if exc.malformed else _refused_status(media_type))
    variables = params.variables
    await gateway.documents.prepare_unseen(resolved.query)
    try:
        prepared = authorise.prepare(resolved.query, variables, params.operation_name)
    except RequestError as exc:
        return await refusals.answer(exc.formatted(), _refused_status(media_type))
    operation = authorise.operation(prepared)
    # from here a refusal or a failure is recorded under the operation's name
    refusals.operation = operation.name
    queries.remember(resolved)
    request.state.operation_kind = operation.kind
    if request.method == "GET" and operation.kind != "query":
        response = await refusals.answer(
            [error("only queries may be sent with GET", BAD_USER_INPUT)], 405
        )
        response.headers["allow"] = "POST"
        return response
    if operation.kind == "query" and _accepts_multipart(request):
        parsed = gateway.documents.get(resolved.query).document
        _, _, coerced = gateway.operation(resolved.query, variables, params.operation_name)
        if defer.deferring(parsed, params.operation_name, coerced):
            if requester is not None:
                # the answer streams once begun: a token the database refuses (a
                # representative) is refused, and recorded, before the first part
                try:
                    await authorise.confirm(requester)
                except Unauthenticated as exc:
                    return await refusals.unauthenticated(exc)
            runner = _Runner(
                gateway, authorise, pipeline.record, requester, request_id, params.operation_name
            )
            return StreamingResponse(
                _parts(runner, parsed, resolved.query, variables, coerced),
                media_type=defer.CONTENT_TYPE,
            )
    try:
        ran = await until_disconnected(
            request, authorise.run(prepared, variables, requester, request_id)
        )
    except ClientGone:
        # recorded like any request, its work cancelled before anything was returned
        gone = error("the client closed the request before its answer was ready", CLIENT_CLOSED)
        await pipeline.record.refuse(request_id, requester, operation.name, [gone])
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    except Unauthenticated as exc:  # a claim only the database can check (a representative)
        return await refusals.unauthenticated(exc)
    # record: nothing leaves before its audit entry is durable (else the one error saying so)
    return _respond(await pipeline.record.record(ran), 200, media_type)


def _accepts_multipart(request: Request) -> bool:
    """Whether the client reads incremental delivery (`multipart/mixed` in its Accept)."""
    accept = request.headers.get("accept") or ""
    return any(media == defer.MULTIPART and quality > 0 for media, quality in weighted(accept))


@dataclass(frozen=True, slots=True)
class _Runner(Generic[P]):
    """Runs each part's document as any request's operation runs, through the authorise
    stage and then the record stage (each part has its audit entry), the looks recorded as
    inquiries once for the whole request."""

    gateway: Gateway
    authorise: AuthoriseStage[P]
    record: RecordStage
    requester: Requester | None
    request_id: str
    operation_name: str | None
    inquired: set[tuple[str, str]] = field(default_factory=set)

    async def run(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        await self.gateway.documents.prepare_unseen(query)
        try:
            prepared = self.authorise.prepare(query, variables, self.operation_name)
            ran = await self.authorise.run(
                prepared, variables, self.requester, self.request_id, self.inquired
            )
        except RequestError as exc:
            return request_errors(exc.formatted())
        return await self.record.record(ran)


async def _parts(
    runner: _Runner[P],
    document: DocumentNode,
    query: str,
    variables: dict[str, Any],
    coerced: dict[str, Any],
) -> AsyncIterator[bytes]:
    """The multipart answer: the operation without its deferred fragments, then the deferred
    fragments' data taken from the whole operation's answer (gateway/defer.py).

    However a part fails, the stream ends with a coded final part (`hasNext: false`), as a
    client waits for one: a database fault as SERVICE_UNAVAILABLE, anything else as
    INTERNAL_SERVER_ERROR, recorded as the request's failure (a part that fails before its
    record stage would otherwise leave no audit entry), as `handle` answers either."""
    try:
        first = await runner.run(defer.initial(document, coerced), variables)
        yield defer.part({**first, "hasNext": True})
        whole = await runner.run(query, variables)
        entries = defer.increments(document, runner.operation_name, coerced, whole)
        last: dict[str, Any] = {"incremental": entries, "hasNext": False}
        if lost := defer.unplaced(whole, entries, first.get("errors") or ()):
            last["errors"] = lost
        yield defer.part(last)
    except Exception as exc:
        reason = database_fault(exc) if isinstance(exc, DATABASE_ERRORS) else None
        if reason is None:
            errors = await _recorded_failure(
                runner.record, runner.request_id, runner.requester, runner.operation_name
            )
        else:
            _log.warning("database unavailable: %s", reason)
            errors = [error("the service is unavailable; try again shortly", SERVICE_UNAVAILABLE)]
        yield defer.part({"errors": errors, "hasNext": False})
    yield defer.end()


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


async def until_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s result, unless the client goes away first: then `work` is cancelled.

    A client that gave up must not leave its fetches, SQL and shaping running for nobody.
    Call it once the request's body has been read: from then on the only message the
    server can still deliver is `http.disconnect`.
    """
    task = asyncio.ensure_future(work)

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass  # a GET's empty body, not read by anyone
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        return await task
    except asyncio.CancelledError:
        if watcher.done() and not watcher.cancelled():
            raise ClientGone from None
        raise
    finally:
        watcher.cancel()
