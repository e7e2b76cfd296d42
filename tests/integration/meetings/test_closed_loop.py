"""The issues service's events, consumed from real Kafka, pre-fill a community's report form."""

from __future__ import annotations

import pytest
from fourx_contracts.envelope import new_event

from tests.integration.meetings import flow
from tests.integration.meetings.flow import auth, ok
from tests.support.kafka import produce, sleep_until

pytestmark = pytest.mark.integration


async def send(kafka_settings, event) -> None:
    await produce(kafka_settings, event.type, event.to_json_bytes(), event.district.encode())


async def test_supervision_items_prefill_the_report_form_until_done(kafka_settings, meetings, meetings_http, district):
    await flow.import_directory(meetings_http, district)
    october = await flow.schedule(meetings_http, district, "2026-10")
    await flow.schedule(meetings_http, district, "2026-11")
    form_url = f"/districts/{district}/activity-days/ad-2026-11/reports/c-1/form"

    def issue(type_, data):
        return new_event(type=type_, source="/services/issues", district=district, data=data)

    raised = issue("issue-raised", {
        "issue_id": "i-lift", "title": "老旧小区加装电梯", "description": "摸底", "owner": None,
        "source": {"kind": "meeting_task", "ref": "ad-2026-10"}, "responsible": {"kind": "community", "id": "c-1"},
        "due_date": "2026-12-01", "street_id": "s-east", "community_id": "c-1"})
    done = issue("issue-raised", {
        "issue_id": "i-trash", "title": "垃圾分类宣传", "description": "", "owner": None,
        "source": {"kind": "community", "ref": "c-1"}, "responsible": {"kind": "community", "id": "c-1"},
        "due_date": "2026-10-20", "street_id": "s-east", "community_id": "c-1"})
    progress_late = issue("progress-recorded", {"issue_id": "i-lift", "week": "2026-W44", "note": "已完成摸底", "percent": 60})
    progress_early = issue("progress-recorded", {"issue_id": "i-lift", "week": "2026-W43", "note": "开始", "percent": 10})
    resolved = issue("issue-resolved", {"issue_id": "i-trash", "resolved_on": "2026-10-20", "resolution": "已办结"})
    # out of order (progress before the item is raised) and twice each
    for event in (progress_late, raised, progress_early, done, resolved, progress_late, raised, resolved):
        await send(kafka_settings, event)

    async def form_ready():
        form = await ok(await meetings_http.get(form_url, headers=auth(district, "p-sec-1")))
        return form if len(form["supervision_items"]) == 2 and form["supervision_items"][1]["status"] == "resolved" \
            and form["supervision_items"][0]["progress"] else None

    form = await sleep_until(form_ready, timeout=30)
    lift, trash = form["supervision_items"]
    assert (lift["issue_id"], lift["status"], lift["progress"]["week"], lift["progress"]["percent"]) == \
        ("i-lift", "in_progress", "2026-W44", 60)
    assert trash["status"] == "resolved"
    assert form["last_month_draft"] == "老旧小区加装电梯（推进中，进度 60%）；垃圾分类宣传（已办结）"
    assert form["next_month_draft"] == "老旧小区加装电梯"

    # the report recorded for the month keeps the items as they stood
    await ok(await meetings_http.put(f"/districts/{district}/activity-days/ad-2026-11/reports/c-1",
                                     json={"last_month": form["last_month_draft"], "next_month": form["next_month_draft"]},
                                     headers=auth(district, "p-sec-1")))
    day = await ok(await meetings_http.get(f"/districts/{district}/activity-days/ad-2026-11", headers=auth(district, "p-sec-1")))
    [report] = day["agenda"]["community_reports"]
    assert [i["issue_id"] for i in report["supervision_items"]] == ["i-lift", "i-trash"]
    assert october["date"] == "2026-10-08"

    # each event was applied once: its id is remembered on the item
    doc = await meetings.unit_of_work().supervision.get(district, "i-lift")
    assert sorted(doc["seen"]) == sorted({raised.id, progress_late.id, progress_early.id})

