"""The first stages of the routes that are not GraphQL (gateway/stages/admission.py),
without a database: a real token verifier and rate limits in front of a route, and a record
stage that keeps what it is given.

Under the policy the record stage is the audit log (tests/test_live.py and
tests/test_furnishing_http.py read its entries over real HTTP).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from creditgraph.access.rate_limits import ProcessBuckets, RateLimits, Rule
from creditgraph.access.tokens import TokenVerifier
from creditgraph.gateway.stages.admission import Admission, admit
from creditgraph.gateway.stages.authorise import AuthoriseStage
from creditgraph.gateway.stages.execute import ExecuteStage
from creditgraph.gateway.stages.pipeline import Pipeline
from creditgraph.gateway.stages.plan import PlanStage
from creditgraph.gateway.stages.record import Ran
from creditgraph.gateway.stages.shape import ShapeStage
from creditgraph.middleware.authentication import Authentication, Authenticator
from creditgraph.requester import Requester
from creditgraph.seed.personas import PERSONA
from tests.http_app import NO_ENV, bearer

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier


class Kept:
    """A record stage keeping each refusal; `fails`: as if the audit log could not be written."""

    def __init__(self, fails: bool = False) -> None:
        self.refusals: list[tuple[str | None, str | None, list[str]]] = []
        self.fails = fails

    async def refuse(
        self,
        request_id: str,
        requester: Requester | None,
        operation: str | None,
        errors: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        who = None if requester is None else requester.identifier
        self.refusals.append((who, operation, [e["extensions"]["code"] for e in errors]))
        if self.fails:
            return [{"message": "not recorded", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
        return errors

    async def admit(
        self, request_id: str, requester: Requester, operation: str, follows: str
    ) -> list[dict[str, Any]] | None:
        return None

    async def record(self, ran: Ran[Any]) -> dict[str, Any]:
        raise AssertionError("admission runs no operation")


def _app(home: Path, record: Kept) -> Starlette:
    still = 0.0
    rules = dict.fromkeys(("anonymous", "subject"), Rule(per_second=1.0, burst=2))
    # admission never reaches the authorise stage, nor the three after it
    pipeline: Pipeline[Any] = Pipeline(
        authenticate=Authenticator(TokenVerifier.from_settings(home, NO_ENV)),
        limit=RateLimits(rules, ProcessBuckets(clock=lambda: still)),
        authorise=cast("AuthoriseStage[Any]", None),
        plan=cast("PlanStage", None),
        execute=cast("ExecuteStage", None),
        shape=cast("ShapeStage", None),
        record=record,
    )

    async def route(request: Request) -> Response:
        admitted = await admit(pipeline, request, "GET /thing", "a token is needed")
        if not isinstance(admitted, Admission):
            return admitted
        if admitted.requester.identifier != HUSBAND:
            return await admitted.refuse(403, "not yours", "FORBIDDEN")
        return JSONResponse({"who": admitted.requester.identifier})

    authenticate = [Middleware(Authentication, authenticator=pipeline.authenticate)]
    return Starlette(routes=[Route("/thing", route, middleware=authenticate)])


async def _get(app: Starlette, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        return await client.get("/thing", headers=headers)


async def test_each_refusal_is_recorded_before_it_is_answered(tmp_path: Path) -> None:
    record = Kept()
    app = _app(tmp_path, record)
    husband = bearer(tmp_path, "SUBJECT", HUSBAND)
    other = bearer(tmp_path, "SUBJECT", WIFE)
    answers = [
        await _get(app, {}),
        await _get(app, {"authorization": "Bearer a.b.c"}),
        await _get(app, other),
        await _get(app, husband),
        await _get(app, husband),
        await _get(app, husband),
    ]
    assert [a.status_code for a in answers] == [401, 401, 403, 200, 200, 429]
    assert answers[0].json()["errors"][0]["message"] == "a token is needed"
    assert answers[0].headers["www-authenticate"] == "Bearer"
    assert answers[3].json() == {"who": HUSBAND}
    assert answers[5].headers["retry-after"] == "1"
    assert all(a.headers["cache-control"] == "no-store" for a in answers if a.status_code != 200)
    assert record.refusals == [
        (None, "GET /thing", ["UNAUTHENTICATED"]),
        (None, "GET /thing", ["UNAUTHENTICATED"]),
        (WIFE, "GET /thing", ["FORBIDDEN"]),
        (HUSBAND, "GET /thing", ["RATE_LIMITED"]),
    ]


async def test_a_refusal_that_cannot_be_recorded_is_answered_with_the_error_saying_so(
    tmp_path: Path,
) -> None:
    refused = await _get(_app(tmp_path, Kept(fails=True)), {})
    assert refused.status_code == 401
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["INTERNAL_SERVER_ERROR"]
