"""OpenTelemetry traces: one per request, with spans for planning, fetches and statements.

Nothing is traced unless the configuration names an OTLP endpoint (`[tracing]`): then
`configure` installs the SDK's tracer provider, exporting in batches over OTLP/HTTP, and
every server (`up`, `serve`, `subgraph`) makes

- a server span per HTTP request (RequestLog), continuing the client's W3C `traceparent`
  when it sends one, carrying the request id (`creditgraph.request_id`), the join key with
  the log line and the audit log entry;
- a span for each preparation and each planning of an operation (gateway/engine.py);
- a client span for each subgraph fetch (gateway/executor.py), whose context the HTTP
  transport sends on as `traceparent`, so a subgraph served apart continues the trace;
  each failed attempt is an event of it (`fetch attempt failed`, with the attempt's number
  and reason, gateway/transports/resilient.py), and so is a refusal by an open circuit;
- a span for each database statement (db/connect.py's pooled connections, through
  asyncpg's query logger: its text, never its parameters).

Unconfigured, the tracer is OpenTelemetry's no-op one, no `traceparent` is sent, and the
statement hook is never installed: what remains is a no-op call per span.

It stands apart from observability/ (whose metrics know the gateway's internals) because
the gateway and the database layer themselves open spans: neither has to import the other
for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import asyncpg
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import INVALID_SPAN, NoOpTracer, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from creditgraph import __version__

REQUEST_ID_ATTRIBUTE = "creditgraph.request_id"
SUBGRAPH_ATTRIBUTE = "creditgraph.subgraph"

_PROPAGATOR = TraceContextTextMapPropagator()
_NO_OP = NoOpTracer()
_tracer: trace.Tracer = _NO_OP
_UNTRACED = nullcontext(INVALID_SPAN)


def use(provider: trace.TracerProvider | None) -> None:
    """Trace through `provider` from now on; None: trace nothing (the no-op tracer)."""
    global _tracer
    _tracer = _NO_OP if provider is None else provider.get_tracer("creditgraph", __version__)


def enabled() -> bool:
    return _tracer is not _NO_OP


def configure(endpoint: str | None, service: str) -> TracerProvider | None:
    """Export spans over OTLP/HTTP to `endpoint` as `service`; nothing when no endpoint.

    The returned provider must be shut down on exit, which sends the spans still queued.
    The exporter reads OpenTelemetry's own variables for anything else (headers,
    certificates, compression: `OTEL_EXPORTER_OTLP_TRACES_HEADERS`…).
    """
    if endpoint is None:
        use(None)
        return None
    # imported here: only a server that exports pays for the protobuf encoder and its client
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    use(provider)
    return provider


def extract(headers: Iterable[tuple[bytes, bytes]]) -> Context:
    """The trace context a client's `traceparent` (and `tracestate`) carries, if any."""
    carrier = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in headers
        if name in (b"traceparent", b"tracestate")
    }
    return _PROPAGATOR.extract(carrier)


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` to an outgoing request's headers."""
    if enabled():
        _PROPAGATOR.inject(headers)


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    context: Context | None = None,
) -> AbstractContextManager[Span]:
    """A span around the block, current within it (the no-op span when not tracing).

    Not tracing, the block gets the invalid span through one shared context manager: the
    no-op tracer would still make the span current and restore the context after it,
    several microseconds for each of a request's fetches."""
    if _tracer is _NO_OP:
        return _UNTRACED
    return _traced(name, kind, attributes, context)


@contextmanager
def _traced(
    name: str, kind: SpanKind, attributes: Mapping[str, Any] | None, context: Context | None
) -> Iterator[Span]:
    """The SDK's span, but an exception leaving the block is never written into it: its
    message may hold what a client sent (a variable's value, an identifier), and traces
    leave the process. A span the block did not mark `failed` is marked with the
    exception's type alone."""
    with _tracer.start_as_current_span(
        name,
        context=context,
        kind=kind,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            if _unmarked(current):
                failed(current, type(exc).__name__)
            raise


def _unmarked(current: Span) -> bool:
    status = getattr(current, "status", None)
    return status is None or status.status_code is StatusCode.UNSET


def failed(current: Span, reason: str) -> None:
    """Mark `current` as failed, saying why in words (never an exception's message)."""
    current.set_status(Status(StatusCode.ERROR, reason))


def event(name: str, attributes: Mapping[str, Any]) -> None:
    """Note something that happened in the current span (a failed attempt before its retry)."""
    if enabled():
        trace.get_current_span().add_event(name, attributes)


def watch_statements(connection: asyncpg.Connection) -> None:
    """Trace each statement `connection` runs, when tracing (else nothing is installed)."""
    if enabled():
        connection.add_query_logger(_statement)


def _statement(record: asyncpg.connection.LoggedQuery) -> None:
    """A finished statement's span, as a child of the span it ran under.

    asyncpg calls this just after the statement, in the context of the task that ran it
    (so the parent is right); the span is dated back by the time the statement took.
    """
    ended = time.time_ns()
    started = ended - int(record.elapsed * 1e9)
    text = record.query.strip()
    operation = text.split(None, 1)[0].upper() if text else "STATEMENT"
    current = _tracer.start_span(
        operation,
        kind=SpanKind.CLIENT,
        start_time=started,
        attributes={
            "db.system.name": "postgresql",
            "db.operation.name": operation,
            "db.query.text": text,
        },
    )
    if record.exception is not None:
        failed(current, type(record.exception).__name__)
    current.end(end_time=ended)
