"""Every counter of `report-published.stats`, from events published straight onto Kafka
per the contract, as another district's system or an ops tool would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fourx_contracts.envelope import new_event
from fourx_platform.kafka import KafkaSettings

from tests.integration.test_walking_skeleton import request_report
from tests.support.kafka import EventTap, produce, source_of

pytestmark = pytest.mark.integration

IN_WEEK = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)   # Wednesday of 2026-W48 in Shanghai
BEFORE = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)    # 2026-W47
UNIT = {"kind": "community", "id": "c1"}


def issue(issue_id: str) -> dict:
    return {"issue_id": issue_id, "title": "t", "description": "d", "source": {"kind": "community", "ref": "c1"},
            "responsible": UNIT, "owner": None, "due_date": "2026-12-01", "street_id": "s1", "community_id": "c1"}


def meeting(meeting_id: str, day: str, tasks: int) -> dict:
    return {"meeting_id": meeting_id, "kind": "activity_day", "date": day, "attendees": [],
            "community_reports": [], "comments": [], "summary": "s", "topic_ids": [],
            "tasks": [{"task_id": f"{meeting_id}-{i}", "title": "t", "assigned_to": UNIT, "due_date": "2026-12-31"}
                      for i in range(tasks)]}


STREAM = [
    ("meeting-held", IN_WEEK, meeting("m1", "2026-11-27", 3)),
    ("meeting-held", IN_WEEK, meeting("m0", "2026-11-06", 5)),        # dated in W45: not this week
    ("activity-held", IN_WEEK, {"activity_id": "a1", "meeting_id": None, "kind": "collective_diagnosis",
                                "date": "2026-11-24", "title": "会诊", "participants": [], "outcomes": []}),
    ("topic-proposed", IN_WEEK, {"topic_id": "tp1", "meeting_id": "m1", "title": "停车难", "proposed_by": UNIT}),
    ("topic-proposed", IN_WEEK, {"topic_id": "tp2", "meeting_id": "m1", "title": "养老", "proposed_by": UNIT}),
    ("topic-selected", IN_WEEK, {"topic_id": "tp1", "meeting_id": "m1", "title": "停车难"}),
    ("issue-raised", BEFORE, issue("i-old")),                          # raised W47, still open
    ("issue-raised", BEFORE, issue("i-old-done")),                     # raised W47, resolved W48
    ("issue-raised", IN_WEEK, issue("i1")),
    ("issue-raised", IN_WEEK, issue("i2")),
    ("issue-resolved", IN_WEEK, {"issue_id": "i-old-done", "resolved_on": "2026-11-26", "resolution": "done"}),
    ("issue-overdue", IN_WEEK, {"issue_id": "i-old", "due_date": "2026-11-20", "days_overdue": 5}),
    ("progress-recorded", IN_WEEK, {"issue_id": "i1", "week": "2026-W48", "note": "n", "percent": 30}),
    ("progress-recorded", IN_WEEK, {"issue_id": "i2", "week": "2026-W48", "note": "n", "percent": 10}),
    ("progress-recorded", IN_WEEK, {"issue_id": "i1", "week": "2026-W47", "note": "n", "percent": 10}),
    ("inspection-held", IN_WEEK, {"inspection_id": "in1", "date": "2026-11-23", "kind": "field_supervision",
                                  "units": [UNIT], "findings": "f"}),
    ("notice-issued", IN_WEEK, {"notice_id": "n1", "issue_id": "i-old", "to": UNIT, "to_person": "p1",
                                "reason": "逾期", "issued_on": "2026-11-26", "respond_by": "2026-12-03"}),
    ("interview-scheduled", IN_WEEK, {"interview_id": "iv1", "issue_id": "i-old", "person_id": "p1",
                                      "reason": "逾期未办", "scheduled_for": "2026-12-04T02:00:00Z"}),
]

# What the stream above says by itself.
EXPECTED = {
    "meetings_held": 1, "activities_held": 1, "topics_proposed": 2, "topics_selected": 1,
    "tasks_assigned": 3, "issues_raised": 2, "issues_resolved": 1, "issues_overdue": 1,
    "open_issues": 3, "progress_records": 2, "inspections_held": 1, "notices_issued": 1,
    "interviews_scheduled": 1,
}
# With the issues service running, every task of a meeting becomes a supervision item raised
# on the meeting's day: m1's 3 tasks in this week, m0's 5 in W45 (still open at week's end).
DERIVED_ISSUES = 8
EXPECTED_WITH_SUPERVISION = EXPECTED | {"issues_raised": 2 + 3, "open_issues": 3 + 3 + 5}


async def publish_stream(kafka: KafkaSettings, district: str) -> None:
    for topic, time, data in STREAM:
        event = new_event(type=topic, source=source_of(topic), district=district, data=data, time=time)
        await produce(kafka, topic, event.to_json_bytes(), district.encode())


def derived_issues(tap: EventTap, district: str) -> list[dict]:
    # The stream stands in for the issues service too (same source): its own items are not derived.
    sent = {data["issue_id"] for topic, _time, data in STREAM if topic == "issue-raised"}
    return [e for e in tap.events("issue-raised", district) if e["data"]["issue_id"] not in sent]


async def test_every_counter_follows_the_contract(kafka_settings, notify, issues, district):
    async with EventTap(kafka_settings, ["issue-raised"]) as tap:
        await publish_stream(kafka_settings, district)
        # Wait for the issues service, so the count does not depend on who is faster.
        await tap.wait_for(lambda t: len(derived_issues(t, district)) == DERIVED_ISSUES)
    report = await request_report(kafka_settings, district, "2026-W48")
    assert report["data"]["stats"] == EXPECTED_WITH_SUPERVISION
    assert report["data"]["week"] == "2026-W48"
    assert report["data"]["report_id"]


async def test_asking_again_gives_the_same_numbers_as_a_new_event(kafka_settings, notify, district):
    for topic, time, data in STREAM[2:6]:  # none of them causes events elsewhere
        event = new_event(type=topic, source=source_of(topic), district=district, data=data, time=time)
        await produce(kafka_settings, topic, event.to_json_bytes(), district.encode())
    first = await request_report(kafka_settings, district, "2026-W48")
    first_hash = (await notify.bulletins().get(f"{district}:2026-W48"))["content_hash"]
    second = await request_report(kafka_settings, district, "2026-W48")
    assert second["id"] != first["id"]
    assert second["data"]["stats"] == first["data"]["stats"]
    assert second["data"]["report_id"] == first["data"]["report_id"]
    assert (await notify.bulletins().get(f"{district}:2026-W48"))["content_hash"] == first_hash
