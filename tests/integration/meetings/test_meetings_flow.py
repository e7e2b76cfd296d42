"""The meetings service over real Kafka and the real store: directory, scheduling, topics,
the four items, closing, X activities; replays publish once."""

from __future__ import annotations

import asyncio
import copy

import pytest

from tests.integration.meetings import flow
from tests.integration.meetings.flow import DIRECTORY, auth, ok
from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration

MEETING_TOPICS = ["directory-updated", "meeting-scheduled", "topic-proposed", "topic-selected",
                  "meeting-held", "activity-held"]


async def test_directory_import_publishes_a_snapshot_once_per_change(kafka_settings, meetings_http, district):
    async with EventTap(kafka_settings, ["directory-updated"]) as tap:
        first = await flow.import_directory(meetings_http, district)
        again = await flow.import_directory(meetings_http, district)
        assert (first["version"], first["changed"]) == (1, True)
        assert (again["version"], again["changed"]) == (1, False)
        [event] = await tap.wait_for(lambda t: t.events("directory-updated", district))
        await tap.settle(1.5)
        assert len(tap.events("directory-updated", district)) == 1
        data = event["data"]
        assert data["version"] == 1
        assert [c["community_id"] for c in data["communities"]] == ["c-1", "c-2", "c-3"]
        assert data["people"][-1]["channels"][0] == {"kind": "email", "address": "zhoumin@example.test"}

        changed = copy.deepcopy(DIRECTORY)
        changed["communities"].append({"community_id": "c-4", "street_id": "s-west", "name": "安康社区"})
        assert (await flow.import_directory(meetings_http, district, changed))["version"] == 2
        events = await tap.wait_for(lambda t: len(t.events("directory-updated", district)) == 2 and
                                    t.events("directory-updated", district))
    assert events[1]["data"]["version"] == 2 and len(events[1]["data"]["communities"]) == 4
    assert events[0]["id"] != events[1]["id"]
    record = next(r for r in tap.records if r.key == district.encode())
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"


async def test_an_invalid_directory_is_refused_with_lines_and_nothing_is_stored(meetings_http, district):
    text = "streets:\n  - {street_id: s1, name: 东城街道}\ncommunities:\n  - {community_id: c1, street_id: s9, name: 和平社区}\npeople:\n  - {person_id: p1, name: 张伟, roles: [], unit: {kind: community, id: c1}}\n"
    response = await meetings_http.put(f"/districts/{district}/directory", content=text.encode(),
                                       headers={**auth(district, "p-office"), "content-type": "application/yaml"})
    assert response.status_code == 422
    problems = response.json()["detail"]["problems"]
    assert {"line": 4, "path": "communities[0].street_id", "message": "没有街道 s9"} in problems
    assert any(p["line"] == 6 and p["message"] == "每人至少要有一个角色" for p in problems)
    # Nobody is in a directory that was never stored; an operator sees there is none.
    refused = await meetings_http.get(f"/districts/{district}/directory", headers=auth(district, "p-office"))
    assert refused.status_code == 403
    got = await meetings_http.get(f"/districts/{district}/directory", headers=flow.operator(district))
    assert got.status_code == 404


async def test_scheduling_publishes_meeting_scheduled_once_even_when_triggered_concurrently(
        kafka_settings, meetings_http, meetings, district):
    await flow.import_directory(meetings_http, district)
    async with EventTap(kafka_settings, ["meeting-scheduled"]) as tap:
        responses = await asyncio.gather(*(meetings_http.post(
            f"/districts/{district}/activity-days/schedule", json={"month": "2026-10"},
            headers=auth(district, "p-office")) for _ in range(4)))
        assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
        [event] = await tap.wait_for(lambda t: t.events("meeting-scheduled", district))
        # the periodic job on another replica finds it there too
        await meetings.schedule_due()
        await tap.settle(1.5)
        assert len([e for e in tap.events("meeting-scheduled", district)
                    if e["data"]["meeting_id"] == "ad-2026-10"]) == 1
    data = event["data"]
    # 2 October 2026 is inside the National Day holiday: the day moves to Thursday 8 October.
    assert data == {**data, "meeting_id": "ad-2026-10", "kind": "activity_day", "date": "2026-10-08",
                    "venue": "区党群服务中心", "topic_deadline": "2026-10-01", "first_friday": "2026-10-02"}


async def test_periodic_scheduling_covers_this_and_next_month(kafka_settings, meetings_http, meetings, district):
    await flow.import_directory(meetings_http, district)
    await meetings.schedule_due()
    days = await ok(await meetings_http.get(f"/districts/{district}/activity-days", headers=auth(district, "p-office")))
    today = meetings.clock.today()
    assert len(days) == 2 and days[0]["meeting_id"] == f"ad-{today:%Y-%m}"


async def test_a_full_activity_day_publishes_one_meeting_held_covering_every_community(
        kafka_settings, meetings_http, district):
    await flow.import_directory(meetings_http, district)
    day = await flow.schedule(meetings_http, district, "2026-11")
    meeting_id = day["meeting_id"]
    base = f"/districts/{district}/activity-days/{meeting_id}"
    async with EventTap(kafka_settings, MEETING_TOPICS) as tap:
        await flow.set_today(meetings_http, district, "2026-10-28")
        proposed = await ok(await meetings_http.post(f"{base}/topics", json={"title": "老旧小区停车难"},
                                                     headers=auth(district, "p-sec-1")))
        replay = await meetings_http.post(f"{base}/topics", json={"title": "老旧小区停车难"}, headers=auth(district, "p-sec-1"))
        assert replay.status_code == 200 and replay.json()["topic_id"] == proposed["topic_id"]
        await ok(await meetings_http.post(f"{base}/topics/{proposed['topic_id']}/select", headers=auth(district, "p-office")))

        await flow.set_today(meetings_http, district, "2026-10-31")
        late = await meetings_http.post(f"{base}/topics", json={"title": "迟到的议题"}, headers=auth(district, "p-sec-2"))
        assert late.status_code == 409 and "已于 2026-10-30 截止" in late.json()["detail"]
        assert late.json()["code"] == "topic.window_closed"

        await flow.set_today(meetings_http, district, "2026-11-06")
        await flow.record_items(meetings_http, district, meeting_id, communities=["c-1", "c-2"], summary=False)
        refused = await flow.close(meetings_http, district, meeting_id)
        assert refused.status_code == 409 and refused.json()["code"] == "activity_day.cannot_close"
        missing = refused.json()["detail"]["missing"]
        assert [c["community_id"] for c in missing["reports"]] == ["c-3"]
        assert [c["community_id"] for c in missing["comments"]] == ["c-3"]
        assert missing["summary"] is True

        await flow.record_items(meetings_http, district, meeting_id, tasks=[], communities=["c-3"])
        closed = await ok(await flow.close(meetings_http, district, meeting_id))
        assert closed["status"] == "held" and closed["changed"] is True
        again = await ok(await flow.close(meetings_http, district, meeting_id))
        assert again["changed"] is False
        after = await meetings_http.put(f"{base}/summary", json={"text": "改"}, headers=auth(district, "p-head"))
        assert after.status_code == 409

        await tap.wait_for(lambda t: t.events("meeting-held", district))
        await tap.settle(1.5)
    [held] = tap.events("meeting-held", district)
    data = held["data"]
    communities = {c["community_id"] for c in DIRECTORY["communities"]}
    assert {r["community_id"] for r in data["community_reports"]} == communities
    assert {c["community_id"] for c in data["comments"]} == communities
    assert [t["task_id"] for t in data["tasks"]] == ["t1", "t2"]
    assert data["topic_ids"] == [proposed["topic_id"]] and data["date"] == "2026-11-06"
    assert {"p-sec-1", "p-sec-2", "p-sec-3", "p-org-east", "p-org-west", "p-zhujian", "p-head"} <= set(data["attendees"])
    assert len(tap.events("topic-proposed", district)) == 1 and len(tap.events("topic-selected", district)) == 1
    assert held["id"] and held["subject"] == meeting_id


async def test_replaying_the_whole_day_publishes_each_event_once(kafka_settings, meetings_http, district):
    async with EventTap(kafka_settings, MEETING_TOPICS) as tap:
        for _ in range(2):
            await flow.hold_activity_day(meetings_http, district)
        await tap.wait_for(lambda t: t.events("meeting-held", district))
        await tap.settle(2.0)
    assert len(tap.events("meeting-held", district)) == 1
    assert len(tap.events("meeting-scheduled", district)) == 1
    assert len(tap.events("directory-updated", district)) == 1


async def test_a_collective_diagnosis_publishes_activity_held_with_outcomes(kafka_settings, meetings_http, district):
    await flow.import_directory(meetings_http, district)
    body = {
        "kind": "collective_diagnosis", "date": "2026-11-06", "title": "集体会诊：老旧小区停车难",
        "participants": ["p-sec-1", "p-org-east", "p-zhujian"],
        "record": {"problem": "和平社区停车位缺口约 200 个"},
        "outcomes": [
            {"title": "利用闲置地块建临时停车场", "responsible": {"kind": "department", "id": "zhujian"}, "due_date": "2026-12-31"},
            {"title": "错时共享机关停车位", "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-12-15"},
        ],
    }
    async with EventTap(kafka_settings, ["activity-held"]) as tap:
        first = await meetings_http.post(f"/districts/{district}/activities", json=body, headers=auth(district, "p-office"))
        second = await meetings_http.post(f"/districts/{district}/activities", json=body, headers=auth(district, "p-office"))
        assert (first.status_code, second.status_code) == (201, 200)
        [event] = await tap.wait_for(lambda t: t.events("activity-held", district))
        await tap.settle(1.0)
        assert len(tap.events("activity-held", district)) == 1
    assert event["data"]["kind"] == "collective_diagnosis" and len(event["data"]["outcomes"]) == 2
    assert event["data"]["record"] == {"problem": "和平社区停车位缺口约 200 个"}

    visit = {"kind": "study_visit", "date": "2026-11-12", "title": "赴先进社区对标学访", "participants": ["p-sec-1"],
             "record": {"destination": "某区"}}
    response = await meetings_http.post(f"/districts/{district}/activities", json=visit, headers=auth(district, "p-office"))
    assert response.status_code == 422
    assert any(err["loc"][-1] == "learned" for err in response.json()["detail"])
