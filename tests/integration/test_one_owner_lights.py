"""Acceptance (issue 10): the warning lights and the league table have one owner, the issues
service. Items go through two weeks over real Kafka and the real store; for each week's
bulletin, the issues API (asked as of the bulletin's day), the bulletin's supervision table
and its league table agree on every item's light and every unit's rank.

The two cases where the bulletin used to compute its own, different answer:
1. *Last* week's work record is missing (issues' rule), while this week's is there: the item
   turns yellow in 2026-W48 although it recorded W48 (the bulletin used to look at W48).
2. Claimed resolved on time, verified late: on time by the claim date (issues' rule), so its
   street ranks first (the bulletin used to judge by the verification date and rank it last).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import pytest_asyncio
from fourx_platform.auth import issue_token
from fourx_contracts.events import DirectoryUpdated
from fourx_issues.bootstrap import IssuesService, create_app
from fourx_issues.service_layer import handlers

from tests.integration.test_walking_skeleton import request_report
from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration

DIRECTORY = {
    "version": 1,
    "streets": [{"street_id": "s1", "name": "华林街道"}, {"street_id": "s2", "name": "东街街道"}],
    "communities": [{"community_id": "c1", "street_id": "s1", "name": "三坊社区"},
                    {"community_id": "c2", "street_id": "s2", "name": "七巷社区"}],
    "departments": [],
    "people": [{"person_id": "p-office", "name": "赵主任", "roles": ["party_office"],
                "unit": {"kind": "district", "id": "-"}}],
}
W47, W48 = "2026-W47", "2026-W48"
MONDAY_W47, SUNDAY_W47 = date(2026, 11, 16), date(2026, 11, 22)
SUNDAY_W48, MONDAY_W49 = date(2026, 11, 29), date(2026, 11, 30)


@pytest_asyncio.fixture
async def api(issues: IssuesService, notify, district: str) -> AsyncIterator[httpx.AsyncClient]:
    await handlers.on_directory_updated(district, DirectoryUpdated.model_validate(DIRECTORY), issues.unit_of_work())
    token = issue_token("p-office", district, ("party_office",))
    day = issues.clock.day
    transport = httpx.ASGITransport(app=create_app(issues))
    async with httpx.AsyncClient(transport=transport, base_url="http://issues",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
    issues.clock.day = day  # the session's issues clock stands still again


async def ok(response: httpx.Response) -> dict:
    assert response.status_code < 300, response.text
    return response.json()


async def raise_item(api: httpx.AsyncClient, district: str, issue_id: str, community: str, due: str) -> None:
    await ok(await api.post(f"/districts/{district}/issues", json={
        "issue_id": issue_id, "title": f"督办事项{issue_id}", "source": {"kind": "community", "ref": community},
        "responsible": {"kind": "community", "id": community}, "due_date": due,
        "raised_on": MONDAY_W47.isoformat()}))


async def issues_views(api: httpx.AsyncClient, district: str, day: date) -> tuple[dict, dict]:
    """(issue id → item, (by, unit id) → league row) from the issues API as of `day`."""
    listed = await ok(await api.get(f"/districts/{district}/issues", params={"today": day.isoformat()}))
    rows = {}
    for by in ("street", "community"):
        league = await ok(await api.get(f"/districts/{district}/league", params={"by": by, "today": day.isoformat()}))
        rows |= {(by, r[f"{by}_id"]): r for r in league["rows"]}
    return {i["issue_id"]: i for i in listed["items"]}, rows


async def bulletin_view(kafka_settings, notify, district: str, week: str) -> tuple[dict, dict, dict]:
    """(issue id → bulletin item, (by, unit id) → bulletin league row, the view) of the week's bulletin."""
    async with EventTap(kafka_settings, ["supervision-snapshot"]) as tap:
        report = await request_report(kafka_settings, district, week)
        snapshots = await tap.wait_for(lambda t: [e for e in t.events("supervision-snapshot", district)
                                                  if e["correlationid"] == report["correlationid"]])
    assert snapshots[0]["source"] == "/services/issues" and snapshots[0]["data"]["week"] == week
    view = (await notify.bulletins().get(f"{district}:{week}"))["view"]
    items = {i["issue_id"]: i for s in view["supervision"]["streets"]
             for i in s["street_items"] + [i for c in s["communities"] for i in c["items"]]}
    rows = {(by, r["unit_id"]): r for by, key in (("street", "streets"), ("community", "communities"))
            for r in view["league"][key]}
    return items, rows, view


def assert_agree(api_items: dict, api_rows: dict, bulletin_items: dict, bulletin_rows: dict) -> None:
    """Every item the bulletin lists has the issues API's light and reason; every league row
    the issues API ranks has the same rank (and rates) in the bulletin."""
    assert bulletin_items
    for issue_id, shown in bulletin_items.items():
        told = api_items[issue_id]
        assert (shown["light"], shown["light_reason"] or None) == (
            told["light"], told["light_reason_text"] if told["light"] else None), issue_id
    assert set(bulletin_rows) == set(api_rows)
    for key, row in api_rows.items():
        shown = bulletin_rows[key]
        assert shown["rank"] == row["rank"], key
        assert shown["on_time_rate"] == ("—" if row["on_time_rate"] is None else f"{100 * row['on_time_rate']:.1f}%")
        assert shown["closure_rate"] == ("—" if row["closure_rate"] is None else f"{100 * row['closure_rate']:.1f}%")


async def test_issues_api_bulletin_and_league_agree_through_a_week_in_which_a_light_changes(
        kafka_settings, issues, notify, api, district):
    d = f"/districts/{district}/issues"
    issues.clock.day = date(2026, 11, 18)  # Wednesday of W47
    await raise_item(api, district, "lamp", "c1", "2026-12-31")        # the item whose light changes
    await raise_item(api, district, "late", "c1", "2026-11-20")        # overdue: red, decided, not on time
    await raise_item(api, district, "prompt", "c1", "2026-11-26")      # closed on time
    await raise_item(api, district, "claimed", "c2", "2026-11-25")     # claimed on time, verified late

    # --- W47, asked on its Sunday: "lamp" was raised this week, so no record is missing yet.
    issues.clock.day = SUNDAY_W47
    api_items, api_rows = await issues_views(api, district, SUNDAY_W47)
    items, rows, view = await bulletin_view(kafka_settings, notify, district, W47)
    assert api_items["lamp"]["light"] == items["lamp"]["light"] == "green"
    assert view["supervision"]["as_of"] == SUNDAY_W47.isoformat()
    assert_agree(api_items, api_rows, items, rows)

    # --- W48: "lamp" records W48 (but never W47); "prompt" is claimed and verified on time;
    # "claimed" is claimed on 24 Nov (due 25 Nov) and verified only on 27 Nov.
    issues.clock.day = date(2026, 11, 24)
    await ok(await api.post(f"{d}/lamp/progress", json={"week": W48, "note": "已完成摸底", "percent": 20}))
    await ok(await api.post(f"{d}/prompt/resolution", json={"resolution": "已清理"}))
    await ok(await api.post(f"{d}/prompt/verification"))
    await ok(await api.post(f"{d}/claimed/resolution", json={"resolution": "已整改"}))
    issues.clock.day = date(2026, 11, 27)
    await ok(await api.post(f"{d}/claimed/verification"))

    # Asked on Monday of W49 (as the scheduler does): judged as of W48's Sunday.
    issues.clock.day = MONDAY_W49
    api_items, api_rows = await issues_views(api, district, SUNDAY_W48)
    items, rows, view = await bulletin_view(kafka_settings, notify, district, W48)
    assert view["supervision"]["as_of"] == SUNDAY_W48.isoformat()
    # (1) last week's record is missing: yellow, although this week's record is there
    assert api_items["lamp"]["light"] == items["lamp"]["light"] == "yellow"
    assert api_items["lamp"]["light_reason"] == "record_missing"
    assert items["lamp"]["light_reason"] == "上周（2026-W47）工作写实缺失"
    assert items["late"]["light"] == "red" and items["claimed"]["light"] is None
    # (2) claimed on time, verified late: on time, so street s2 (100 %) ranks above s1 (50 %)
    assert (api_rows[("street", "s2")]["rank"], rows[("street", "s2")]["rank"]) == (1, 1)
    assert (api_rows[("street", "s1")]["rank"], rows[("street", "s1")]["rank"]) == (2, 2)
    assert rows[("street", "s2")]["on_time_rate"] == "100.0%" and rows[("street", "s1")]["on_time_rate"] == "50.0%"
    assert (rows[("community", "c2")]["rank"], rows[("community", "c1")]["rank"]) == (1, 2)
    assert_agree(api_items, api_rows, items, rows)
