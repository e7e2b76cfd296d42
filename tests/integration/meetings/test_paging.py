"""The activity-day list comes in pages by date (`limit`, `offset`); the `Link` header names
the next page until the last; a bad paging value is a 422 in Chinese naming the parameter."""

from __future__ import annotations

import pytest

from tests.integration.meetings import flow
from tests.integration.meetings.flow import auth

pytestmark = pytest.mark.integration


async def test_activity_days_page_by_page_in_date_order(meetings_http, district):
    await flow.import_directory(meetings_http, district)
    months = ["2026-09", "2026-07", "2026-11", "2026-08", "2026-10"]
    for month in months:
        await flow.schedule(meetings_http, district, month)
    headers = auth(district, "p-office")
    everything = await flow.ok(await meetings_http.get(f"/districts/{district}/activity-days", headers=headers))
    assert [d["meeting_id"] for d in everything] == [f"ad-{m}" for m in sorted(months)]
    seen, url, params, pages = [], f"/districts/{district}/activity-days", {"limit": 2}, 0
    while url:
        r = await meetings_http.get(url, params=params, headers=headers)
        assert r.status_code == 200 and len(r.json()) <= 2
        seen += [d["meeting_id"] for d in r.json()]
        link = r.headers.get("Link")
        url = link[1:link.index(">")] if link else None
        params, pages = None, pages + 1
    assert seen == [d["meeting_id"] for d in everything] and pages == 3
    last = await meetings_http.get(f"/districts/{district}/activity-days", params={"offset": 4}, headers=headers)
    assert [d["meeting_id"] for d in last.json()] == ["ad-2026-11"] and "Link" not in last.headers


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 500}, {"offset": "x"}, {"offset": -3}])
async def test_bad_paging_values_are_a_chinese_422(meetings_http, district, params):
    await flow.import_directory(meetings_http, district)
    for path in (f"/districts/{district}/activity-days", f"/districts/{district}/activities"):
        r = await meetings_http.get(path, params=params, headers=auth(district, "p-office"))
        assert r.status_code == 422, r.text
        [error] = r.json()["detail"]
        name = next(iter(params))
        assert error["loc"] == ["query", name] and f"{name} 须为" in error["msg"], error
