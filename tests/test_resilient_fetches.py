"""Resilient fetches: real HTTP subgraphs that fail or hang on demand, behind the real gateway.

Each test serves the four subgraphs over HTTP (uvicorn, on the test's event loop, over
the seeded database) behind a fault switch, and the policy gateway in front of them,
reached over HTTP with real tokens. The switch makes a subgraph answer 503, hang until
released, or pass requests through, and keeps the body and credential of every request
it saw: what a user notices is the answer, and what the subgraph was sent.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditgraph.commands import http_gateway
from creditgraph.errors import ConfigurationError
from creditgraph.gateway import Gateway, Supergraph
from creditgraph.gateway.transports import HTTPTransport, SubgraphUnavailable
from creditgraph.gateway.transports.resilient import ResilientTransport
from creditgraph.requester import Requester
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import PERSONA
from creditgraph.settings import FetchPolicy, Resilience, Settings
from creditgraph.subgraphs import credential
from creditgraph.subgraphs.app import build_subgraph_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.http_app import bearer, listening, uvicorn_serving

HUSBAND = PERSONA["husband"].identifier
WIFE = PERSONA["wife"].identifier
REPORT = """query($id: String!) { subject(identifier: $id, purpose: SELF) {
    name scores { value } } }"""
STATEMENT = "mutation($text: String!) { addStatement(text: $text) { id text } }"
# a hung request that is never released would hang the test instead of failing it
NO_HANG = 60.0


@dataclass
class Seen:
    """One request a subgraph received: its GraphQL body and its internal credential."""

    body: dict[str, Any]
    credential: str

    @property
    def mutation(self) -> bool:
        return str(self.body.get("query", "")).lstrip().startswith("mutation")


@dataclass
class FaultSwitch:
    """ASGI middleware in front of a real subgraph: pass, fail with 503, or hang on demand."""

    app: ASGIApp
    seen: list[Seen] = field(default_factory=list)
    failures: int = 0
    """Requests still to fail (503, no GraphQL body); -1 fails every one."""
    hold: asyncio.Event | None = None
    """While set to an unset event, requests wait for it before failing or reaching the
    subgraph."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.seen.append(Seen(orjson.loads(body), headers.get(credential.HEADER, "")))
        if self.hold is not None:
            await self.hold.wait()
        if self.failures:
            if self.failures > 0:
                self.failures -= 1
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"service unavailable"})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def queries(self) -> list[Seen]:
        return [item for item in self.seen if not item.mutation]


@dataclass
class Stack:
    """The subgraphs behind their switches and the gateway over HTTP, as `serve` wires them."""

    home: Path
    pool: asyncpg.Pool
    secret: bytes
    switches: dict[str, FaultSwitch]
    urls: dict[str, str]
    gateway: Gateway | None = None
    url: str = ""

    def headers(self, identifier: str = HUSBAND) -> dict[str, str]:
        return bearer(self.home, "SUBJECT", identifier)

    async def post(
        self, client: httpx.AsyncClient, query: str, variables: dict[str, Any], **who: str
    ) -> dict[str, Any]:
        response = await client.post(
            self.url,
            json={"query": query, "variables": variables},
            headers=self.headers(**who),
            timeout=NO_HANG,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def release(self) -> None:
        for switch in self.switches.values():
            if switch.hold is not None:
                switch.hold.set()


@pytest.fixture
async def subgraphs(writable_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Stack]:
    secret = secrets.token_bytes(32)
    switches = {
        name: FaultSwitch(
            build_subgraph_app(name, subgraph_schema(name), writable_pool, secret=secret)
        )
        for name in SUBGRAPH_NAMES
    }
    async with AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(uvicorn_serving(switch)) + "/graphql"
            for name, switch in switches.items()
        }
        served = Stack(tmp_path, writable_pool, secret, switches, urls)
        # hung requests are let go before the servers stop, which wait for them
        stack.callback(served.release)
        yield served


@asynccontextmanager
async def gateway_over(stack: Stack, resilience: Resilience) -> AsyncIterator[Stack]:
    """The policy gateway over the stack's subgraphs, served over HTTP while in the block."""
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    gateway = http_gateway(
        supergraph, overrides=stack.urls, secret=stack.secret, resilience=resilience
    )
    try:
        async with listening(gateway, stack.pool, stack.home) as url:
            stack.url, stack.gateway = url, gateway
            try:
                yield stack
            finally:
                stack.release()
    finally:
        await gateway.aclose()


async def test_a_query_fetch_that_fails_is_retried_and_the_report_is_whole(
    subgraphs: Stack,
) -> None:
    subgraphs.switches["scores"].failures = 2
    async with (
        gateway_over(subgraphs, Resilience(FetchPolicy(backoff=0.01))) as stack,
        httpx.AsyncClient() as client,
    ):
        answer = await stack.post(client, REPORT, {"id": HUSBAND})
    assert "errors" not in answer, answer
    assert answer["data"]["subject"]["scores"], answer
    # two refused, the third answered: the same fetch, sent three times
    sent = subgraphs.switches["scores"].queries()
    assert len(sent) == 3
    assert len({orjson.dumps(item.body) for item in sent}) == 1


async def test_retries_stop_at_the_configured_number(subgraphs: Stack) -> None:
    subgraphs.switches["scores"].failures = -1
    policy = FetchPolicy(retries=1, backoff=0.01, failures_to_open=100)
    async with gateway_over(subgraphs, Resilience(policy)) as stack, httpx.AsyncClient() as client:
        answer = await stack.post(client, REPORT, {"id": HUSBAND})
    assert answer["data"]["subject"]["scores"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["SUBGRAPH_UNAVAILABLE"]
    assert "HTTP 503" in answer["errors"][0]["message"]
    assert len(subgraphs.switches["scores"].queries()) == 2


async def test_a_mutation_is_sent_once_however_it_fails(subgraphs: Stack) -> None:
    bureau = subgraphs.switches["bureau"]
    bureau.failures = -1
    policy = FetchPolicy(retries=3, backoff=0.01, failures_to_open=100)
    async with gateway_over(subgraphs, Resilience(policy)) as stack, httpx.AsyncClient() as client:
        answer = await stack.post(client, STATEMENT, {"text": "I repaid this in 2024"})
    assert answer["data"] is None or answer["data"]["addStatement"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["SUBGRAPH_UNAVAILABLE"]
    assert [item.mutation for item in bureau.seen] == [True]
    stored = await subgraphs.pool.fetchval(
        "select count(*) from bureau.statements where text = $1", "I repaid this in 2024"
    )
    assert stored == 0


async def test_each_subgraph_has_its_own_timeout(subgraphs: Stack) -> None:
    """`scores` hangs: only its fields wait out its own short timeout; the rest answers."""
    subgraphs.switches["scores"].hold = asyncio.Event()
    resilience = Resilience(
        FetchPolicy(timeout=NO_HANG), {"scores": FetchPolicy(timeout=0.3, retries=0)}
    )
    async with gateway_over(subgraphs, resilience) as stack, httpx.AsyncClient() as client:
        answer = await stack.post(client, REPORT, {"id": HUSBAND})
    assert answer["data"]["subject"] == {"name": PERSONA["husband"].name, "scores": None}
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (["subject", "scores"], "SUBGRAPH_UNAVAILABLE")
    ]
    assert "no answer within 0.3 s" in answer["errors"][0]["message"]


async def test_the_circuit_opens_answers_at_once_and_closes_after_a_good_probe(
    subgraphs: Stack,
) -> None:
    scores = subgraphs.switches["scores"]
    scores.failures = -1
    cool_off = 0.5
    policy = FetchPolicy(retries=0, failures_to_open=2, cool_off=cool_off)
    async with gateway_over(subgraphs, Resilience(policy)) as stack, httpx.AsyncClient() as client:
        for _ in range(2):
            await stack.post(client, REPORT, {"id": HUSBAND})
        assert len(scores.seen) == 2
        # open: the next report is answered without calling scores at all
        refused = await stack.post(client, REPORT, {"id": HUSBAND})
        assert len(scores.seen) == 2
        assert refused["data"]["subject"]["name"] == PERSONA["husband"].name
        assert refused["data"]["subject"]["scores"] is None
        assert refused["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
        assert "circuit is open after 2 failed fetches" in refused["errors"][0]["message"]

        # after the cool-off one probe goes; still failing, it opens the circuit again
        await asyncio.sleep(cool_off * 1.5)
        await stack.post(client, REPORT, {"id": HUSBAND})
        assert len(scores.seen) == 3
        again = await stack.post(client, REPORT, {"id": HUSBAND})
        assert len(scores.seen) == 3
        assert "circuit is open" in again["errors"][0]["message"]

        # the subgraph recovers: the next probe succeeds and closes the circuit
        scores.failures = 0
        await asyncio.sleep(cool_off * 1.5)
        healed = await stack.post(client, REPORT, {"id": HUSBAND})
        assert "errors" not in healed, healed
        assert healed["data"]["subject"]["scores"]
        closed = await stack.post(client, REPORT, {"id": HUSBAND})
        assert "errors" not in closed, closed
        assert len(scores.seen) == 5


async def test_identical_concurrent_reports_fetch_from_a_subgraph_once(subgraphs: Stack) -> None:
    """Ten identical reports in flight for one requester share each of their fetches."""
    scores = subgraphs.switches["scores"]
    scores.hold = asyncio.Event()
    # the held fetch must outlast the wait for all ten, however slow the machine, and no retry
    # may stand in for a second sender: a second send is then the sharing's failure alone
    unhurried = Resilience(FetchPolicy(timeout=NO_HANG, retries=0))
    async with gateway_over(subgraphs, unhurried) as stack, httpx.AsyncClient() as client:
        reports = [
            asyncio.ensure_future(stack.post(client, REPORT, {"id": HUSBAND})) for _ in range(10)
        ]
        # every report has reached its scores fetch, and every one but the first is
        # waiting on the first one's, which is held at the subgraph
        await _eventually(lambda: _all_waiting(stack, "scores", 10))
        scores.hold.set()
        answers = await asyncio.gather(*reports)
    assert len(scores.seen) == 1
    for answer in answers:
        assert "errors" not in answer, answer
        assert answer == answers[0]


async def _eventually(condition: Callable[[], bool]) -> None:
    """Wait for `condition`, failing the test rather than hanging it when it never holds."""
    for _ in range(int(NO_HANG / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def _all_waiting(stack: Stack, subgraph: str, count: int) -> bool:
    """`count` fetches wait on `subgraph`: a report still at an earlier subgraph's fetch is
    not counted, or it would reach `subgraph` after the held fetch was let go."""
    assert stack.gateway is not None
    transport = stack.gateway.transport
    assert isinstance(transport, ResilientTransport)
    return sum(waiting for name, waiting in transport.in_flight() if name == subgraph) == count


async def test_identical_fetches_for_different_requesters_are_each_sent(
    subgraphs: Stack,
) -> None:
    """Sharing an answer is only for the same requester, its history limit included (a grant's
    data period: the same bank under two grants' periods): each credential reaches the
    subgraph."""
    scores = subgraphs.switches["scores"]
    scores.hold = asyncio.Event()
    http = HTTPTransport(subgraphs.urls, secret=subgraphs.secret)
    transport = ResilientTransport(http, Resilience())
    husband, wife = Requester("SUBJECT", HUSBAND, None), Requester("SUBJECT", WIFE, None)
    limited = Requester("SUBJECT", HUSBAND, None, history_months=6)
    document = "query { __typename }"
    try:
        fetches = [
            asyncio.ensure_future(transport.acting_for(who).send("scores", document, {}))
            for who in (husband, husband, wife, limited, husband, wife, limited)
        ]
        await _eventually(
            lambda: sum(waiting for _, waiting in transport.in_flight()) == len(fetches)
        )
        assert len(transport.in_flight()) == 3
        scores.hold.set()
        answers = await asyncio.gather(*fetches)
    finally:
        scores.hold.set()
        await transport.aclose()
    assert all(answer == {"data": {"__typename": "Query"}} for answer in answers)
    named = sorted(
        (requester.identifier, requester.history_months or 0)
        for item in scores.seen
        if (requester := credential.verify(subgraphs.secret, "scores", item.credential))
    )
    assert named == sorted([(HUSBAND, 0), (HUSBAND, 6), (WIFE, 0)])


async def test_a_sharer_that_goes_away_leaves_the_others_their_answer(subgraphs: Stack) -> None:
    """The first of three identical fetches is cancelled (its client left) while its fetch is
    held at the subgraph: the two waiting on it still get the answer, and once they too
    leave, nothing is left in flight."""
    scores = subgraphs.switches["scores"]
    scores.hold = asyncio.Event()
    http = HTTPTransport(subgraphs.urls, secret=subgraphs.secret)
    transport = ResilientTransport(http, Resilience(FetchPolicy(timeout=NO_HANG, retries=0)))
    husband = transport.acting_for(Requester("SUBJECT", HUSBAND, None))
    document = "query { __typename }"
    try:
        first = asyncio.ensure_future(husband.send("scores", document, {}))
        await _eventually(lambda: len(scores.seen) == 1)
        others = [asyncio.ensure_future(husband.send("scores", document, {})) for _ in range(2)]
        await _eventually(lambda: [waiting for _, waiting in transport.in_flight()] == [3])
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert [waiting for _, waiting in transport.in_flight()] == [2]
        scores.hold.set()
        async with asyncio.timeout(NO_HANG):
            answers = await asyncio.gather(*others)
        assert answers == [{"data": {"__typename": "Query"}}] * 2
        assert answers[0] is not answers[1]
        assert transport.in_flight() == []

        scores.hold = asyncio.Event()
        leaving = [asyncio.ensure_future(husband.send("scores", document, {})) for _ in range(3)]
        await _eventually(lambda: [waiting for _, waiting in transport.in_flight()] == [3])
        for fetch in leaving:
            fetch.cancel()
        await asyncio.gather(*leaving, return_exceptions=True)
        await _eventually(lambda: transport.in_flight() == [])
    finally:
        scores.hold.set()
        await transport.aclose()


async def test_a_failed_shared_fetch_fails_every_sharer_alike(subgraphs: Stack) -> None:
    """A fetch the subgraph refuses is refused to each fetch that shared it, none retried."""
    scores = subgraphs.switches["scores"]
    scores.hold = asyncio.Event()
    scores.failures = -1
    http = HTTPTransport(subgraphs.urls, secret=subgraphs.secret)
    transport = ResilientTransport(http, Resilience(FetchPolicy(timeout=NO_HANG, retries=0)))
    husband = transport.acting_for(Requester("SUBJECT", HUSBAND, None))
    document = "query { __typename }"
    try:
        fetches = [asyncio.ensure_future(husband.send("scores", document, {})) for _ in range(3)]
        await _eventually(lambda: [waiting for _, waiting in transport.in_flight()] == [3])
        scores.hold.set()
        outcomes = await asyncio.gather(*fetches, return_exceptions=True)
    finally:
        scores.hold.set()
        await transport.aclose()
    assert all(isinstance(outcome, SubgraphUnavailable) for outcome in outcomes)
    assert len(scores.seen) == 1
    assert transport.in_flight() == []


def test_the_configuration_file_sets_the_defaults_and_each_subgraph_apart(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text(
        "[gateway]\nsubgraph_timeout = 4\n"
        "[fetch]\nretries = 1\ncool_off = 30\n"
        "[subgraphs.scores]\ntimeout = 0.5\nretries = 0\ndeduplicate = false\n",
        encoding="utf-8",
    )
    resilience = Settings.load(path, {}).resilience
    assert resilience.policy("bureau") == FetchPolicy(timeout=4, retries=1, cool_off=30)
    assert resilience.policy("scores") == FetchPolicy(
        timeout=0.5, retries=0, cool_off=30, deduplicate=False
    )


def test_bad_fetch_settings_are_refused_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text(
        "[fetch]\nretries = -1\n[subgraphs.scores]\ntimeout = 0\nretry = 2\n", encoding="utf-8"
    )
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(path, {"CREDITGRAPH_FETCH_COOL_OFF": "soon"})
    problems = str(caught.value).splitlines()
    assert len(problems) == 4, problems
    for fragment in (
        "fetch.retries must be from 0 to 10, got -1",
        "subgraphs.scores.timeout must be more than 0",
        "unknown key 'subgraphs.scores.retry' (did you mean 'retries'?)",
        "CREDITGRAPH_FETCH_COOL_OFF must be a number",
    ):
        assert any(fragment in problem for problem in problems), (fragment, problems)


def test_settings_for_a_subgraph_the_supergraph_lacks_stop_the_start(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text("[subgraphs.score]\ntimeout = 1\n", encoding="utf-8")
    supergraph = Supergraph(supergraph_path().read_text(encoding="utf-8"))
    with pytest.raises(ConfigurationError, match=r"\[subgraphs\.score\] but the supergraph"):
        http_gateway(
            supergraph,
            overrides={},
            secret=None,
            resilience=Settings.load(path, {}).resilience,
        )
