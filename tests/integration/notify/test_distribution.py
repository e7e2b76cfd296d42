"""The bulletin and the immediate notices over real Kafka and the store, to a real SMTP server
and a real webhook receiver."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from fourx_platform.auth import issue_token
from fourx_contracts.envelope import new_event

from tests.integration.test_walking_skeleton import request_report
from tests.support.kafka import EventTap, produce, source_of, sleep_until

pytestmark = pytest.mark.integration
WEEK = "2026-W48"
IN_WEEK = datetime(2026, 11, 25, 2, tzinfo=UTC)


def directory(district: str, hook_base: str) -> dict:
    def person(pid: str, roles: list[str], unit: dict, channels: list[dict]) -> dict:
        return {"person_id": pid, "name": pid, "roles": roles, "unit": unit, "channels": channels}

    return {
        "version": 1, "district_name": "测试区",
        "streets": [{"street_id": "s1", "name": "华林街道"}],
        "communities": [{"community_id": "c1", "street_id": "s1", "name": "三坊社区"}],
        "departments": [{"department_id": "mz", "name": "民政局"}],
        "people": [
            person("sec", ["street_secretary"], {"kind": "street", "id": "s1"},
                   [{"kind": "email", "address": f"sec@{district}.cn"}, {"kind": "webhook", "url": f"{hook_base}/ok-{district}-sec"}]),
            person("lead", ["dept_main_leader"], {"kind": "department", "id": "mz"},
                   [{"kind": "email", "address": f"lead@{district}.cn"}]),
            person("office", ["party_office"], {"kind": "district", "id": district}, [{"kind": "in_app"}]),
            person("broken", ["dept_section_chief"], {"kind": "department", "id": "mz"},
                   [{"kind": "webhook", "url": f"{hook_base}/broken-{district}"}]),
            person("csec", ["community_secretary"], {"kind": "community", "id": "c1"},
                   [{"kind": "email", "address": f"csec@{district}.cn"}]),
        ],
    }


ISSUE = {"issue_id": "i1", "title": "停车难", "description": "d", "source": {"kind": "community", "ref": "c1"},
         "responsible": {"kind": "community", "id": "c1"}, "owner": "csec", "due_date": "2026-12-01",
         "street_id": "s1", "community_id": "c1"}


async def publish(kafka_settings, district: str, topic: str, data: dict, time: datetime | None = None) -> dict:
    event = new_event(type=topic, source=source_of(topic), district=district, data=data, time=time)
    await produce(kafka_settings, topic, event.to_json_bytes(), district.encode())
    return event.model_dump(mode="json")


async def stored(notify, issues, district: str, count: int) -> None:
    """Wait until the read model holds the district's first `count` events and the issues
    service has the district's directory (a precondition). Without the second, its answer to
    a first bulletin request may lack the league that its answer to a second one has: the
    bulletin would differ, and by design a changed bulletin goes out again."""
    async def enough():
        return (len(await notify.event_store().up_to(district, datetime(2100, 1, 1).date())) >= count
                and await issues.directory_people(district) is not None)
    await sleep_until(enough, timeout=60)


def sent(tap: EventTap, district: str, ref: str) -> list[dict]:
    return [e["data"] for e in tap.events("notification-sent", district) if e["data"]["ref"] == ref]


async def test_bulletin_reaches_every_recipient_once_per_channel_despite_smtp_refusals(
        kafka_settings, wired_notify, issues, notify_http, mailbox, hooks, district):
    box, _ = mailbox
    store, base = hooks
    await publish(kafka_settings, district, "directory-updated", directory(district, base))
    await publish(kafka_settings, district, "issue-raised", ISSUE, IN_WEEK)
    await stored(wired_notify, issues, district, 2)
    ref = f"{district}:{WEEK}"
    async with EventTap(kafka_settings, ["notification-sent"]) as tap:
        report = await request_report(kafka_settings, district, WEEK)
        assert report["data"]["recipients"] == 4
        # sec: email, webhook, inbox; lead: email, inbox; office: inbox; broken: webhook (fails), inbox
        final = await tap.wait_for(lambda t: len(sent(t, district, ref)) == 8 and sent(t, district, ref), timeout=40)
        outcomes = {(d["recipient_id"], d["channel"]): (d["status"], d["attempts"]) for d in final}
        assert outcomes == {
            ("sec", "email"): ("delivered", 3), ("sec", "webhook"): ("delivered", 1), ("sec", "inbox"): ("delivered", 1),
            ("lead", "email"): ("delivered", 3), ("lead", "inbox"): ("delivered", 1),
            ("office", "inbox"): ("delivered", 1),
            ("broken", "webhook"): ("failed", 4), ("broken", "inbox"): ("delivered", 1),
        }
        # Asking again regenerates the same bulletin: nothing is sent twice.
        await request_report(kafka_settings, district, WEEK)
        await tap.settle(2.0)
        assert len(sent(tap, district, ref)) == 8
    assert len(box.received(f"sec@{district}.cn", ref)) == 1
    assert len(box.received(f"lead@{district}.cn", ref)) == 1
    assert box.received(f"csec@{district}.cn", ref) == []          # community secretaries are not recipients
    assert box.received(f"sec@{district}.cn", ref)[0]["subject"] == "测试区周工作记实通报（2026年第1期）"
    assert len(store.received(f"ok-{district}-sec", ref)) == 1
    assert len(store.received(f"broken-{district}", ref)) == 4     # tried up to the bound, no more
    body = store.received(f"ok-{district}-sec", ref)[0]
    assert body["msgtype"] == "markdown" and "本街道情况：华林街道" in body["markdown"]["content"]

    # 签收 through the inbox; the office sees who has not signed.
    sec = {"Authorization": f"Bearer {issue_token('sec', district, ['street_secretary'])}"}
    office = {"Authorization": f"Bearer {issue_token('office', district, ['party_office'])}"}
    inbox = (await notify_http.get(f"/districts/{district}/inbox", headers=sec)).json()["items"]
    assert [i["ref"] for i in inbox] == [ref] and inbox[0]["acknowledged_at"] is None
    r = await notify_http.post(f"/districts/{district}/inbox/{inbox[0]['item_id']}/acknowledge", headers=sec)
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    acks = (await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/acknowledgements", headers=office)).json()
    assert [a["person_id"] for a in acks["acknowledged"]] == ["sec"]
    assert sorted(a["person_id"] for a in acks["not_acknowledged"]) == ["broken", "lead", "office"]
    # Scoped: the secretary may not see the office's list, another district's token nothing.
    assert (await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/acknowledgements", headers=sec)).status_code == 403
    other = {"Authorization": f"Bearer {issue_token('x', 'elsewhere', ['party_office'])}"}
    foreign = await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/html", headers=other)
    assert foreign.status_code == 403 and foreign.json()["code"] == "access.wrong_district"
    anonymous = await notify_http.get(f"/districts/{district}/inbox")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth.token_missing"
    r = await notify_http.post(f"/districts/{district}/inbox/nope/acknowledge", headers=sec)
    assert r.status_code == 404 and "待办中没有" in r.json()["detail"] and r.json()["code"] == "inbox.not_found"
    missing = await notify_http.get(f"/districts/{district}/bulletins/2020-W01", headers=office)
    assert missing.status_code == 404 and missing.json()["code"] == "bulletin.not_found"


async def test_regenerating_gives_the_same_stats_and_content_hash(kafka_settings, wired_notify, issues, notify_http,
                                                                   hooks, district):
    await publish(kafka_settings, district, "directory-updated", directory(district, hooks[1]))
    await publish(kafka_settings, district, "issue-raised", ISSUE, IN_WEEK)
    await publish(kafka_settings, district, "progress-recorded",
                  {"issue_id": "i1", "week": WEEK, "note": "摸底", "percent": 20}, IN_WEEK)
    await stored(wired_notify, issues, district, 3)
    first = await request_report(kafka_settings, district, WEEK)
    stored_first = await wired_notify.bulletins().get(f"{district}:{WEEK}")
    second = await request_report(kafka_settings, district, WEEK)
    stored_second = await wired_notify.bulletins().get(f"{district}:{WEEK}")
    assert first["data"]["stats"] == second["data"]["stats"]
    assert first["data"]["stats"]["issues_raised"] == 1 and first["data"]["stats"]["progress_records"] == 1
    assert first["data"]["content_hash"] == second["data"]["content_hash"] == stored_second["content_hash"]
    assert stored_first["markdown"] == stored_second["markdown"]
    assert stored_first["number"] == stored_second["number"] == 1
    assert "2026年第1期" in stored_second["markdown"]
    # The .docx download opens with python-docx and holds the title and the stats table.
    office = {"Authorization": f"Bearer {issue_token('office', district, ['party_office'])}"}
    r = await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/docx", headers=office)
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    assert doc.paragraphs[0].text == "测试区周工作记实通报"
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[0] == ["项目", "数量"]
    assert ["新增督办问题（个）", "1"] in rows and ["工作写实记录（条）", "1"] in rows
    html = await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/html", headers=office)
    assert html.status_code == 200 and "测试区周工作记实通报" in html.text
    md = await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/markdown", headers=office)
    assert md.text == stored_second["markdown"]
    # The district's bulletins, newest week first, a page at a time, without their texts.
    await request_report(kafka_settings, district, "2026-W47")
    page = await notify_http.get(f"/districts/{district}/bulletins", params={"limit": 1}, headers=office)
    assert page.status_code == 200 and 'rel="next"' in page.headers["link"]
    first_page = page.json()
    assert [(b["week"], b["number"]) for b in first_page["bulletins"]] == [(WEEK, 1)]
    assert "markdown" not in first_page["bulletins"][0] and first_page["next_offset"] == 1
    rest = (await notify_http.get(f"/districts/{district}/bulletins", params={"offset": 1}, headers=office)).json()
    assert [(b["week"], b["number"]) for b in rest["bulletins"]] == [("2026-W47", 2)] and rest["next"] is None


async def test_notice_goes_at_once_to_the_person_and_unit_leaders(kafka_settings, wired_notify, issues, mailbox, hooks,
                                                                 district):
    directory_data = directory(district, hooks[1])
    directory_data["people"].append({"person_id": "s1-deputy", "name": "副书记", "roles": ["street_deputy_secretary"],
                                     "unit": {"kind": "street", "id": "s1"}, "channels": []})
    await publish(kafka_settings, district, "directory-updated", directory_data)
    await publish(kafka_settings, district, "issue-raised", ISSUE)
    await stored(wired_notify, issues, district, 2)
    async with EventTap(kafka_settings, ["notification-sent"]) as tap:
        notice = await publish(kafka_settings, district, "notice-issued", {
            "notice_id": "n1", "issue_id": "i1", "to": {"kind": "street", "id": "s1"}, "to_person": "csec",
            "reason": "进度滞后", "issued_on": datetime.now(UTC).date().isoformat(), "respond_by": "2026-12-31"})
        # csec: email + inbox; sec: email + webhook + inbox; s1-deputy: inbox
        await tap.wait_for(lambda t: len(sent(t, district, notice["id"])) >= 6, timeout=30)
        await tap.settle(1.0)
        final = sent(tap, district, notice["id"])
    recipients = {d["recipient_id"] for d in final}
    assert recipients == {"csec", "sec", "s1-deputy"}     # addressed person + the street's leaders
    assert all(d["status"] == "delivered" for d in final)
    assert len(mailbox[0].received(f"csec@{district}.cn", notice["id"])) == 1


async def test_scheduled_run_is_claimed_once_across_replicas(kafka_settings, wired_notify, hooks, district):
    from fourx_notify.entrypoints.scheduler import run_due

    await publish(kafka_settings, district, "directory-updated", directory(district, hooks[1]))
    await sleep_until(lambda: wired_notify.event_store().latest(district, "directory-updated"))
    monday_0805 = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)   # 08:05 in Shanghai
    async with EventTap(kafka_settings, ["report-published"]) as tap:
        claims = [await run_due(wired_notify, monday_0805, [district]) for _ in range(3)]
        assert claims == [[district], [], []]
        await tap.wait_for(lambda t: t.events("report-published", district), timeout=30)
        await tap.settle(2.0)
        published = tap.events("report-published", district)
    assert [p["data"]["week"] for p in published] == ["2026-W48"]
