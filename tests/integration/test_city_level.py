"""The outcome figures and the city level over the real stack (Kafka, the store, the three
services): what a district records reaches notify's read model and its figures; a city token
sees its own districts' figures side by side, and gets 403 for another city's district, for
another city and for any write."""

from __future__ import annotations

import asyncio
import io
import time
import uuid

import httpx
import pytest
from docx import Document
from fourx_platform.auth import issue_token

from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import create_app as notify_app
from fourx_notify.domain.outcomes import FIGURE_KEYS
from tests.integration.meetings.flow import DIRECTORY, auth, ok, set_today

pytestmark = pytest.mark.integration


def city_token(city: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('p-city', None, roles or ['city_org_dept'], city=city)}"}


async def _eventually(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


@pytest.fixture
async def stack(meetings, notify):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=meetings_app(meetings)), base_url="http://m") as m, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=notify_app(notify)), base_url="http://n") as n:
        yield m, n


async def test_a_city_sees_its_districts_figures_and_nothing_else(stack):
    m, n = stack
    tag = uuid.uuid4().hex[:8]
    city_a, city_b = f"city-a-{tag}", f"city-b-{tag}"
    first, second, other = f"{tag}-gulou", f"{tag}-taijiang", f"{tag}-elsewhere"
    for district, city, name in ((first, city_a, "鼓楼区"), (second, city_a, "台江区"), (other, city_b, "别市区")):
        await ok(await m.put(f"/districts/{district}/directory", json={**DIRECTORY, "city": city, "district_name": name},
                             headers=auth(district, "p-office")))
        await set_today(m, district, "2026-11-06")

    # The first district: a suggestion made and adopted into a supervision item, another declined,
    # a study visit, an experience sharing by two secretaries, a site observation.
    made = await ok(await m.post(f"/districts/{first}/suggestions", json={"title": "建议建立停车共享机制",
                                                                          "text": "机关单位夜间开放停车位"},
                                 headers=auth(first, "p-sec-1")), 201)
    assert made["unit"] == {"kind": "community", "id": "c-1"} and made["status"] == "pending"
    adopted = await ok(await m.post(f"/districts/{first}/suggestions/{made['suggestion_id']}/adopt", json={
        "requirement": "各街道 12 月底前建立停车共享台账",
        "supervision": {"title": "建立停车共享台账", "responsible": {"kind": "street", "id": "s-east"},
                        "due_date": "2026-12-31"}}, headers=auth(first, "p-office")))
    assert adopted["status"] == "adopted" and adopted["changed"]
    again = await m.post(f"/districts/{first}/suggestions/{made['suggestion_id']}/decline", json={"reason": "改了主意"},
                         headers=auth(first, "p-office"))
    assert again.status_code == 409 and "已于" in again.text   # decided once
    other_one = await ok(await m.post(f"/districts/{first}/suggestions", json={"title": "增设宣传栏", "text": "每个小区一块"},
                                      headers=auth(first, "p-sec-2")), 201)
    refused = await m.post(f"/districts/{first}/suggestions/{other_one['suggestion_id']}/adopt",
                           json={"requirement": "x"}, headers=auth(first, "p-sec-1"))
    assert refused.status_code == 403   # deciding is the office's
    await ok(await m.post(f"/districts/{first}/suggestions/{other_one['suggestion_id']}/decline",
                          json={"reason": "已纳入市级统一部署"}, headers=auth(first, "p-office")))
    await ok(await m.post(f"/districts/{first}/activities", json={
        "kind": "study_visit", "date": "2026-11-12", "title": "赴杭州、宁波学习网格化治理",
        "participants": ["p-sec-1", "p-sec-2"],
        "record": {"destinations": ["杭州市上城区", "宁波市海曙区"], "visitors": 15, "learned": "网格员队伍建设"}},
        headers=auth(first, "p-office")), 201)
    await ok(await m.post(f"/districts/{first}/activities", json={
        "kind": "experience_sharing", "date": "2026-11-06", "title": "书记讲给书记听",
        "participants": ["p-sec-1", "p-sec-2", "p-sec-3"],
        "record": {"presenter": "p-sec-1", "lessons": "红色物业", "speakers": ["p-sec-1", "p-sec-2"]}},
        headers=auth(first, "p-office")), 201)
    not_secretary = await m.post(f"/districts/{first}/activities", json={
        "kind": "experience_sharing", "date": "2026-11-06", "title": "不是书记",
        "participants": ["p-sec-1"], "record": {"presenter": "p-head", "lessons": "x", "speakers": ["p-head"]}},
        headers=auth(first, "p-office"))
    assert not_secretary.status_code == 422 and "社区党委书记" in not_secretary.text
    await ok(await m.post(f"/districts/{first}/activities", json={
        "kind": "site_observation", "date": "2026-11-18", "title": "现场观摩和平社区、光明社区",
        "participants": ["p-org-east"],
        "record": {"observations": [{"unit": {"kind": "community", "id": "c-1"}, "comment": "台账规范"},
                                    {"unit": {"kind": "community", "id": "c-2"}, "comment": "要补短板"}]}},
        headers=auth(first, "p-office")), 201)

    office = auth(first, "p-office")

    async def figures_arrived() -> dict:
        response = await n.get(f"/districts/{first}/outcomes", params={"period": "2026"}, headers=office)
        assert response.status_code == 200, response.text
        figures = response.json()["figures"]
        assert figures["issues_raised"] == 1 and figures["suggestions_made"] == 2, figures
        assert figures["site_observations"] == 1, figures
        return figures

    figures = await _eventually(figures_arrived)
    assert figures == {**dict.fromkeys(FIGURE_KEYS, 0), "suggestions_made": 2, "suggestions_adopted": 1,
                       "study_visit_people": 15, "study_visit_places": 2, "secretaries_taught": 2,
                       "site_observations": 1, "issues_raised": 1}
    # Reproducible: asked again, the same figures.
    again_figures = (await ok(await n.get(f"/districts/{first}/outcomes", params={"period": "2026"},
                                          headers=office)))["figures"]
    assert again_figures == figures
    bad = await n.get(f"/districts/{first}/outcomes", params={"period": "2026-13"}, headers=office)
    assert bad.status_code == 422 and "统计期间" in bad.text

    # The summary, as a Word document.
    docx = await n.get(f"/districts/{first}/outcomes/summary.docx", params={"period": "2026"}, headers=office)
    assert docx.status_code == 200 and docx.headers["content-type"].startswith("application/vnd.openxml")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "鼓楼区实施“4+X+1”模式" in text and "组织15人次赴" in text and "提出意见建议2条" in text

    # The city: its two districts, side by side; the league; the trend.
    city = city_token(city_a)
    listed = await ok(await n.get(f"/cities/{city_a}/districts", headers=city))
    assert listed["districts"] == sorted([{"district": first, "name": "鼓楼区"}, {"district": second, "name": "台江区"}],
                                         key=lambda d: d["district"])
    side = await ok(await n.get(f"/cities/{city_a}/outcomes", params={"period": "2026"}, headers=city))
    by_district = {d["district"]: d["figures"] for d in side["districts"]}
    assert set(by_district) == {first, second} and by_district[first] == figures
    assert side["totals"]["suggestions_made"] == 2
    league = await ok(await n.get(f"/cities/{city_a}/league", params={"period": "2026"}, headers=city))
    assert {r["district"] for r in league["league"]} == {first, second} and league["league"][0]["rank"] == 1
    trend = await ok(await n.get(f"/cities/{city_a}/trend", params={"year": 2026}, headers=city))
    november = next(mo for mo in trend["months"] if mo["month"] == "2026-11")
    assert november["districts"][first]["suggestions_made"] == 2 and len(trend["months"]) == 12
    own = await ok(await n.get(f"/cities/{city_a}/districts/{first}/outcomes", params={"period": "2026"}, headers=city))
    assert own["figures"] == figures

    # …and nothing else: another city's district, another city, any district route, any write.
    assert (await n.get(f"/cities/{city_a}/districts/{other}/outcomes", params={"period": "2026"},
                        headers=city)).status_code == 403
    assert (await n.get(f"/cities/{city_b}/outcomes", params={"period": "2026"}, headers=city)).status_code == 403
    assert (await n.get(f"/districts/{first}/outcomes", params={"period": "2026"}, headers=city)).status_code == 403
    writes = [
        await m.post(f"/districts/{first}/suggestions", json={"title": "t", "text": "x"}, headers=city),
        await m.put(f"/districts/{first}/directory", json=DIRECTORY, headers=city),
        await m.post(f"/districts/{first}/activity-days/schedule", json={"month": "2026-12"}, headers=city),
        await n.post(f"/districts/{first}/inbox/x/acknowledge", headers=city),
    ]
    assert [w.status_code for w in writes] == [403] * len(writes), [w.text for w in writes]
    assert "市级令牌" in writes[0].text
    # A district's people do not read the city; a token without the city role neither.
    assert (await n.get(f"/cities/{city_a}/outcomes", params={"period": "2026"}, headers=office)).status_code == 403
    assert (await n.get(f"/cities/{city_a}/outcomes", params={"period": "2026"},
                        headers=city_token(city_a, "party_office"))).status_code == 403
    assert (await n.get(f"/cities/{city_a}/outcomes", params={"period": "2026"})).status_code == 401
