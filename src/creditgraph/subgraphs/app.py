"""A subgraph served alone over HTTP: `creditgraph subgraph NAME --port P`.

`POST /graphql` runs the subgraph's schema (Federation v2: `_service` and
`_entities` included) for the gateway only: requests without a valid internal
credential are refused with 401 before any parsing or database work. The
requester the credential asserts (see credential.py) becomes the request's
`SubgraphContext.requester`, exactly as the in-process transport sets it, and
its hold the place a mutation's writes wait for the gateway (writing.py): the request's
writes are prepared for it once the request is answered, before the answer leaves.
`GET /healthz` answers while the process is up, with no credential, so an
orchestrator can probe it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from creditgraph.subgraphs import credential, writing
from creditgraph.subgraphs.context import SubgraphContext

# where the middleware leaves what the credential attests for the schema's context
_ATTESTED_SCOPE_KEY = "creditgraph.attested"


class _SubgraphGraphQL(GraphQL[SubgraphContext, None]):
    def __init__(self, schema: strawberry.Schema, pool: asyncpg.Pool) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False)
        self._pool = pool

    async def get_context(self, request: Any, response: Any) -> SubgraphContext:
        attested = request.scope.get(_ATTESTED_SCOPE_KEY)
        if not isinstance(attested, credential.Attested):
            return SubgraphContext(self._pool)
        return SubgraphContext(self._pool, attested.requester, hold=attested.hold)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: SubgraphContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """The request's answer, its writes pending for the gateway (writing.py's `held`)."""
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except BaseException:
            await writing.abandon(context)
            raise
        return await writing.held(context, result)


class RequireGatewayCredential:
    """Plain ASGI middleware: nothing reaches the schema without the gateway's credential.

    Only what the credential asserts is passed on: whatever the scope held under the
    requester key before is replaced, so nothing but a verified credential names one.
    """

    def __init__(self, app: ASGIApp, *, subgraph: str, secret: bytes) -> None:
        self.app = app
        self.subgraph = subgraph
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            token = None
            for name, value in scope["headers"]:
                if name.decode("latin-1").lower() == credential.HEADER:
                    token = value.decode("latin-1")
            try:
                attested = credential.attested(self.secret, self.subgraph, token)
            except credential.CredentialRefused as exc:
                body = {
                    "errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]
                }
                refusal = Response(
                    orjson.dumps(body),
                    status_code=401,
                    media_type="application/json",
                    headers={"www-authenticate": "Bearer"},
                )
                await refusal(scope, receive, send)
                return
            scope = {**scope, _ATTESTED_SCOPE_KEY: attested}
        await self.app(scope, receive, send)


def build_subgraph_app(
    name: str, schema: strawberry.Schema, pool: asyncpg.Pool, *, secret: bytes
) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "subgraph": name})

    graphql = RequireGatewayCredential(_SubgraphGraphQL(schema, pool), subgraph=name, secret=secret)
    return Starlette(
        routes=[Route("/healthz", healthz), Route("/graphql", graphql, methods=["POST"])]
    )
