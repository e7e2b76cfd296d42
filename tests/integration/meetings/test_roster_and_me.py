"""What the web console needs of the meetings service, over the real store and Kafka: the
directory imported from an Excel roster (with sheet-, row- and column-precise Chinese errors),
the roster template, and "who am I" for choosing the workbench."""

from __future__ import annotations

import io

import pytest
from fourx_contracts.vocabulary import ROLE_LABELS
from fourx_platform import error_codes
from openpyxl import load_workbook

from tests.integration.meetings import flow
from tests.integration.meetings.flow import auth
from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _saved(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_the_template_filled_in_and_imported_as_a_roster(kafka_settings, meetings_http, district):
    office = auth(district, "p-office", "party_office")
    # Before any directory the office downloads the template (like the first import, it needs no directory).
    template = await meetings_http.get(f"/districts/{district}/directory/template.xlsx", headers=office)
    assert template.status_code == 200, template.text
    assert template.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(template.content))
    assert {"街道", "社区", "人员", "说明"} <= set(book.sheetnames)
    people = book["人员"]
    people.append(["p-office", "周敏", ROLE_LABELS["party_office"], "区", "-", "zhoumin@example.test"])
    people.append(["p-sec-2", "李娜", "社区党委书记", "社区", "c-1"])

    async with EventTap(kafka_settings, ["directory-updated"]) as tap:
        r = await meetings_http.put(f"/districts/{district}/directory", content=_saved(book),
                                    headers={**office, "content-type": XLSX})
        assert r.status_code == 200, r.text
        assert r.json()["counts"] == {"streets": 1, "communities": 1, "departments": 1, "people": 3}
        [event] = await tap.wait_for(lambda t: t.events("directory-updated", district))
    assert {p["person_id"] for p in event["data"]["people"]} == {"p-001", "p-office", "p-sec-2"}

    # The same roster again changes nothing; a broken one is refused naming sheet, row and column.
    again = await meetings_http.put(f"/districts/{district}/directory", content=_saved(book),
                                    headers={**office, "content-type": XLSX})
    assert again.json()["changed"] is False
    people.append(["p-x", "王强", "村长", "社区", "c-9"])
    bad = await meetings_http.put(f"/districts/{district}/directory", content=_saved(book),
                                  headers={**office, "content-type": XLSX})
    assert bad.status_code == 422 and bad.json()["code"] == "directory.invalid"
    messages = [p["message"] for p in bad.json()["detail"]["problems"]]
    assert any(m.startswith("人员表第 5 行（C 列）：角色“村长”不存在") for m in messages), messages
    assert "人员表第 5 行（E 列）：没有社区 c-9" in messages
    assert (await meetings_http.get(f"/districts/{district}/directory", headers=office)).json()["people"][-1][
        "person_id"] == "p-sec-2"  # nothing of the refused roster was stored

    garbage = await meetings_http.put(f"/districts/{district}/directory", content=b"PK\x03\x04 not really",
                                      headers={**office, "content-type": XLSX})
    assert garbage.status_code == 422 and "不是有效的 Excel 文件" in garbage.json()["detail"]["problems"][0]["message"]
    # Only the office may have the template once a directory exists.
    refused = await meetings_http.get(f"/districts/{district}/directory/template.xlsx",
                                      headers=auth(district, "p-sec-2", "community_secretary"))
    assert refused.status_code == 403 and refused.json()["code"] == "access.role_required"


async def test_a_roster_over_the_upload_limit_is_refused_with_413(meetings_http, district):
    office = auth(district, "p-office", "party_office")
    r = await meetings_http.put(f"/districts/{district}/directory", content=b"PK\x03\x04" + b"0" * (3 * 1024 * 1024),
                                headers={**office, "content-type": XLSX})
    assert r.status_code == 413 and r.json()["code"] == "input.too_large"


async def test_who_am_i(meetings_http, district):
    await flow.import_directory(meetings_http, district)
    me = await meetings_http.get(f"/districts/{district}/me", headers=auth(district, "p-sec-1"))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["person_id"] == "p-sec-1" and body["name"] == "张伟" and body["operator"] is False
    assert body["roles"] == [{"role": "community_secretary", "label": ROLE_LABELS["community_secretary"]}]
    assert body["unit"] == {"kind": "community", "kind_label": "社区", "id": "c-1", "name": "和平社区",
                            "street": {"id": "s-east", "name": "东城街道"}}
    org = (await meetings_http.get(f"/districts/{district}/me", headers=auth(district, "p-org-east"))).json()
    assert org["unit"]["name"] == "东城街道" and "street" not in org["unit"]
    # Only the roles the token claims and the directory gives count.
    office = (await meetings_http.get(f"/districts/{district}/me", headers=auth(district, "p-office"))).json()
    assert [r["label"] for r in office["roles"]] == [ROLE_LABELS["party_office"]]
    stranger = await meetings_http.get(f"/districts/{district}/me", headers=auth(district, "p-ghost", "party_office"))
    assert stranger.status_code == 403 and stranger.json()["code"] == "access.not_in_directory"
    operator = (await meetings_http.get(f"/districts/{district}/me", headers=flow.operator(district))).json()
    assert operator["operator"] is True and operator["roles"] == []


async def test_every_code_the_meetings_api_answered_with_is_catalogued(meetings_http, district):
    await flow.import_directory(meetings_http, district)
    office = auth(district, "p-office")
    answers = {
        "activity_day.not_found": await meetings_http.get(f"/districts/{district}/activity-days/nope", headers=office),
        "access.wrong_district": await meetings_http.get(f"/districts/{district}/me",
                                                         headers=auth(f"{district}-b", "p-office")),
        "access.no_directory": await meetings_http.get(f"/districts/{district}-empty/me",
                                                       headers=auth(f"{district}-empty", "p-office")),
        "route.not_found": await meetings_http.get("/nowhere"),
        "invalid": await meetings_http.post(f"/districts/{district}/activity-days/schedule", json={"month": "13"},
                                            headers=office),
    }
    assert {code: r.json()["code"] for code, r in answers.items()} == {code: code for code in answers}
    assert set(answers) <= set(error_codes.CATALOG)
