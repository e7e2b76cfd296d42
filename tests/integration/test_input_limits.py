"""Edge inputs against the real services (store and Kafka): each is a 4xx naming the problem,
never a 500; "today" from a request only in dev mode; answers stay small for any "today"."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fourx_platform.auth import PLATFORM_ROLE, issue_token
from fourx_issues.bootstrap import create_app as issues_app
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import create_app as notify_app

from tests.support.kafka import sleep_until
from tests.unit.meetings.fixtures import DIRECTORY_YAML
from tests.unit.meetings.test_directory_limits import BILLION_LAUGHS

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def clients(meetings, issues, notify, district) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    token = issue_token("p-office", district, ("party_office", "org_deputy_head", "dept_responsible_leader",
                                                PLATFORM_ROLE))
    headers = {"Authorization": f"Bearer {token}"}
    apps = {"meetings": meetings_app(meetings), "issues": issues_app(issues), "notify": notify_app(notify)}
    opened = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                      base_url=f"http://{name}", headers=headers) for name, app in apps.items()}
    response = await opened["meetings"].put(f"/districts/{district}/directory", content=DIRECTORY_YAML.encode(),
                                            headers={"content-type": "application/yaml"})
    assert response.status_code == 200, response.text
    # The issues and notify services admit the district's people once their copy of the
    # directory (`directory-updated`) has arrived.
    await sleep_until(lambda: _both_have_directory(issues, notify, district), timeout=30)
    yield opened
    for client in opened.values():
        await client.aclose()


async def _both_have_directory(issues, notify, district: str) -> bool:
    return bool(await issues.directory_people(district)) and bool(await notify.directory_people(district))


def field_of(response: httpx.Response) -> list:
    assert response.status_code == 422, (response.status_code, response.text)
    return [item["loc"] for item in response.json()["detail"]]


async def test_dates_at_year_1_are_422_naming_the_field(clients, district):
    m, i = clients["meetings"], clients["issues"]
    r = await i.post(f"/districts/{district}/issues", json={
        "title": "t", "source": {"kind": "community", "ref": "c-1"},
        "responsible": {"kind": "community", "id": "c-1"}, "due_date": "0001-01-01"})
    assert ["body", "due_date"] in field_of(r)
    r = await i.post(f"/districts/{district}/inspections", json={
        "kind": "site_observation", "date": "9999-12-31", "units": [{"kind": "community", "id": "c-1"}]})
    assert ["body", "date"] in field_of(r)
    r = await m.post(f"/districts/{district}/activity-days/schedule", json={"month": "0000-01"})
    assert ["body", "month"] in field_of(r)
    r = await m.post(f"/districts/{district}/activities", json={
        "kind": "study_visit", "date": "0001-01-01", "title": "t", "participants": ["p-office"],
        "record": {"destination": "x", "learned": "y"}})
    assert ["body", "study_visit", "date"] in field_of(r)
    r = await i.get(f"/districts/{district}/issues", params={"today": "0001-01-01"})
    assert ["query", "today"] in field_of(r)


async def test_a_week_53_in_a_year_without_one_is_422(clients, district):
    i, n = clients["issues"], clients["notify"]
    item = await i.post(f"/districts/{district}/issues", json={
        "title": "t", "source": {"kind": "community", "ref": "c-1"},
        "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-12-31", "raised_on": "2025-11-01"})
    assert item.status_code == 201, item.text
    r = await i.post(f"/districts/{district}/issues/{item.json()['issue_id']}/progress",
                     json={"week": "2025-W53", "note": "n", "percent": 10})
    assert ["body", "week"] in field_of(r)
    assert "2025 年没有第 53 周" in r.text
    assert ["path", "week"] in field_of(await n.get(f"/districts/{district}/bulletins/2025-W53"))
    assert (await n.get(f"/districts/{district}/bulletins/2026-W53")).status_code == 404  # exists, no bulletin


async def test_today_is_refused_outside_dev_mode(clients, district, monkeypatch):
    m, i = clients["meetings"], clients["issues"]
    monkeypatch.setenv("FOURX_DEV_MODE", "0")
    r = await i.get(f"/districts/{district}/issues", params={"today": "2099-01-01"})
    assert ["query", "today"] in field_of(r) and r.json()["detail"][0]["type"] == "dev_mode_only"
    assert ["query", "today"] in field_of(await i.get(f"/districts/{district}/league", params={"today": "2099-01-01"}))
    assert ["body", "today"] in field_of(await i.post(f"/districts/{district}/daily-check",
                                                      json={"today": "2099-01-01"}))
    assert (await m.put(f"/districts/{district}/clock", json={"today": "2099-01-01"})).status_code == 403
    # Without a "today" every route answers as of the service clock's own day.
    assert (await i.get(f"/districts/{district}/issues")).status_code == 200
    assert (await i.post(f"/districts/{district}/daily-check")).status_code == 200
    monkeypatch.setenv("FOURX_DEV_MODE", "1")
    assert (await i.get(f"/districts/{district}/issues", params={"today": "2099-01-01"})).status_code == 200


async def test_a_far_future_today_gives_a_small_answer(clients, district):
    i = clients["issues"]
    for n in range(5):
        r = await i.post(f"/districts/{district}/issues", json={
            "title": f"t{n}", "source": {"kind": "community", "ref": "c-1"},
            "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2000-06-30", "raised_on": "2000-01-03"})
        assert r.status_code == 201, r.text
    r = await i.get(f"/districts/{district}/issues", params={"today": "2100-12-31"})
    assert r.status_code == 200
    assert len(r.content) < 20_000
    item = r.json()["items"][0]
    assert len(item["missing_weeks"]) == 26 and item["missing_weeks"][-1] == "2100-W51"
    assert item["missing_weeks_count"] == 5269


async def test_yaml_aliases_are_refused_quickly_over_http(clients, district):
    started = time.monotonic()
    r = await clients["meetings"].put(f"/districts/{district}/directory", content=BILLION_LAUGHS.encode(),
                                      headers={"content-type": "application/yaml"})
    assert r.status_code == 422, r.text
    assert "别名" in r.json()["detail"]["problems"][0]["message"]
    assert time.monotonic() - started < 2


async def test_directory_upload_limit_is_413(clients, district):
    r = await clients["meetings"].put(f"/districts/{district}/directory", content=b"#" * (3 * 1024 * 1024),
                                      headers={"content-type": "application/yaml"})
    assert r.status_code == 413 and "请求体过大" in r.json()["detail"]
    # An ordinary command has the smaller limit.
    r = await clients["issues"].post(f"/districts/{district}/issues", content=b" " * (1024 * 1024 + 1),
                                     headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("channel", [
    {"kind": "in_app", "a\u0000b": 1},
    {"kind": "in_app", "note": "\ud800"},
    {"kind": "in_app", "n": 2**64},
    {"kind": "in_app", "$where": "1", "a.b": {"$gt": ""}},
])
async def test_what_the_store_refuses_never_reaches_it(clients, district, channel):
    """MongoDB's encoder refuses NUL in keys, lone surrogates and integers beyond 64 bits (a
    500 before); a channel field the contract does not declare (`$where`, `a.b`) is refused by name."""
    directory = {"streets": [{"street_id": "s1", "name": "东城"}], "communities": [],
                 "people": [{"person_id": "p1", "name": "张三", "roles": ["party_office"],
                             "unit": {"kind": "district", "id": district}, "channels": [channel]}]}
    raw = json.dumps(directory, ensure_ascii=True)
    r = await clients["meetings"].put(f"/districts/{district}/directory", content=raw,
                                      headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text


async def test_deep_json_is_422_on_every_service(clients, district):
    deep = "[" * 100_000 + "]" * 100_000
    for client, path in [(clients["meetings"], "activities"), (clients["issues"], "issues"),
                         (clients["notify"], "inbox/x/acknowledge")]:
        r = await client.post(f"/districts/{district}/{path}", content=deep,
                              headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_too_deep", r.text
