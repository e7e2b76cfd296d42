"""The item and inspection lists come in pages: `limit` (default 50, at most 200) and
`offset`; the answer names the next page (body and `Link` header) until the last; a bad
paging value is a 422 in Chinese naming the parameter. The daily check reads open items only."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from fourx_issues.service_layer import handlers

from tests.integration.issues.test_issues_over_kafka import item_body

pytestmark = pytest.mark.integration


async def _all_pages(client: httpx.AsyncClient, path: str, headers: dict, key: str, limit: int) -> list[dict]:
    seen, url, params = [], path, {"limit": limit}
    while url is not None:
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == len(body[key]) <= limit
        seen.extend(body[key])
        assert (body["next"] is None) == ("Link" not in r.headers)
        if body["next"] is not None:
            assert r.headers["Link"] == f'<{body["next"]}>; rel="next"'
            assert body["next_offset"] == body["offset"] + limit
        url, params = body["next"], None
    return seen


async def test_items_and_inspections_page_by_page(issues_app, as_person, district):
    office = as_person()
    for i in range(7):
        r = await issues_app.post(f"/districts/{district}/issues", json=item_body(f"事项{i}", issue_id=f"i-{i}"),
                                  headers=office)
        assert r.status_code == 201, r.text
    base = f"/districts/{district}/issues"
    everything = (await issues_app.get(base, headers=office)).json()
    assert everything["count"] == 7 and everything["next_offset"] is None and everything["limit"] == 50
    paged = await _all_pages(issues_app, base, office, "items", limit=3)
    assert [i["issue_id"] for i in paged] == [f"i-{i}" for i in range(7)]
    # A filter applied after the store (unit) pages alike.
    unit = {"unit_kind": "community", "unit_id": "c1", "limit": 5, "offset": 5}
    tail = (await issues_app.get(base, params=unit, headers=office)).json()
    assert [i["issue_id"] for i in tail["items"]] == ["i-5", "i-6"] and tail["next"] is None

    for i in range(3):
        r = await issues_app.post(f"/districts/{district}/inspections", headers=office, json={
            "inspection_id": f"x-{i}", "kind": "field_supervision", "date": "2026-11-20",
            "units": [{"kind": "community", "id": "c1"}]})
        assert r.status_code in (200, 201), r.text
    inspections = await _all_pages(issues_app, f"/districts/{district}/inspections", office, "inspections", limit=2)
    assert [x["inspection_id"] for x in inspections] == ["x-0", "x-1", "x-2"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": "abc"}, {"offset": -1},
                                    {"offset": "1.5"}, {"offset": 100_001}])
async def test_bad_paging_values_are_a_chinese_422(issues_app, as_person, district, params):
    for path in (f"/districts/{district}/issues", f"/districts/{district}/inspections"):
        r = await issues_app.get(path, params=params, headers=as_person())
        assert r.status_code == 422, r.text
        [error] = r.json()["detail"]
        name = next(iter(params))
        assert error["loc"] == ["query", name] and f"{name} 须为" in error["msg"], error


async def test_the_daily_check_reads_no_closed_item(issues, issues_app, as_person, district):
    office = as_person()
    for i in range(3):
        await issues_app.post(f"/districts/{district}/issues", json=item_body(f"事项{i}", issue_id=f"c-{i}"),
                              headers=office)
    # Close one: straight in the store, as if resolved and verified long ago.
    await issues.runtime.db["items"].update_one({"_id": f"{district}/c-0"}, {"$set": {"status": "closed"}})
    uow = issues.unit_of_work()
    assert [i.issue_id for i in await uow.items.not_closed(district)] == ["c-1", "c-2"]
    report = await handlers.daily_check(uow, district, date(2026, 12, 10), issues.policy)
    assert report.checked == 2
    await issues.runtime.db["items"].update_many({"district": district}, {"$set": {"status": "closed"}})
    assert district not in await uow.items.districts_with_open_items()
