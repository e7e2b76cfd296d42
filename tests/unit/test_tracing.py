"""The trace context inside the event (no I/O): stamped where an event is stored, taken up by
the consumer's span; off unless the environment turns it on."""

from __future__ import annotations

import json

import pytest
from fourx_contracts.envelope import new_event
from fourx_platform import tracing
from fourx_platform.kafka import ReceivedEvent
from fourx_platform.outbox import outbox_entries
from opentelemetry import trace

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def traced(tmp_path, monkeypatch) -> tuple[tracing.Tracing, object]:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "spans.jsonl"
    monkeypatch.setenv("FOURX_TRACE_FILE", str(path))
    service = tracing.Tracing("unit")
    service.start()
    yield service, path
    service.stop()


def _spans(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _event(**extra):
    return new_event(type="report-requested", source="/ops", district="d1", data={"week": "2026-W48"}, **extra)


def test_off_by_default(monkeypatch):
    for name in ("FOURX_TRACE_FILE", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    service = tracing.Tracing("unit")
    service.start()
    assert not service.on and isinstance(service.tracer, trace.NoOpTracer)


def test_an_event_stored_outside_a_span_carries_no_context():
    assert "traceparent" not in outbox_entries([_event()])[0]


def test_an_event_stored_in_a_span_carries_it(traced):
    service, _ = traced
    with service.tracer.start_as_current_span("request") as span:
        entry = outbox_entries([_event()])[0]
    context = span.get_span_context()
    assert entry["traceparent"].startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")


def test_an_event_keeps_the_context_it_was_given(traced):
    service, _ = traced
    with service.tracer.start_as_current_span("elsewhere"):
        assert outbox_entries([_event(traceparent=PARENT)])[0]["traceparent"] == PARENT


async def test_the_consumer_span_is_a_child_of_the_events_traceparent(traced):
    service, path = traced
    broker = type("Broker", (), {})()
    tracing.attach(broker, service)
    seen = {}

    async def handler(received):
        seen["stored"] = tracing.stamped(_event()).traceparent

    await tracing.traced_event(broker, "g1", handler)(ReceivedEvent(_event(traceparent=PARENT), None, "report-requested", 2, 7))
    [span] = _spans(path)
    assert span["name"] == "process report-requested" and span["kind"] == "SpanKind.CONSUMER"
    assert span["context"]["trace_id"] == "0x0af7651916cd43dd8448eb211c80319c"
    assert span["parent_id"] == "0xb7ad6b7169203331"
    assert span["attributes"]["messaging.consumer.group.name"] == "g1"
    assert span["attributes"]["messaging.kafka.offset"] == 7
    # What the handler stores goes on in the same trace, from the consumer's span.
    assert seen["stored"].startswith(f"00-0af7651916cd43dd8448eb211c80319c-{span['context']['span_id'][2:]}-")


async def test_a_batch_gives_each_event_its_own_parent_and_records_a_failure(traced):
    service, path = traced
    broker = type("Broker", (), {})()
    tracing.attach(broker, service)
    other = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"

    async def handler(batch):
        raise RuntimeError("boom")

    batch = [ReceivedEvent(_event(traceparent=p), None, "report-requested", 0, i) for i, p in enumerate((PARENT, other))]
    with pytest.raises(RuntimeError):
        await tracing.traced_batch(broker, "g1", handler)(batch)
    spans = {s["name"] + str(s["attributes"].get("messaging.kafka.offset")): s for s in _spans(path)}
    assert spans["process report-requested0"]["parent_id"] == "0xb7ad6b7169203331"
    assert spans["process report-requested1"]["context"]["trace_id"] == "0x" + "1" * 32
    assert {s["status"]["status_code"] for s in spans.values()} == {"ERROR"}
    assert len(spans["process batchNone"]["links"]) == 2


def test_a_malformed_traceparent_starts_a_new_trace():
    assert not trace.get_current_span(tracing.context_of(_event(traceparent="00-abc"))).get_span_context().is_valid


async def test_off_a_consumer_still_passes_the_context_on(monkeypatch):
    for name in ("FOURX_TRACE_FILE", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    off = tracing.Tracing("unit")
    off.start()
    broker = type("Broker", (), {})()
    tracing.attach(broker, off)
    seen = {}

    async def handler(received):
        seen["stored"] = outbox_entries([_event()])[0].get("traceparent")

    await tracing.traced_event(broker, "g1", handler)(ReceivedEvent(_event(traceparent=PARENT), None, "report-requested", 0, 1))
    assert seen["stored"] == PARENT  # nothing recorded here, the caller's trace goes on
