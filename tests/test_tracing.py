"""OpenTelemetry traces over real HTTP: the spans of a request, and its trace reaching subgraphs.

The spans are read with the SDK's in-memory exporter (installed for each test and removed
after it), or received by a real OTLP/HTTP receiver served on localhost; the requests are
real HTTP to the gateway, with a client's W3C `traceparent`, and over real HTTP to the
subgraphs where a test serves them apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from creditgraph import tracing
from creditgraph.commands import http_gateway, in_process_gateway
from creditgraph.config import options as o
from creditgraph.db.connect import create_pool
from creditgraph.errors import ConfigurationError
from creditgraph.gateway import Supergraph
from creditgraph.observability import RequestLog
from creditgraph.resources import supergraph_path
from creditgraph.seed.personas import PERSONA
from creditgraph.server import build_app
from creditgraph.settings import FetchPolicy, Resilience, Settings
from creditgraph.subgraphs.app import build_subgraph_app
from creditgraph.subgraphs.registry import SUBGRAPH_NAMES, subgraph_schema
from tests.http_app import bearer, listening, uvicorn_serving

HUSBAND = PERSONA["husband"].identifier
REPORT = """query($id: String!) { subject(identifier: $id, purpose: SELF) {
    name publicRecordCount scores { value } } }"""
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{CLIENT_SPAN}-01"
NO_HANG = 60.0


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for the test, every finished span kept in memory; off again after it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    try:
        yield exporter
    finally:
        tracing.use(None)
        provider.shutdown()


def supergraph() -> Supergraph:
    return Supergraph(supergraph_path().read_text(encoding="utf-8"))


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait for `condition` (a server span ends just after its answer is sent), failing
    rather than hanging when it never holds."""
    for _ in range(int(NO_HANG / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def named(found: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in found if span.name == name]


def lineage(span: ReadableSpan, found: tuple[ReadableSpan, ...]) -> list[str]:
    """The names of `span`'s ancestors among `found`, nearest first."""
    by_id = {item.context.span_id: item for item in found if item.context is not None}
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        ancestor = by_id[parent.span_id]
        names.append(ancestor.name)
        parent = ancestor.parent
    return names


async def test_a_request_is_one_trace_continuing_the_clients(
    spans: InMemorySpanExporter, writable_seeded_database_url: str, tmp_path: Path
) -> None:
    """Under the policy, subgraphs in-process: server, prepare, plan, fetch and statement
    spans, all in the client's trace, the request id on the server span and in the audit log."""
    pool = await create_pool(writable_seeded_database_url)
    gateway = in_process_gateway(supergraph(), pool)
    try:
        async with listening(gateway, pool, tmp_path) as url, httpx.AsyncClient() as client:
            # what the server planned as it started is no request's: only the request's spans
            spans.clear()
            headers = {
                **bearer(tmp_path, "SUBJECT", HUSBAND),
                "traceparent": TRACEPARENT,
                "x-request-id": "trace-join-1",
            }
            answer = await client.post(
                url,
                json={"query": REPORT, "variables": {"id": HUSBAND}},
                headers=headers,
                timeout=NO_HANG,
            )
            assert answer.status_code == 200
            assert "errors" not in answer.json(), answer.json()
            await eventually(lambda: bool(named(spans.get_finished_spans(), "POST /graphql")))
        found = spans.get_finished_spans()
        logged = await pool.fetchval(
            "select count(*) from gateway.audit_log where request_id = $1", "trace-join-1"
        )
    finally:
        await gateway.aclose()
        await pool.close()
    assert logged == 1

    stray = [
        (span.name, dict(span.attributes or {}))
        for span in found
        if span.context and span.context.trace_id != int(TRACE_ID, 16)
    ]
    assert not stray, stray
    [server] = named(found, "POST /graphql")
    assert server.kind is SpanKind.SERVER
    assert server.parent is not None
    assert server.parent.span_id == int(CLIENT_SPAN, 16)
    assert server.attributes is not None
    assert server.attributes[tracing.REQUEST_ID_ATTRIBUTE] == "trace-join-1"
    assert server.attributes["http.response.status_code"] == 200

    assert named(found, "prepare")
    assert named(found, "plan")
    for span in named(found, "prepare") + named(found, "plan"):
        assert lineage(span, found)[-1] == "POST /graphql"

    fetches = [span for span in found if span.name.startswith("fetch ")]
    fetched = {span.attributes[tracing.SUBGRAPH_ATTRIBUTE] for span in fetches if span.attributes}
    assert {"bureau", "public", "scores"} <= fetched
    for span in fetches:
        assert span.kind is SpanKind.CLIENT
        assert lineage(span, found)[-1] == "POST /graphql"

    statements = [
        span
        for span in found
        if span.attributes and span.attributes.get("db.system.name") == "postgresql"
    ]
    assert statements
    # the subgraphs' own reads, each under the fetch that asked for it
    under_fetches = [span for span in statements if lineage(span, found)[0].startswith("fetch ")]
    assert any(
        str(span.attributes["db.query.text"]).lower().startswith(("select", "with"))
        for span in under_fetches
        if span.attributes
    )
    # the audit entry's write, in the request's trace too
    assert any(
        "gateway.audit_record(" in str(span.attributes["db.query.text"])
        and "POST /graphql" in lineage(span, found)
        for span in statements
        if span.attributes
    )


class _HeaderLog:
    """ASGI middleware keeping the headers of every GraphQL request reaching a subgraph, and
    answering the first `failures` of them 503 itself."""

    def __init__(self, app: ASGIApp, seen: list[dict[str, str]], failures: int = 0) -> None:
        self.app = app
        self.seen = seen
        self.failures = failures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            self.seen.append(
                {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            )
            if self.failures:
                self.failures -= 1
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b"unavailable"})
                return
        await self.app(scope, receive, send)


async def _report_over_http_subgraphs(
    pool: asyncpg.Pool, home: Path, failing: dict[str, int] | None = None
) -> dict[str, list[dict[str, str]]]:
    """A report through the policy gateway over subgraphs served apart (each behind the
    request log, as `creditgraph subgraph` serves it): the headers each subgraph was sent.
    `failing`: how many of its first requests a subgraph answers 503."""
    seen: dict[str, list[dict[str, str]]] = {name: [] for name in SUBGRAPH_NAMES}
    secret = b"s" * 32
    async with AsyncExitStack() as stack:
        urls = {}
        for name in SUBGRAPH_NAMES:
            app = RequestLog(build_subgraph_app(name, subgraph_schema(name), pool, secret=secret))
            switch = _HeaderLog(app, seen[name], (failing or {}).get(name, 0))
            base = await stack.enter_async_context(uvicorn_serving(switch))
            urls[name] = f"{base}/graphql"
        resilience = Resilience(FetchPolicy(backoff=0.01))
        gateway = http_gateway(supergraph(), overrides=urls, secret=secret, resilience=resilience)
        stack.push_async_callback(gateway.aclose)
        url = await stack.enter_async_context(listening(gateway, pool, home))
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                url,
                json={"query": REPORT, "variables": {"id": HUSBAND}},
                headers={**bearer(home, "SUBJECT", HUSBAND), "traceparent": TRACEPARENT},
                timeout=NO_HANG,
            )
        assert answer.status_code == 200
        assert "errors" not in answer.json(), answer.json()
    return seen


async def test_the_trace_reaches_subgraphs_served_over_http(
    spans: InMemorySpanExporter, writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    seen = await _report_over_http_subgraphs(writable_pool, tmp_path)
    found = spans.get_finished_spans()
    fetch_ids = {
        f"{span.context.span_id:016x}"
        for span in found
        if span.name.startswith("fetch ") and span.context is not None
    }
    for name in ("bureau", "public", "scores"):
        assert seen[name], name
        for headers in seen[name]:
            _, trace_id, parent, _ = headers["traceparent"].split("-")
            assert trace_id == TRACE_ID
            assert parent in fetch_ids
    # each subgraph continued the trace: its server span is a child of a gateway fetch
    continued = [
        span
        for span in named(found, "POST /graphql")
        if span.parent is not None and f"{span.parent.span_id:016x}" in fetch_ids
    ]
    assert len(continued) == sum(len(headers) for headers in seen.values())


async def test_a_retried_fetch_shows_each_failed_attempt_on_its_span(
    spans: InMemorySpanExporter, writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    seen = await _report_over_http_subgraphs(writable_pool, tmp_path, failing={"scores": 2})
    assert len(seen["scores"]) == 3
    [fetch] = [span for span in spans.get_finished_spans() if span.name == "fetch scores"]
    assert [(event.name, dict(event.attributes or {})) for event in fetch.events] == [
        ("fetch attempt failed", {"attempt": 1, "reason": "HTTP 503 without a GraphQL response"}),
        ("fetch attempt failed", {"attempt": 2, "reason": "HTTP 503 without a GraphQL response"}),
    ]
    assert fetch.status.is_ok


async def test_unconfigured_nothing_is_traced_or_sent_on(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    assert not tracing.enabled()
    seen = await _report_over_http_subgraphs(writable_pool, tmp_path)
    sent = [headers for requests in seen.values() for headers in requests]
    assert sent
    assert not any("traceparent" in headers for headers in sent)


class _Receiver:
    """An OTLP/HTTP trace receiver: what `POST /v1/traces` was sent, decoded."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.app = Starlette(routes=[Route("/v1/traces", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.body())
        self.requests.append(message)
        return Response(b"", media_type="application/x-protobuf")

    def spans(self) -> list[tuple[str, Any]]:
        """Each span received, with the `service.name` of its resource."""
        found: list[tuple[str, Any]] = []
        for message in self.requests:
            for resource_spans in message.resource_spans:
                service = next(
                    attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == "service.name"
                )
                for scope_spans in resource_spans.scope_spans:
                    found.extend((service, span) for span in scope_spans.spans)
        return found


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[_Receiver, str]]:
    collector = _Receiver()
    async with uvicorn_serving(collector.app) as base:
        yield collector, f"{base}/v1/traces"


async def test_spans_are_exported_over_otlp_when_configured(
    receiver: tuple[_Receiver, str], seeded_database_url: str, tmp_path: Path
) -> None:
    collector, endpoint = receiver
    path = tmp_path / "creditgraph.toml"
    path.write_text(
        f'[tracing]\notlp_endpoint = "{endpoint}"\nservice_name = "gateway-under-test"\n',
        encoding="utf-8",
    )
    config = Settings.load(path, {}).config
    provider = tracing.configure(config[o.OTLP_ENDPOINT], config[o.SERVICE_NAME])
    assert provider is not None
    try:
        pool = await create_pool(seeded_database_url)
        gateway = in_process_gateway(supergraph(), pool)
        try:
            app = build_app(gateway, pool=pool)
            async with uvicorn_serving(app) as base, httpx.AsyncClient() as client:
                answer = await client.post(
                    f"{base}/graphql",
                    json={"query": REPORT, "variables": {"id": HUSBAND}},
                    headers={"traceparent": TRACEPARENT},
                    timeout=NO_HANG,
                )
                assert answer.status_code == 200
        finally:
            await gateway.aclose()
            await pool.close()
    finally:
        tracing.use(None)
        # the batch is sent from the exporter's thread, to the receiver on this loop
        await asyncio.to_thread(provider.shutdown)
    received = collector.spans()
    assert {service for service, _ in received} == {"gateway-under-test"}
    names = {span.name for _, span in received}
    assert {"POST /graphql", "plan", "fetch consent", "fetch bureau"} <= names
    assert {span.trace_id.hex() for _, span in received} == {TRACE_ID}


def test_a_bad_endpoint_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "creditgraph.toml"
    path.write_text('[tracing]\notlp_endpoint = "collector:4318"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(path, {})
    assert str(caught.value) == (
        f"{path}: tracing.otlp_endpoint must be an http:// or https:// URL with a host, "
        "got 'collector:4318'"
    )
