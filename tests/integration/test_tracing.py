"""Acceptance (issue 12): with the file exporter on, one trace id spans the HTTP request that
held an activity day (meetings), the `meeting-held` consumer in issues and the `issue-raised`
consumer in notify — the context rides inside each CloudEvent, through both outboxes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.meetings.flow import hold_activity_day
from tests.support.kafka import EventTap, sleep_until

pytestmark = pytest.mark.integration


def _spans(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _ids(traceparent: str) -> tuple[str, str]:
    """(trace id, span id) as the exporter writes them."""
    _version, trace_id, span_id, _flags = traceparent.split("-")
    return f"0x{trace_id}", f"0x{span_id}"


async def test_one_trace_from_the_request_through_issues_to_notify(kafka_settings, meetings_http, issues, notify,
                                                                    district, trace_file):
    async with EventTap(kafka_settings, ["meeting-held", "issue-raised"]) as tap:
        await hold_activity_day(meetings_http, district)
        await tap.wait_for(lambda t: t.events("meeting-held", district) and len(t.events("issue-raised", district)) >= 2)
    [held] = tap.events("meeting-held", district)
    raised = tap.events("issue-raised", district)
    trace_id, request_span = _ids(held["traceparent"])

    def in_trace(name: str, service: str) -> list[dict]:
        return [s for s in _spans(trace_file) if s["name"] == name and s["context"]["trace_id"] == trace_id
                and s["resource"]["attributes"]["service.name"] == service
                and s["attributes"].get("fourx.district") == district]

    # The span that stored meeting-held is the HTTP request that closed the activity day.
    [request] = [s for s in _spans(trace_file) if s["context"]["span_id"] == request_span]
    assert request["kind"] == "SpanKind.SERVER" and request["context"]["trace_id"] == trace_id
    assert request["resource"]["attributes"]["service.name"] == "fourx-meetings"
    assert request["name"].startswith("POST /districts/{district}/")
    assert request["attributes"]["http.response.status_code"] < 300

    # issues consumed it as a child of that request, and the items it raised carry its span on.
    async def issues_consumed() -> list[dict]:
        return in_trace("process meeting-held", "fourx-issues")

    [consumed] = await sleep_until(issues_consumed, timeout=20)
    assert consumed["parent_id"] == request_span
    assert {_ids(e["traceparent"]) for e in raised} == {(trace_id, consumed["context"]["span_id"])}

    # notify consumed every item raised, each a child of the issues consumer span: one trace id.
    async def notify_consumed() -> list[dict]:
        spans = in_trace("process issue-raised", "fourx-notify")
        return spans if {s["attributes"]["cloudevents.event_id"] for s in spans} == {e["id"] for e in raised} else []

    notified = await sleep_until(notify_consumed, timeout=30)
    assert {s["parent_id"] for s in notified} == {consumed["context"]["span_id"]}
    assert all(s["attributes"]["messaging.consumer.group.name"] == "fourx-notify" for s in notified)

    # The outbox hop is visible: the relay's send span, a child of the request, for meeting-held.
    sends = [s for s in _spans(trace_file) if s["name"] == "send meeting-held" and s["parent_id"] == request_span]
    assert sends and sends[0]["context"]["trace_id"] == trace_id
