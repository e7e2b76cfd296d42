"""One activity day from the meetings service through real Kafka into notify's store and
out as a weekly report; the DLQ; duplicate delivery; the outbox."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fourx_contracts.envelope import new_event
from fourx_platform.kafka import ensure_topics

from tests.integration.meetings.flow import hold_activity_day
from tests.support.kafka import EventTap, produce, sleep_until

pytestmark = pytest.mark.integration

async def request_report(kafka_settings, district: str, week: str) -> dict:
    request = new_event(type="report-requested", source="/tests", district=district, data={"week": week})
    async with EventTap(kafka_settings, ["report-published"]) as tap:
        await produce(kafka_settings, "report-requested", request.to_json_bytes(), district.encode())
        published = await tap.wait_for(
            lambda t: [e for e in t.events("report-published", district) if e["correlationid"] == request.correlationid],
            timeout=30,
        )
    return published[0]


async def test_activity_day_flows_to_weekly_report(kafka_settings, meetings_http, notify, district):
    async with EventTap(kafka_settings, ["meeting-held"]) as tap:
        # directory, schedule November 2026 (6 November), the four items for every community, close
        meeting_id = await hold_activity_day(meetings_http, district)
        held = await tap.wait_for(lambda t: t.events("meeting-held", district))
    assert len(held) == 1
    event = held[0]
    assert event["specversion"] == "1.0" and event["type"] == "meeting-held"
    assert event["district"] == district and event["subject"] == meeting_id == "ad-2026-11"
    assert [t["task_id"] for t in event["data"]["tasks"]] == ["t1", "t2"]

    report = await request_report(kafka_settings, district, "2026-W45")
    assert report["data"]["stats"]["meetings_held"] == 1
    assert report["data"]["stats"]["tasks_assigned"] == 2
    bulletin = await notify.bulletins().get(f"{district}:2026-W45")
    assert "周工作记实通报" in bulletin["markdown"]
    assert "老旧小区加装电梯摸底" in bulletin["markdown"]


async def test_replaying_minutes_publishes_once(kafka_settings, meetings_http, district):
    async with EventTap(kafka_settings, ["meeting-held"]) as tap:
        for _ in range(2):  # every command of the day replayed, the close included
            await hold_activity_day(meetings_http, district)
        await tap.wait_for(lambda t: t.events("meeting-held", district))
        await tap.settle(2.0)
        assert len(tap.events("meeting-held", district)) == 1


async def test_record_is_keyed_by_district_with_cloudevents_content_type(kafka_settings, meetings_http, district):
    async with EventTap(kafka_settings, ["meeting-held"]) as tap:
        await hold_activity_day(meetings_http, district)
        await tap.wait_for(lambda t: t.events("meeting-held", district))
        record = next(r for r in tap.records if json.loads(r.value)["district"] == district)
    assert record.key == district.encode()
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"


async def test_non_json_goes_to_dlq_and_next_event_is_processed(kafka_settings, notify, district):
    good = new_event(type="meeting-held", source="/services/meetings", district=district, data={
        "meeting_id": "m-after-garbage", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
        "community_reports": [], "comments": [], "tasks": [], "summary": "ok", "topic_ids": [],
    })
    async with EventTap(kafka_settings, ["meeting-held.dlq"]) as tap:
        # Same key, so same partition: the good record sits right behind the bad one.
        await produce(kafka_settings, "meeting-held", b"\x00not json{", district.encode())
        await produce(kafka_settings, "meeting-held", good.to_json_bytes(), district.encode())
        dead = await tap.wait_for(lambda t: [r for r in t.records if r.key == district.encode()
                                             and dict(r.headers).get("dlq-group") == b"fourx-notify"])
    assert dead[0].value == b"\x00not json{"
    headers = dict(dead[0].headers)
    assert b"not JSON" in headers["dlq-error"]
    assert headers["dlq-topic"] == b"meeting-held"

    async def stored():
        return [e for e in await notify.event_store().up_to(district, date(2026, 12, 31)) if e.id == good.id]

    assert await sleep_until(stored)


async def test_invalid_data_goes_to_dlq_naming_the_field(kafka_settings, notify, district):
    bad = new_event(type="progress-recorded", source="/services/issues", district=district,
                    data={"issue_id": "i1", "week": "2026-W48", "note": "x", "percent": 140})
    async with EventTap(kafka_settings, ["progress-recorded.dlq"]) as tap:
        await produce(kafka_settings, "progress-recorded", bad.to_json_bytes(), district.encode())
        dead = await tap.wait_for(lambda t: [r for r in t.records if r.key == district.encode()])
    assert b"percent" in dict(dead[0].headers)["dlq-error"]


async def test_same_cloudevent_twice_counts_once(kafka_settings, notify, district):
    held = new_event(type="meeting-held", source="/services/meetings", district=district, data={
        "meeting_id": "m-dup", "kind": "activity_day", "date": "2026-11-27", "attendees": [],
        "community_reports": [], "comments": [], "summary": "ok", "topic_ids": [],
        "tasks": [{"task_id": "t", "title": "x", "assigned_to": {"kind": "street", "id": "s"}, "due_date": "2026-12-01"}],
    })
    for _ in range(2):
        await produce(kafka_settings, "meeting-held", held.to_json_bytes(), district.encode())
    report = await request_report(kafka_settings, district, "2026-W48")
    assert report["data"]["stats"]["meetings_held"] == 1
    assert report["data"]["stats"]["tasks_assigned"] == 1


async def test_ensure_topics_is_idempotent(kafka_settings):
    assert await ensure_topics(kafka_settings) == []
