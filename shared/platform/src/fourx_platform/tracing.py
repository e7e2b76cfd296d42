"""Traces across HTTP → outbox → Kafka → consumer → outbox → … (OpenTelemetry).

The trace context travels *inside the CloudEvent*, as the CloudEvents distributed-tracing
extension (`traceparent`, `tracestate`), not in Kafka headers: an event is stored in the
outbox and published later by the relay, outside the request that caused it, so only what is
stored with the event survives. Invariants:
- An event stored in an outbox while a span is active (an HTTP request, or the consumer span
  of the event that caused it) carries that span's context (`stamped`, through
  `outbox.outbox_entries`); an event that carries one already keeps it.
- A consumer handles each event in a span that is a child of the event's `traceparent`
  (`consuming`); so one user action is one trace across every service it reaches.
- A bad or missing `traceparent` starts a new trace; tracing never fails or refuses an event.

Each service has its own tracer provider (`Tracing`), set up in its `start()` and shut down in
its `stop()` — never at import, and never the process-wide global one, so the three services
of the test suite share a process without sharing a `service.name`. Off unless configured:
- `FOURX_TRACE_FILE=path`: one JSON span per line, appended (tests, local debugging);
- `OTEL_TRACES_EXPORTER=otlp|console|none` (comma-separated), the standard variable;
- else OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set;
- `OTEL_SDK_DISABLED=true` turns all of it off. The OTLP exporter reads its own `OTEL_EXPORTER_OTLP_*`
  variables and needs the `otlp` extra (`opentelemetry-exporter-otlp-proto-http`).
Off, the tracer is OpenTelemetry's no-op one: nothing is recorded, but a context that came in
(an HTTP `traceparent` header, an event's) is still passed on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor,
                                            SpanExporter, SpanExportResult)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from fourx_contracts.envelope import TRACE_ATTRIBUTES, CloudEvent

if TYPE_CHECKING:
    from fourx_platform.kafka import ReceivedEvent

log = structlog.get_logger("fourx.tracing")
# W3C Trace Context: the same two names as the CloudEvents extension attributes.
_W3C = TraceContextTextMapPropagator()
_OFF = trace.NoOpTracer()


class JsonLinesExporter(SpanExporter):
    """One JSON object per finished span, one per line, appended to `path`."""

    def __init__(self, path: str):
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(span.to_json(indent=None) + "\n" for span in spans)
        with self._lock, open(self._path, "a", encoding="utf-8") as out:
            out.write(lines)
        return SpanExportResult.SUCCESS


def _exporters() -> list[tuple[SpanExporter, bool]]:
    """(exporter, batched) chosen by the environment; empty: tracing is off."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    chosen: list[tuple[SpanExporter, bool]] = []
    if path := os.environ.get("FOURX_TRACE_FILE"):
        chosen.append((JsonLinesExporter(path), False))  # written at once: a test reads it next
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                      or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        names = ["otlp"]
    for name in names:
        if name == "console":
            chosen.append((ConsoleSpanExporter(), False))
        elif name == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                log.warning("OTLP trace export asked for but not installed: install fourx-platform[otlp]")
                continue
            chosen.append((OTLPSpanExporter(), True))
        elif name != "none":
            log.warning("unknown OTEL_TRACES_EXPORTER entry ignored", exporter=name)
    return chosen


class Tracing:
    """One service's tracer: the no-op one until `start()` found an exporter to use."""

    def __init__(self, service: str):
        self.service = service
        self._provider: TracerProvider | None = None
        self.tracer: trace.Tracer = _OFF

    @property
    def on(self) -> bool:
        return self._provider is not None

    def start(self) -> None:
        if self._provider is not None:
            return
        exporters = _exporters()
        if not exporters:
            return
        provider = TracerProvider(resource=Resource.create({"service.name": f"fourx-{self.service}"}))
        for exporter, batched in exporters:
            provider.add_span_processor(BatchSpanProcessor(exporter) if batched else SimpleSpanProcessor(exporter))
        self._provider = provider
        self.tracer = provider.get_tracer("fourx_platform")
        log.info("tracing on", service=self.service, exporters=[type(e).__name__ for e, _ in exporters])

    def flush(self) -> None:
        if self._provider is not None:
            self._provider.force_flush()

    def stop(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()
        self._provider, self.tracer = None, _OFF


# broker → its service's Tracing: the subscribers and the relay are given a broker, not a service.
_BY_BROKER: WeakKeyDictionary[Any, Tracing] = WeakKeyDictionary()


def attach(broker: Any, tracing: Tracing) -> None:
    _BY_BROKER[broker] = tracing


def tracer_of(broker: Any) -> trace.Tracer:
    tracing = _BY_BROKER.get(broker)
    return tracing.tracer if tracing is not None else _OFF


# --- the context inside the event -----------------------------------------------------------
def stamped(event: CloudEvent) -> CloudEvent:
    """The event with the active span's context as `traceparent`/`tracestate`; unchanged when
    it carries a context already or no span is active."""
    if event.traceparent is not None:
        return event
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    if "traceparent" not in carrier:
        return event
    return event.model_copy(update={name: carrier.get(name) for name in TRACE_ATTRIBUTES})


def context_of(event: CloudEvent) -> otel_context.Context:
    """The context the event was created in; an empty one (a new trace) when it has none."""
    carrier = {name: value for name in TRACE_ATTRIBUTES if isinstance(value := getattr(event, name), str)}
    return _W3C.extract(carrier, context=otel_context.Context())


def _event_attributes(received: "ReceivedEvent", group: str) -> dict[str, Any]:
    envelope = received.envelope
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": received.topic,
        "messaging.destination.partition.id": str(received.partition),
        "messaging.kafka.offset": received.offset,
        "messaging.consumer.group.name": group,
        "messaging.message.id": envelope.id,
        "cloudevents.event_id": envelope.id,
        "cloudevents.event_type": envelope.type,
        "cloudevents.event_source": envelope.source,
        "cloudevents.event_subject": envelope.subject or "",
        "fourx.district": envelope.district,
        "fourx.correlation_id": envelope.correlationid or "",
    }


@contextmanager
def consuming(broker: Any, group: str, events: Sequence["ReceivedEvent"]) -> Iterator[None]:
    """One span per event (`process <topic>`), each a child of its event's `traceparent`.
    With one event its span is the active one while it is handled, so what the handler stores
    carries it on; a batch of several is handled in a `process batch` span linked to each."""
    tracer = tracer_of(broker)
    if tracer is _OFF and all(r.envelope.traceparent is None for r in events):
        yield  # nothing to record and no context to pass on: the hot path stays as it was
        return
    spans = [tracer.start_span(f"process {r.topic}", context=context_of(r.envelope), kind=SpanKind.CONSUMER,
                               attributes=_event_attributes(r, group)) for r in events]
    if len(spans) == 1:
        active = spans[0]
    else:
        active = tracer.start_span("process batch", context=otel_context.Context(), kind=SpanKind.CONSUMER,
                                   links=[Link(s.get_span_context()) for s in spans],
                                   attributes={"messaging.system": "kafka", "messaging.consumer.group.name": group,
                                               "messaging.batch.message_count": len(spans)})
        spans.append(active)
    try:
        with trace.use_span(active, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            yield
    except BaseException as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        for span in spans:
            span.end()


def traced_event(broker: Any, group: str,
                 handler: Callable[["ReceivedEvent"], Awaitable[None]]) -> Callable[["ReceivedEvent"], Awaitable[None]]:
    """`handler` run in the event's consumer span: every attempt (the failure policy may retry)
    is a span of its own, a failed one with its exception."""
    async def in_span(received: "ReceivedEvent") -> None:
        with consuming(broker, group, [received]):
            await handler(received)
    return in_span


def traced_batch(broker: Any, group: str, handler: Callable[[list["ReceivedEvent"]], Awaitable[None]]
                 ) -> Callable[[list["ReceivedEvent"]], Awaitable[None]]:
    """The same for a batch handler: one span per event of each attempt (`consuming`)."""
    async def in_spans(batch: list["ReceivedEvent"]) -> None:
        with consuming(broker, group, batch):
            await handler(batch)
    return in_spans


@contextmanager
def publishing(broker: Any, event: CloudEvent) -> Iterator[None]:
    """The relay's `send <topic>` span, a child of the event's context: the time an event sat
    in the outbox is the gap between the span that stored it and this one."""
    tracer = tracer_of(broker)
    if tracer is _OFF:  # a send creates no event: with nothing recorded there is nothing to pass on
        yield
        return
    with tracer.start_as_current_span(
            f"send {event.type}", context=context_of(event), kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.operation.type": "send",
                        "messaging.destination.name": event.type, "messaging.message.id": event.id,
                        "cloudevents.event_id": event.id, "cloudevents.event_type": event.type,
                        "fourx.district": event.district}):
        yield


# --- HTTP server spans ----------------------------------------------------------------------
class TracingMiddleware:
    """A server span per HTTP request (ASGI), a child of the request's `traceparent` header
    when it has one, named after its route template (`POST /districts/{district}/meetings`)."""

    def __init__(self, app: Any, tracing: Tracing | None):
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.tracing is None or not self.tracing.on:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())
                   if k in (b"traceparent", b"tracestate")}
        method = scope.get("method", "GET")
        status: list[int] = []

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        with self.tracing.tracer.start_as_current_span(
                f"{method} {scope.get('path', '')}", context=_W3C.extract(headers, context=otel_context.Context()),
                kind=SpanKind.SERVER, attributes={"http.request.method": method, "url.path": scope.get("path", ""),
                                                  "fourx.service": self.tracing.service}) as span:
            await self.app(scope, receive, sending)
            route = getattr(scope.get("route"), "path", None)
            if route:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            if status:
                span.set_attribute("http.response.status_code", status[0])
                if status[0] >= 500:
                    span.set_status(Status(StatusCode.ERROR))
