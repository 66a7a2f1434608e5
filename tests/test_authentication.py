"""The authenticate stage (middleware/authentication.py) as ASGI middleware, without a
database: what it proves is put in the scope for the handler, and a handler reached
without it is a wiring bug, not an anonymous request. (Tokens themselves are
tests/test_tokens.py's; refusals over HTTP tests/test_gateway_http.py's.)"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from creditgraph.middleware.authentication import (
    ANONYMOUS,
    Authentication,
    NotAuthenticated,
    authenticated,
)


async def _who(request: Request) -> JSONResponse:
    outcome = authenticated(request.scope)
    return JSONResponse(
        {"requester": outcome.requester is not None, "refused": outcome.refusal is not None}
    )


def _app(*, with_stage: bool) -> Starlette:
    middleware = [Middleware(Authentication, authenticator=ANONYMOUS)] if with_stage else []
    return Starlette(routes=[Route("/", _who, middleware=middleware)])


async def test_with_no_requesters_every_request_is_anonymous_whatever_it_carries() -> None:
    transport = httpx.ASGITransport(app=_app(with_stage=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for headers in ({}, {"authorization": "Bearer junk"}, {"authorization": "Basic eDp5"}):
            answer = await client.get("/", headers=headers)
            assert answer.json() == {"requester": False, "refused": False}


async def test_a_handler_reached_without_the_stage_is_a_wiring_bug() -> None:
    transport = httpx.ASGITransport(app=_app(with_stage=False), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        with pytest.raises(NotAuthenticated):
            await client.get("/")
