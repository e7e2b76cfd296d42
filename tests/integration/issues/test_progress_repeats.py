"""A unit records 30 % → 40 % → 30 % in one week with the same note: three facts, three
events on real Kafka, and every service (issues, notify's bulletin, meetings' report form)
ends at 30 — none drops the second 30 as a duplicate of the first."""

from __future__ import annotations

import pytest
from fourx_notify.domain.stats import week_bounds
from fourx_notify.service_layer import handlers as notify_handlers

from tests.integration.issues.test_issues_over_kafka import item_body
from tests.support.kafka import EventTap, sleep_until

pytestmark = pytest.mark.integration

WEEK = "2026-W46"  # the issues service's clock stands on 2026-11-10, in this week
NOTE = "清理楼道堆物，逐户沟通"


async def test_30_40_30_in_one_week_is_three_events_and_everyone_ends_at_30(
        kafka_settings, issues_app, as_person, meetings, notify, district):
    office, secretary = as_person(), as_person("p-sec-1", "community_secretary")
    async with EventTap(kafka_settings.bootstrap, ["progress-recorded"]) as tap:
        created = await issues_app.post(f"/districts/{district}/issues", json=item_body(), headers=office)
        assert created.status_code == 201, created.text
        issue_id = created.json()["issue_id"]
        url = f"/districts/{district}/issues/{issue_id}/progress"
        for percent in (30, 40, 30, 30):  # the last is a retried request of the third: no new fact
            r = await issues_app.post(url, json={"week": WEEK, "note": NOTE, "percent": percent}, headers=secretary)
            assert r.status_code == 200, r.text
        await tap.wait_for(lambda t: len(t.events("progress-recorded", district)) >= 3, timeout=30)
        await tap.settle(2.0)
        records = tap.events("progress-recorded", district)

    # three distinct facts on Kafka, numbered in the order recorded
    assert [(e["data"]["percent"], e["data"]["seq"]) for e in records] == [(30, 1), (40, 2), (30, 3)]
    assert len({e["id"] for e in records}) == 3

    # the issues service holds 30
    item = (await issues_app.get(f"/districts/{district}/issues/{issue_id}", headers=office)).json()
    assert [(p["week"], p["percent"], p["seq"]) for p in item["progress"]] == [(WEEK, 30, 3)]

    # notify's read model keeps all three, and the week's bulletin shows 30
    store = notify.event_store()

    async def notify_has_them():
        stored = [e for e in await store.up_to(district, week_bounds(WEEK)[1])
                  if e.type in ("issue-raised", "progress-recorded")]
        return stored if len(stored) == 4 else None

    stored = await sleep_until(notify_has_them, timeout=30)
    assert sorted(e.id for e in stored if e.type == "progress-recorded") == sorted(e["id"] for e in records)
    bulletin = await notify_handlers.publish_bulletin(
        notify_handlers.PublishBulletin(district=district, week=WEEK, request_id=f"{district}-progress"),
        store, notify.bulletins())
    supervision = bulletin["view"]["supervision"]["streets"]
    [row] = [i for s in supervision for c in s["communities"] for i in c["items"]] + \
            [i for s in supervision for i in s["street_items"]]
    assert (row["issue_id"], row["percent"]) == (issue_id, 30)
    assert bulletin["stats"]["progress_records"] == 3

    # meetings' supervision read model (the community's report form) ends at 30
    supervision_repo = meetings.unit_of_work().supervision

    async def meetings_has_them():
        doc = await supervision_repo.get(district, issue_id)
        return doc if doc and len(doc.get("seen", [])) == 4 else None

    await sleep_until(meetings_has_them, timeout=30)
    [loop_item] = await supervision_repo.for_community(district, "c1")
    assert (loop_item.progress_week, loop_item.progress_percent, loop_item.progress_note) == (WEEK, 30, NOTE)
