from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from datetime import timedelta

from fourx_contracts.envelope import CloudEvent, InvalidEvent, deterministic_id, event_id, new_event
from fourx_contracts.events import CATALOG, TOPICS, dlq_topic, validate_payload
from fourx_platform.kafka import decode_record

SPEC_TOPICS = {
    "directory-updated", "meeting-scheduled", "topic-proposed", "topic-selected", "meeting-held",
    "activity-held", "issue-raised", "progress-recorded", "issue-resolved", "issue-overdue",
    "inspection-held", "notice-issued", "interview-scheduled", "report-requested", "report-published",
    "notification-sent",
}
# Topics added since v1.1, additively (README, "Contract notes: additive fields").
ADDED_TOPICS = {"supervision-snapshot", "suggestion-made", "suggestion-decided"}  # v1.2, v1.3


def test_catalog_is_the_contract():
    assert set(TOPICS) == SPEC_TOPICS | ADDED_TOPICS == set(CATALOG)
    assert dlq_topic("meeting-held") == "meeting-held.dlq"


def test_envelope_round_trip_keeps_every_attribute():
    event = new_event(type="report-requested", source="/ops", district="d1", data={"week": "2026-W48"},
                      subject="d1", time=datetime(2026, 11, 27, 8, tzinfo=UTC))
    body = json.loads(event.to_json_bytes())
    assert body["specversion"] == "1.0" and body["time"].endswith("Z")
    assert body["correlationid"] == event.id and body["datacontenttype"] == "application/json"
    assert CloudEvent.from_json_bytes(event.to_json_bytes()) == event


def test_unknown_extension_attributes_are_accepted():
    event = new_event(type="report-requested", source="/ops", district="d1", data={"week": "2026-W48"})
    body = json.loads(event.to_json_bytes()) | {"partitionkey": "d1", "traceparent": "00-abc"}
    parsed, payload = decode_record("report-requested", json.dumps(body).encode())
    assert parsed.model_extra == {"partitionkey": "d1"} and payload.week == "2026-W48"
    # The tracing extension is declared (additive), and a malformed value is kept, not refused.
    assert parsed.traceparent == "00-abc"


def test_trace_attributes_are_left_out_when_absent():
    event = new_event(type="report-requested", source="/ops", district="d1", data={"week": "2026-W48"})
    assert not {"traceparent", "tracestate"} & set(json.loads(event.to_json_bytes()))
    traced = event.model_copy(update={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"})
    assert json.loads(traced.to_json_bytes())["traceparent"] == traced.traceparent


@pytest.mark.parametrize("raw, message", [
    (b"\xff\x00garbage", "not JSON"),
    (b"[1, 2]", "not an object"),
    (b'{"specversion": "1.0", "type": "meeting-held"}', "not a valid CloudEvent"),
    (None, "no value"),
])
def test_bad_records_are_refused_with_a_reason(raw, message):
    with pytest.raises(InvalidEvent, match=message):
        decode_record("meeting-held", raw)


def test_payload_validation_names_the_field():
    event = new_event(type="progress-recorded", source="/x", district="d", data={
        "issue_id": "i", "week": "2026-W48", "note": "n", "percent": 101})
    with pytest.raises(InvalidEvent, match="percent"):
        validate_payload(event, "progress-recorded")


def test_event_on_the_wrong_topic_is_refused():
    event = new_event(type="report-requested", source="/x", district="d", data={"week": "2026-W48"})
    with pytest.raises(InvalidEvent, match="does not belong"):
        validate_payload(event, "meeting-held")


def test_naive_time_is_refused():
    body = json.loads(new_event(type="report-requested", source="/x", district="d", data={"week": "2026-W01"}).to_json_bytes())
    body["time"] = "2026-11-27T08:00:00"
    with pytest.raises(InvalidEvent, match="time"):
        CloudEvent.from_json_bytes(json.dumps(body).encode())


def test_deterministic_ids_depend_on_every_part():
    assert deterministic_id("a", "b") == deterministic_id("a", "b")
    assert deterministic_id("a", "b") != deterministic_id("a", "c")


def _held(source: str, time: datetime | None = None) -> bytes:
    return new_event(type="topic-selected", source=source, district="d1", time=time, data={
        "topic_id": "t", "meeting_id": "m", "title": "x"}).to_json_bytes()


def test_a_service_topic_takes_only_its_producers_source():
    envelope, _ = decode_record("topic-selected", _held("/services/meetings"), b"d1")
    assert envelope.source == "/services/meetings"
    with pytest.raises(InvalidEvent, match="not the producer of 'topic-selected'"):
        decode_record("topic-selected", _held("/services/issues"), b"d1")
    with pytest.raises(InvalidEvent, match="source"):
        decode_record("topic-selected", _held("/tests"), b"d1")


def test_anyone_may_ask_for_a_report():
    for source in ("/ops", "/services/notify", "/tests"):
        raw = new_event(type="report-requested", source=source, district="d1", data={"week": "2026-W48"}).to_json_bytes()
        assert decode_record("report-requested", raw, b"d1")[0].source == source


# "A day and five minutes ahead" is taken when the test runs, not when it is collected: the
# whole suite runs longer than five minutes, and the unit tests come last.
@pytest.mark.parametrize("time", [datetime(1999, 12, 31, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
                                  timedelta(days=1, minutes=5), datetime(9999, 1, 1, tzinfo=UTC)])
def test_an_implausible_time_is_refused(time):
    if isinstance(time, timedelta):  # ahead of the clock when the test runs, not when it was collected
        time = datetime.now(UTC) + time
    with pytest.raises(InvalidEvent, match="time"):  # year 1 does not even parse
        decode_record("topic-selected", _held("/services/meetings", time), b"d1")


def test_a_clock_a_little_ahead_is_fine():
    decode_record("topic-selected", _held("/services/meetings", datetime.now(UTC) + timedelta(hours=23)), b"d1")
    decode_record("topic-selected", _held("/services/meetings", datetime(2000, 1, 1, tzinfo=UTC)), b"d1")


def test_event_ids_live_in_their_producers_namespace():
    assert event_id("/services/issues", "a", "b") == event_id("/services/issues", "a", "b")
    assert event_id("/services/issues", "a", "b") != event_id("/services/meetings", "a", "b")
    assert event_id("/services/issues", "a", "b") != deterministic_id("a", "b")
