"""Driving the meetings service's HTTP API as the people of a district (integration tests)."""

from __future__ import annotations

from typing import Any

import httpx
from fourx_platform.auth import issue_token

DIRECTORY: dict[str, Any] = {
    "venue": "区党群服务中心",
    "streets": [{"street_id": "s-east", "name": "东城街道"}, {"street_id": "s-west", "name": "西城街道"}],
    "communities": [
        {"community_id": "c-1", "street_id": "s-east", "name": "和平社区"},
        {"community_id": "c-2", "street_id": "s-east", "name": "光明社区"},
        {"community_id": "c-3", "street_id": "s-west", "name": "幸福社区"},
    ],
    "departments": [{"department_id": "zhujian", "name": "区住建局"}, {"department_id": "minzheng", "name": "区民政局"}],
    "people": [
        {"person_id": "p-sec-1", "name": "张伟", "roles": ["community_secretary"], "unit": {"kind": "community", "id": "c-1"}},
        {"person_id": "p-sec-2", "name": "王芳", "roles": ["community_secretary"], "unit": {"kind": "community", "id": "c-2"}},
        {"person_id": "p-sec-3", "name": "李娜", "roles": ["community_secretary"], "unit": {"kind": "community", "id": "c-3"}},
        {"person_id": "p-org-east", "name": "刘洋", "roles": ["street_org_member"], "unit": {"kind": "street", "id": "s-east"}},
        {"person_id": "p-org-west", "name": "陈静", "roles": ["street_org_member"], "unit": {"kind": "street", "id": "s-west"}},
        {"person_id": "p-zhujian", "name": "赵磊", "roles": ["dept_responsible_leader"], "unit": {"kind": "department", "id": "zhujian"}},
        {"person_id": "p-head", "name": "孙丽", "roles": ["org_deputy_head"], "unit": {"kind": "district", "id": "-"}},
        {"person_id": "p-office", "name": "周敏", "roles": ["party_office"], "unit": {"kind": "district", "id": "-"},
         "channels": [{"kind": "email", "address": "zhoumin@example.test"}, {"kind": "in_app"}]},
    ],
}
SECRETARIES = {"c-1": "p-sec-1", "c-2": "p-sec-2", "c-3": "p-sec-3"}
ORG_MEMBERS = {"c-1": "p-org-east", "c-2": "p-org-east", "c-3": "p-org-west"}
ROLES = {p["person_id"]: p["roles"] for p in DIRECTORY["people"]}

TASKS = [
    {"task_id": "t1", "title": "老旧小区加装电梯摸底", "assigned_to": {"kind": "department", "id": "zhujian"}, "due_date": "2026-12-04"},
    {"task_id": "t2", "title": "社区养老服务站建设", "assigned_to": {"kind": "department", "id": "minzheng"}, "due_date": "2026-12-18"},
]


def auth(district: str, person_id: str, *roles: str) -> dict[str, str]:
    roles = roles or tuple(ROLES.get(person_id, ()))
    return {"Authorization": f"Bearer {issue_token(person_id, district, roles)}"}


def operator(district: str) -> dict[str, str]:
    return auth(district, "ops", "platform_admin")


async def ok(response: httpx.Response, *codes: int) -> dict:
    assert response.status_code in (codes or (200, 201)), response.text
    return response.json()


async def import_directory(http: httpx.AsyncClient, district: str, directory: dict | None = None) -> dict:
    return await ok(await http.put(f"/districts/{district}/directory", json=directory or DIRECTORY,
                                   headers=auth(district, "p-office")))


async def set_today(http: httpx.AsyncClient, district: str, today: str | None) -> None:
    await ok(await http.put(f"/districts/{district}/clock", json={"today": today}, headers=operator(district)))


async def schedule(http: httpx.AsyncClient, district: str, month: str = "2026-11") -> dict:
    return await ok(await http.post(f"/districts/{district}/activity-days/schedule", json={"month": month},
                                    headers=auth(district, "p-office")))


async def record_items(http: httpx.AsyncClient, district: str, meeting_id: str, tasks: list[dict] = TASKS,
                       communities: list[str] | None = None, summary: bool = True) -> None:
    base = f"/districts/{district}/activity-days/{meeting_id}"
    for community in communities or list(SECRETARIES):
        await ok(await http.put(f"{base}/reports/{community}", headers=auth(district, SECRETARIES[community]),
                                json={"last_month": "完成垃圾分类宣传", "next_month": "推进加装电梯"}))
        await ok(await http.put(f"{base}/comments/{community}", headers=auth(district, ORG_MEMBERS[community]),
                                json={"text": "宣传到位，台账清楚"}))
    for task in tasks:
        await ok(await http.post(f"{base}/tasks", json=task, headers=auth(district, "p-zhujian")))
    if summary:
        await ok(await http.put(f"{base}/summary", json={"text": "各社区要把问题清单落实到人。"},
                                headers=auth(district, "p-head")))


async def close(http: httpx.AsyncClient, district: str, meeting_id: str) -> httpx.Response:
    return await http.post(f"/districts/{district}/activity-days/{meeting_id}/close", json={"attendees": []},
                           headers=auth(district, "p-head"))


async def hold_activity_day(http: httpx.AsyncClient, district: str, month: str = "2026-11",
                            tasks: list[dict] = TASKS) -> str:
    """Directory, schedule, the four items for every community, close: one meeting-held."""
    await import_directory(http, district)
    day = await schedule(http, district, month)
    await set_today(http, district, day["date"])
    await record_items(http, district, day["meeting_id"], tasks)
    await ok(await close(http, district, day["meeting_id"]))
    return day["meeting_id"]
