"""What the web console needs of the issues service, over the real store and Kafka: the
supervision list filtered by street, community, department, light, status, due dates and
"mine"; the same list as an Excel workbook with Chinese headers and labels; an item's timeline;
notices to sign and interviews of my unit; the office scheduling an interview."""

from __future__ import annotations

import io

import pytest
from fourx_contracts.vocabulary import ITEM_STATUS_LABELS, SOURCE_KIND_LABELS, light_label
from fourx_platform import error_codes
from openpyxl import load_workbook

from tests.integration.issues.test_issues_over_kafka import item_body
from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration

C1 = {"kind": "community", "id": "c1"}
C2 = {"kind": "community", "id": "c2"}
ZJ = {"kind": "department", "id": "zhujian"}
S1 = {"kind": "street", "id": "s1"}


async def _raise(client, district, headers, issue_id, responsible, due, **kw) -> dict:
    body = item_body(f"事项{issue_id}", due=due, issue_id=issue_id, responsible=responsible, **{"owner": None, **kw})
    r = await client.post(f"/districts/{district}/issues", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _ids(client, district, headers, **params) -> list[str]:
    r = await client.get(f"/districts/{district}/issues", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [i["issue_id"] for i in r.json()["items"]]


async def _seed(issues_app, district, office) -> None:
    await _raise(issues_app, district, office, "a-c1", C1, "2026-11-20")
    await _raise(issues_app, district, office, "b-c2", C2, "2026-12-20")
    await _raise(issues_app, district, office, "c-zj", ZJ, "2026-11-30")
    await _raise(issues_app, district, office, "d-s1", S1, "2027-01-15", co_units=[ZJ])


async def test_the_list_filters_the_console_offers(issues_app, as_person, district):
    office = as_person()
    await _seed(issues_app, district, office)
    assert await _ids(issues_app, district, office) == ["a-c1", "b-c2", "c-zj", "d-s1"]
    # street: its own items and its communities'; community; department (responsible or co-unit)
    assert await _ids(issues_app, district, office, street="s1") == ["a-c1", "b-c2", "d-s1"]
    assert await _ids(issues_app, district, office, community="c2") == ["b-c2"]
    assert await _ids(issues_app, district, office, department="zhujian") == ["c-zj", "d-s1"]
    # due date range, both ends included
    assert await _ids(issues_app, district, office, due_after="2026-11-30") == ["b-c2", "c-zj", "d-s1"]
    assert await _ids(issues_app, district, office, due_before="2026-11-30") == ["a-c1", "c-zj"]
    assert await _ids(issues_app, district, office, due_after="2026-11-21", due_before="2026-12-31") == \
        ["b-c2", "c-zj"]
    # status and light (as of the service's day, 2026-11-10: a-c1 is ten days from due → blue)
    await issues_app.post(f"/districts/{district}/issues/b-c2/start", headers=office)
    assert await _ids(issues_app, district, office, status="in_progress") == ["b-c2"]
    listing = (await issues_app.get(f"/districts/{district}/issues", headers=office)).json()["items"]
    lights = {i["issue_id"]: i["light"] for i in listing}
    for colour in set(lights.values()):
        assert await _ids(issues_app, district, office, light=colour) == \
            [i for i, c in lights.items() if c == colour]
    # mine: the community secretary sees their community's item; the department its own and co-units
    assert await _ids(issues_app, district, as_person("p-sec-1", "community_secretary"), mine="true") == ["a-c1"]
    assert await _ids(issues_app, district, as_person("p-zj", "dept_responsible_leader"), mine="true") == \
        ["c-zj", "d-s1"]
    # filters combine, and a page follows them
    page = (await issues_app.get(f"/districts/{district}/issues", headers=office,
                                 params={"street": "s1", "due_after": "2026-12-01", "limit": 1})).json()
    assert [i["issue_id"] for i in page["items"]] == ["b-c2"] and page["next_offset"] == 1


async def test_a_bad_filter_is_a_chinese_422_with_the_code_invalid(issues_app, as_person, district):
    office = as_person()
    for params in ({"due_after": "2026-12-01", "due_before": "2026-11-01"}, {"notice": "maybe"},
                   {"light": "purple"}, {"due_before": "not-a-date"}):
        r = await issues_app.get(f"/districts/{district}/issues", params=params, headers=office)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["code"] == "invalid"


async def test_the_filtered_list_as_an_excel_workbook(issues_app, as_person, district):
    office = as_person()
    await _seed(issues_app, district, office)
    r = await issues_app.get(f"/districts/{district}/issues/export.xlsx", params={"street": "s1"}, headers=office)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    sheet = book["督办清单"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    for title in ("编号", "事项", "责任单位", "所属街道", "状态", "预警灯", "期限", "来源"):
        assert title in header
    by_id = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert sorted(by_id) == ["a-c1", "b-c2", "d-s1"]  # the filter applies
    first = by_id["a-c1"]
    assert first["责任单位"] == "幸福社区" and first["所属街道"] == "东城街道"
    assert first["状态"] == ITEM_STATUS_LABELS["open"] and first["来源"] == SOURCE_KIND_LABELS["community"]
    listing = (await issues_app.get(f"/districts/{district}/issues/a-c1", headers=office)).json()
    assert first["预警灯"] == light_label(listing["light"])
    assert first["期限"].date().isoformat() == "2026-11-20"
    assert by_id["d-s1"]["协办单位"] == "区住建局"
    # whoever may read the list may export it; another district's token may not
    assert (await issues_app.get(f"/districts/{district}/issues/export.xlsx",
                                 headers=as_person("p-sec-1", "community_secretary"))).status_code == 200
    foreign = await issues_app.get(f"/districts/{district}/issues/export.xlsx",
                                   headers=as_person(in_district=f"{district}-other"))
    assert foreign.status_code == 403 and foreign.json()["code"] == "access.wrong_district"


async def test_notices_to_sign_interviews_of_my_unit_and_the_timeline(kafka_settings, issues_app, as_person,
                                                                      district):
    office, secretary = as_person(), as_person("p-sec-1", "community_secretary")
    await _raise(issues_app, district, office, "n-1", C1, "2026-11-20", owner="p-sec-1")
    await _raise(issues_app, district, office, "n-2", C1, "2026-11-25")
    base = f"/districts/{district}/issues"

    # No interview before a notice: the code says why.
    early = await issues_app.post(f"{base}/n-1/interview", json={"scheduled_for": "2026-11-20"}, headers=office)
    assert early.status_code == 409 and early.json()["code"] == "interview.needs_notice"

    await issues_app.post(f"{base}/n-1/progress", headers=secretary,
                          json={"week": "2026-W46", "note": "已清理一半", "percent": 50})
    r = await issues_app.post(f"{base}/n-1/notice", json={"reason": "进度偏慢", "respond_by": "2026-11-17"},
                              headers=office)
    assert r.status_code == 200, r.text
    assert await _ids(issues_app, district, secretary, notice="unsigned", mine="true") == ["n-1"]
    assert await _ids(issues_app, district, office, notice="none") == ["n-2"]
    other = await issues_app.post(f"{base}/n-1/notice/acknowledgement",
                                  headers=as_person("p-other", "community_secretary"))
    assert other.status_code == 403 and other.json()["code"] == "item.not_your_unit"
    signed = await issues_app.post(f"{base}/n-1/notice/acknowledgement", headers=secretary)
    assert signed.status_code == 200, signed.text
    assert await _ids(issues_app, district, secretary, notice="unsigned", mine="true") == []
    assert await _ids(issues_app, district, secretary, notice="signed", mine="true") == ["n-1"]

    # The office schedules the interview: day, hour, place, who holds it.
    interview = {"scheduled_for": "2026-11-18", "at": "14:30", "place": "区委组织部三楼会议室",
                 "interviewer": "p-head", "reason": "督办通知下发后进度仍滞后"}
    async with EventTap(kafka_settings, ["interview-scheduled"]) as tap:
        r = await issues_app.post(f"{base}/n-1/interview", json=interview, headers=office)
        assert r.status_code == 200, r.text
        events = await tap.wait_for(lambda t: t.events("interview-scheduled", district), timeout=30)
    data = events[0]["data"]
    assert data["person_id"] == "p-sec-1" and data["place"] == interview["place"]
    assert data["at"].startswith("14:30") and data["interviewer"] == "p-head" and data["scheduled_for"] == "2026-11-18"
    assert r.json()["interview"]["at"] == "14:30"
    again = await issues_app.post(f"{base}/n-1/interview", json=interview, headers=office)
    assert again.status_code == 409 and again.json()["code"] == "interview.already_scheduled"
    no_notice = await issues_app.post(f"{base}/n-2/interview", json=interview, headers=office)
    assert no_notice.status_code == 409 and no_notice.json()["code"] == "interview.needs_notice"
    await issues_app.post(f"{base}/n-2/notice", json={"reason": "进度偏慢"}, headers=office)
    past = await issues_app.post(f"{base}/n-2/interview", json={**interview, "scheduled_for": "2026-11-01"},
                                 headers=office)
    assert past.status_code == 422 and past.json()["code"] == "invalid"
    assert past.json()["detail"][0]["loc"] == ["body", "scheduled_for"]
    unknown = await issues_app.post(f"{base}/n-1/interview", json={**interview, "interviewer": "nobody"},
                                    headers=office)
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid"
    refused = await issues_app.post(f"{base}/n-1/interview", json=interview, headers=secretary)
    assert refused.status_code == 403 and refused.json()["code"] == "access.role_required"
    assert await _ids(issues_app, district, secretary, interview="pending", mine="true") == ["n-1"]

    await issues_app.post(f"{base}/n-1/interview/outcome", json={"outcome": "限期一周整改"}, headers=office)
    assert await _ids(issues_app, district, secretary, interview="done", mine="true") == ["n-1"]
    await issues_app.post(f"{base}/n-1/resolution", json={"resolution": "堆物已全部清理"}, headers=secretary)
    await issues_app.post(f"{base}/n-1/reopen", json={"reason": "现场仍有堆物"}, headers=office)

    item = (await issues_app.get(f"{base}/n-1", headers=secretary)).json()
    kinds = [entry["kind"] for entry in item["timeline"]]
    assert kinds == ["raised", "progress", "notice_issued", "notice_signed", "interview_scheduled",
                     "interview_outcome", "claimed", "reopened"]
    assert all(entry["label"] and entry["on"] for entry in item["timeline"])
    by = {entry["kind"]: entry["by"] for entry in item["timeline"]}
    assert by["progress"] == "p-sec-1" and by["notice_signed"] == "p-sec-1" and by["reopened"] == "p-office"
    assert "区委组织部三楼会议室" in item["timeline"][4]["text"]
    assert "history" not in item  # shown as the timeline only


async def test_every_code_the_issues_api_answered_with_is_catalogued(issues_app, as_person, district):
    office = as_person()
    answers = [
        await issues_app.get(f"/districts/{district}/issues"),
        await issues_app.get(f"/districts/{district}/issues", headers={"Authorization": "Bearer not-a-token"}),
        await issues_app.get(f"/districts/{district}/issues/nope", headers=office),
        await issues_app.get(f"/districts/{district}/no-such-route", headers=office),
        await issues_app.delete(f"/districts/{district}/issues", headers=office),
        await issues_app.post(f"/districts/{district}/issues", json={"title": ""}, headers=office),
        await issues_app.get(f"/districts/{district}/issues", headers=as_person("p-stranger")),
    ]
    codes = [r.json()["code"] for r in answers]
    assert codes == ["auth.token_missing", "auth.token_invalid", "item.not_found", "route.not_found",
                     "route.method_not_allowed", "invalid", "access.not_in_directory"]
    assert set(codes) <= set(error_codes.CATALOG)
