"""Every route is scoped to its district; bad bodies are 422 naming the field, never 500."""

from __future__ import annotations

import re

import pytest
from fourx_meetings.bootstrap import MeetingsService, create_app

from tests.integration.meetings import flow
from tests.integration.meetings.flow import auth

pytestmark = pytest.mark.integration

ROLES_OF_EVERYONE = ("community_secretary", "street_org_member", "dept_responsible_leader", "org_deputy_head",
                     "party_office")


def district_routes() -> list[tuple[str, str]]:
    """Every district route the service declares (from its OpenAPI document)."""
    app = create_app(object.__new__(MeetingsService))  # routes only: nothing is started
    return [(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            if path.startswith("/districts/{district}") for method in operations]


def fill(path: str, district: str) -> str:
    path = path.replace("{district}", district)
    return re.sub(r"\{[a-z_]+\}", "x-1", path)


async def test_a_token_of_district_a_gets_403_on_every_route_of_district_b(meetings_http, district):
    other = district + "-b"
    await flow.hold_activity_day(meetings_http, other)  # district B has data to protect
    routes = district_routes()
    assert len(routes) >= 15
    token_a = auth(district, "p-office", *ROLES_OF_EVERYONE)
    for method, path in routes:
        url = fill(path, other).replace("x-1", "ad-2026-11", 1) if "{meeting_id}" in path else fill(path, other)
        response = await meetings_http.request(method, url, headers=token_a, json={})
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert other in response.text
    # and the same routes answer for district B's own people (not 403), so the test is not vacuous
    own = await meetings_http.get(f"/districts/{other}/activity-days/ad-2026-11", headers=auth(other, "p-office"))
    assert own.status_code == 200 and own.json()["status"] == "held"


async def test_no_token_is_401(meetings_http, district):
    assert (await meetings_http.get(f"/districts/{district}/activity-days")).status_code == 401


async def test_malformed_bodies_get_422_naming_the_field(meetings_http, district):
    await flow.import_directory(meetings_http, district)
    day = await flow.schedule(meetings_http, district, "2026-12")
    base = f"/districts/{district}/activity-days/{day['meeting_id']}"
    cases = [
        ("POST", f"/districts/{district}/activity-days/schedule", "p-office", {"month": "2026-13"}, "month"),
        ("POST", f"/districts/{district}/activity-days/schedule", "p-office", {}, "month"),
        ("POST", f"{base}/topics", "p-sec-1", {"title": ""}, "title"),
        ("PUT", f"{base}/reports/c-1", "p-sec-1", {"last_month": "x"}, "next_month"),
        ("PUT", f"{base}/comments/c-1", "p-org-east", {"txt": "typo"}, "text"),
        ("POST", f"{base}/tasks", "p-zhujian", {"title": "t", "assigned_to": {"kind": "planet", "id": "x"},
                                                "due_date": "2026-12-20"}, "kind"),
        ("POST", f"{base}/tasks", "p-zhujian", {"title": "t", "assigned_to": {"kind": "community", "id": "c-1"},
                                                "due_date": "someday"}, "due_date"),
        ("POST", f"{base}/tasks", "p-zhujian", {"title": "t", "assigned_to": {"kind": "community", "id": "c-404"},
                                                "due_date": "2026-12-20"}, "assigned_to"),
        ("PUT", f"{base}/summary", "p-head", {"text": 5}, "text"),
        ("POST", f"{base}/close", "p-head", {"attendees": "everyone"}, "attendees"),
        ("POST", f"/districts/{district}/activities", "p-office", {"kind": "séance"}, "kind"),
        ("POST", f"/districts/{district}/activities", "p-office",
         {"kind": "collective_diagnosis", "date": "2026-12-04", "title": "会诊", "participants": ["p-sec-1"],
          "record": {"problem": "p"}, "outcomes": []}, "outcomes"),
        ("POST", f"/districts/{district}/activities", "p-office",
         {"kind": "collective_diagnosis", "date": "2026-12-04", "title": "会诊", "participants": ["p-sec-1"],
          "record": {"problem": "p"}, "outcomes": [{"title": "o", "responsible": {"kind": "street", "id": "s-none"},
                                                    "due_date": "2026-12-31"}]}, "responsible"),
        ("PUT", f"/districts/{district}/clock", "ops", {"today": "yesterday"}, "today"),
    ]
    for method, url, person, body, field in cases:
        headers = flow.operator(district) if person == "ops" else auth(district, person)
        response = await meetings_http.request(method, url, json=body, headers=headers)
        assert response.status_code == 422, (url, body, response.text)
        locs = [err["loc"] for err in response.json()["detail"]]
        assert any(field in map(str, loc) for loc in locs), (url, field, locs)
    not_json = await meetings_http.post(f"{base}/topics", content=b"{not json", headers={
        **auth(district, "p-sec-1"), "content-type": "application/json"})
    assert not_json.status_code == 422
    bad_directory = await meetings_http.put(f"/districts/{district}/directory", content=b"\xff\xfe",
                                            headers=auth(district, "p-office"))
    assert bad_directory.status_code == 422


async def test_role_checks_hold_over_http(meetings_http, district):
    await flow.import_directory(meetings_http, district)
    day = await flow.schedule(meetings_http, district, "2026-12")
    base = f"/districts/{district}/activity-days/{day['meeting_id']}"
    body = {"last_month": "上月", "next_month": "下月"}
    other = await meetings_http.put(f"{base}/reports/c-2", json=body, headers=auth(district, "p-sec-1"))
    assert other.status_code == 403 and "只能为本社区填报" in other.json()["detail"]
    assert other.json()["code"] == "report.not_your_community"
    wrong_street = await meetings_http.put(f"{base}/comments/c-3", json={"text": "x"}, headers=auth(district, "p-org-east"))
    assert wrong_street.status_code == 403
    no_role = await meetings_http.put(f"{base}/summary", json={"text": "x"}, headers=auth(district, "p-sec-1"))
    assert no_role.status_code == 403
    unknown = await meetings_http.put(f"{base}/reports/c-404", json=body, headers=auth(district, "p-sec-1"))
    assert unknown.status_code == 404
