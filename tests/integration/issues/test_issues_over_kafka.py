"""The issues service over real Kafka and the real store."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from fourx_contracts.envelope import new_event
from fourx_issues.service_layer import handlers

from tests.support.kafka import EventTap, produce, sleep_until

pytestmark = pytest.mark.integration

LADDER_TOPICS = ["issue-overdue", "notice-issued", "interview-scheduled"]


def meeting_held(district: str) -> bytes:
    event = new_event(type="meeting-held", source="/services/meetings", district=district, subject="m-2026-11", data={
        "meeting_id": "m-2026-11", "kind": "activity_day", "date": "2026-11-06", "attendees": ["p1"],
        "community_reports": [], "comments": [], "summary": "把问题清单落实到人", "topic_ids": [],
        "tasks": [
            {"task_id": f"t{i}", "title": f"任务{i}", "assigned_to": {"kind": "community", "id": f"c{i}"},
             "due_date": "2026-12-04"} for i in range(1, 4)
        ],
    })
    return event.to_json_bytes()


def item_body(title: str = "楼道堆物清理", due: str = "2026-12-04", **kw) -> dict:
    return {"title": title, "description": "居民反映", "source": {"kind": "community", "ref": "c1"},
            "responsible": {"kind": "community", "id": "c1"}, "owner": "p-sec-1", "due_date": due,
            "raised_on": "2026-11-06", **kw}


async def test_meeting_held_with_three_tasks_delivered_twice_yields_three_issue_raised(
        kafka_settings, issues, district):
    record = meeting_held(district)
    async with EventTap(kafka_settings, ["issue-raised"]) as tap:
        for _ in range(2):  # the same record twice: a redelivery
            await produce(kafka_settings, "meeting-held", record, district.encode())
        await tap.wait_for(lambda t: len(t.events("issue-raised", district)) >= 3, timeout=30)
        await tap.settle(3.0)
        raised = tap.events("issue-raised", district)
    assert len(raised) == 3
    assert len({e["data"]["issue_id"] for e in raised}) == 3
    assert sorted(e["data"]["source"]["ref"] for e in raised) == [f"m-2026-11/t{i}" for i in range(1, 4)]
    assert all(e["source"] == "/services/issues" and e["subject"] == e["data"]["issue_id"] for e in raised)


async def test_activity_outcomes_become_items(kafka_settings, issues, district):
    event = new_event(type="activity-held", source="/services/meetings", district=district, data={
        "activity_id": "a1", "meeting_id": None, "kind": "collective_diagnosis", "date": "2026-11-06",
        "title": "停车难集体会诊", "participants": [],
        "outcomes": [{"title": "错时共享停车", "responsible": {"kind": "community", "id": "c1"},
                      "due_date": "2026-12-31"},
                     {"title": "增设临时车位", "responsible": {"kind": "department", "id": "zhujian"},
                      "due_date": "2027-01-31"}]})
    async with EventTap(kafka_settings, ["issue-raised"]) as tap:
        await produce(kafka_settings, "activity-held", event.to_json_bytes(), district.encode())
        raised = await tap.wait_for(lambda t: len(t.events("issue-raised", district)) == 2 and
                                    t.events("issue-raised", district), timeout=30)
    assert {e["data"]["source"]["kind"] for e in raised} == {"diagnosis"}


async def test_item_crossing_its_due_date_climbs_the_ladder_once(kafka_settings, issues_app, as_person, district):
    office = as_person()
    response = await issues_app.post(f"/districts/{district}/issues", json=item_body(), headers=office)
    assert response.status_code == 201, response.text
    issue_id = response.json()["issue_id"]
    due = date(2026, 12, 4)

    async def check(day: date) -> dict:
        r = await issues_app.post(f"/districts/{district}/daily-check", json={"today": day.isoformat()}, headers=office)
        assert r.status_code == 200, r.text
        return r.json()

    async with EventTap(kafka_settings, LADDER_TOPICS) as tap:
        assert (await check(due))["overdue"] == []
        first = await check(due + timedelta(days=1))
        assert first["overdue"] == [issue_id] and first["notices"] == [issue_id]
        await check(due + timedelta(days=1))                    # the same day again
        assert (await check(due + timedelta(days=8)))["interviews"] == []   # respond-by day
        assert (await check(due + timedelta(days=9)))["interviews"] == [issue_id]
        await check(due + timedelta(days=10))
        await tap.wait_for(lambda t: all(t.events(topic, district) for topic in LADDER_TOPICS), timeout=30)
        await tap.settle(2.0)
        chain = {topic: tap.events(topic, district) for topic in LADDER_TOPICS}
    assert [len(chain[t]) for t in LADDER_TOPICS] == [1, 1, 1]
    assert {chain[t][0]["data"]["issue_id"] for t in LADDER_TOPICS} == {issue_id}
    notice = chain["notice-issued"][0]["data"]
    assert notice["number"] == "督办〔2026〕第1号" and notice["to_person"] == "p-sec-1"
    assert notice["respond_by"] == "2026-12-12"

    # The addressee signs for the notice; someone else may not.
    path = f"/districts/{district}/issues/{issue_id}/notice/acknowledgement"
    other = await issues_app.post(path, headers=as_person("p-other", "community_secretary"))
    assert other.status_code == 403
    signed = await issues_app.post(path, headers=as_person("p-sec-1", "community_secretary"))
    assert signed.status_code == 200 and signed.json()["notice"]["acknowledged_by"] == "p-sec-1"
    outcome = await issues_app.post(f"/districts/{district}/issues/{issue_id}/interview/outcome",
                                    json={"outcome": "已约谈，限期整改"}, headers=office)
    assert outcome.json()["interview"]["outcome"] == "已约谈，限期整改"


async def test_cross_district_access_is_refused(issues_app, as_person, district):
    other = f"{district}-other"
    foreign = as_person("p-office", "party_office", in_district=other)
    assert (await issues_app.get(f"/districts/{district}/issues", headers=foreign)).status_code == 403
    assert (await issues_app.post(f"/districts/{district}/issues", json=item_body(),
                                  headers=foreign)).status_code == 403
    assert (await issues_app.post(f"/districts/{district}/daily-check", json={},
                                  headers=foreign)).status_code == 403
    assert (await issues_app.get(f"/districts/{district}/league")).status_code == 401
    secretary = as_person("p-sec-1", "community_secretary")
    assert (await issues_app.post(f"/districts/{district}/daily-check", json={},
                                  headers=secretary)).status_code == 403
    # An item of this district is not visible from another district's token either.
    created = await issues_app.post(f"/districts/{district}/issues", json=item_body(), headers=as_person())
    issue_id = created.json()["issue_id"]
    assert (await issues_app.get(f"/districts/{district}/issues/{issue_id}", headers=foreign)).status_code == 403
    own_in_other = as_person("p-office", "party_office", in_district=other)
    assert (await issues_app.get(f"/districts/{other}/issues/{issue_id}", headers=own_in_other)).status_code == 404


async def test_notice_numbers_have_no_gap_or_repeat_under_concurrent_requests(issues, issues_app, as_person, district):
    office = as_person()
    ids = []
    for i in range(12):
        r = await issues_app.post(f"/districts/{district}/issues", json=item_body(f"事项{i}"), headers=office)
        ids.append(r.json()["issue_id"])
    day = date(2026, 12, 5)
    manual = [issues_app.post(f"/districts/{district}/issues/{iid}/notice",
                              json={"reason": "进度滞后", "respond_by": "2026-12-20"}, headers=office)
              for iid in ids[:6]]
    # Two "replicas" run the daily check at the same moment as the office's requests.
    checks = [handlers.daily_check(issues.unit_of_work(), district, day, issues.policy) for _ in range(3)]
    results = await asyncio.gather(*manual, *checks)
    assert all(r.status_code in (200, 409) for r in results[:6]), [r.text for r in results[:6]]
    listing = await issues_app.get(f"/districts/{district}/issues", headers=office)
    numbers = sorted(int(i["notice"]["number"].split("第")[1].rstrip("号")) for i in listing.json()["items"])
    assert numbers == list(range(1, 13))
    counter = await issues.runtime.db["counters"].find_one({"_id": f"notice/{district}/2026"})
    assert counter["seq"] == 12 and sorted(counter["holders"]) == sorted(ids)


async def test_bad_input_is_a_4xx_naming_the_field(issues_app, as_person, district):
    office = as_person()
    r = await issues_app.post(f"/districts/{district}/issues", json=item_body(due="not-a-date"), headers=office)
    assert r.status_code == 422 and "due_date" in r.text
    r = await issues_app.post(f"/districts/{district}/issues", json=item_body(due="2026-01-01"), headers=office)
    assert r.status_code == 422 and [e["loc"] for e in r.json()["detail"]] == [["body", "due_date"]]
    r = await issues_app.post(f"/districts/{district}/issues", json={**item_body(), "responsible": {"kind": "x"}},
                              headers=office)
    assert r.status_code == 422 and "responsible" in r.text
    created = await issues_app.post(f"/districts/{district}/issues", json=item_body(), headers=office)
    issue_id = created.json()["issue_id"]
    r = await issues_app.post(f"/districts/{district}/issues/{issue_id}/progress",
                              json={"week": "2026-W46", "note": "x", "percent": 150}, headers=office)
    assert r.status_code == 422 and "percent" in r.text
    r = await issues_app.post(f"/districts/{district}/issues/{issue_id}/progress",
                              json={"week": "week 46", "note": "x", "percent": 10}, headers=office)
    assert r.status_code == 422 and "week" in r.text
    r = await issues_app.post(f"/districts/{district}/issues/{issue_id}/verification", headers=office)
    assert r.status_code == 409 and r.json()["detail"]["field"] == "status"
    assert r.json()["code"] == "item.wrong_status"
    r = await issues_app.post(f"/districts/{district}/issues/nope/start", headers=office)
    assert r.status_code == 404 and "issue_id" in r.text
    r = await issues_app.get(f"/districts/{district}/issues", params={"light": "purple"}, headers=office)
    assert r.status_code == 422 and "light" in r.text
    r = await issues_app.post(f"/districts/{district}/daily-check", json={"today": "yesterday"}, headers=office)
    assert r.status_code == 422 and "today" in r.text


async def test_lifecycle_progress_and_inspection_events(kafka_settings, issues_app, as_person, district):
    office, secretary = as_person(), as_person("p-sec-1", "community_secretary")
    topics = ["progress-recorded", "issue-resolved", "inspection-held", "issue-raised"]
    async with EventTap(kafka_settings, topics) as tap:
        issue_id = (await issues_app.post(f"/districts/{district}/issues", json=item_body(),
                                          headers=office)).json()["issue_id"]
        r = await issues_app.post(f"/districts/{district}/issues/{issue_id}/progress",
                                  json={"week": "2026-W46", "note": "清理两处", "percent": 40}, headers=secretary)
        assert r.status_code == 200 and r.json()["status"] == "in_progress"
        assert r.json()["missing_weeks"] == ["2026-W45"]
        await issues_app.post(f"/districts/{district}/issues/{issue_id}/resolution",
                              json={"resolution": "全部清理"}, headers=secretary)
        assert (await issues_app.post(f"/districts/{district}/issues/{issue_id}/verification",
                                      headers=secretary)).status_code == 403
        closed = await issues_app.post(f"/districts/{district}/issues/{issue_id}/verification", headers=office)
        assert closed.json()["status"] == "closed" and closed.json()["light"] is None

        planned = await issues_app.post(f"/districts/{district}/inspections", json={
            "inspection_id": "insp-1", "kind": "site_observation", "date": "2026-11-20",
            "units": [{"kind": "community", "id": "c1"}]}, headers=office)
        assert planned.status_code == 201, planned.text
        held = await issues_app.post(f"/districts/{district}/inspections/insp-1/findings", json={
            "held_on": "2026-11-20", "findings": [
                {"text": "电梯摸底台账不全", "unit": {"kind": "community", "id": "c1"},
                 "raise_item": {"title": "补齐摸底台账", "due_date": "2026-12-10"}}]}, headers=office)
        assert held.status_code == 200 and len(held.json()["raised_issue_ids"]) == 1
        await tap.wait_for(lambda t: all(t.events(x, district) for x in topics[:3])
                           and len(t.events("issue-raised", district)) == 2, timeout=30)
        await tap.settle(1.0)
        assert len(tap.events("issue-resolved", district)) == 1
        assert tap.events("issue-resolved", district)[0]["data"]["issue_id"] == issue_id
        assert len(tap.events("inspection-held", district)) == 1

    # As of the inspection's day (the service clock stands earlier): the league counts the items raised by then.
    league = await issues_app.get(f"/districts/{district}/league", params={"by": "community", "today": "2026-11-20"},
                                  headers=office)
    [row] = [r for r in league.json()["rows"] if r["community_id"] == "c1"]
    assert row["items"] == 2 and row["closed"] == 1 and row["closure_rate"] == 0.5


async def test_notice_counter_on_the_store_is_idempotent_per_item_and_hands_back_only_the_latest(issues, district):
    from fourx_issues.adapters.repository import NoticeCounter

    counter = NoticeCounter(issues.runtime.db)
    got = await asyncio.gather(*(counter.number_for(district, 2027, f"i{n % 5}") for n in range(15)))
    assert sorted(set(got)) == [1, 2, 3, 4, 5]
    assert [await counter.number_for(district, 2027, f"i{n}") for n in range(5)] == got[:5]
    last = next(f"i{n}" for n in range(5) if got[n] == 5)
    first = next(f"i{n}" for n in range(5) if got[n] == 1)
    assert await counter.release(district, 2027, first) is False
    assert await counter.release(district, 2027, last) is True
    assert await counter.number_for(district, 2027, "new") == 5


async def test_cli_daily_check_with_an_explicit_today(monkeypatch, kafka_as, mongo_settings, issues_app,
                                                      as_person, district):
    from fourx_issues.entrypoints import cli

    created = await issues_app.post(f"/districts/{district}/issues", json=item_body(), headers=as_person())
    issue_id = created.json()["issue_id"]
    monkeypatch.setenv("MONGO_URI", mongo_settings.uri)
    for name, value in kafka_as("issues").env().items():  # the CLI runs as its service
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ISSUES_DATABASE", "it_issues")
    result = await cli.daily_check(date(2026, 12, 5), district, publish=False)
    assert result[district]["overdue"] == [issue_id] and result[district]["notices"] == [issue_id]
    again = await cli.daily_check(date(2026, 12, 5), district, publish=False)
    assert again[district]["overdue"] == [] and again[district]["notices"] == []
