"""Demo step of the issues service ("1", the supervision mechanism).

Goes on from the meetings step: the activity day's tasks and the diagnosis outcomes arrive as
supervision items (the service consumes meeting-held / activity-held from Kafka); work is
recorded; one item is resolved and verified; one goes overdue under a simulated clock and
climbs to a supervision notice and an interview; one monthly inspection is held.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from fourx_contracts.vocabulary import ITEM_STATUS_LABELS, label, light_label

from fourx_local.demo.context import DemoContext
from fourx_local.demo.failure import http_error

CHAIN = ("issue-overdue", "notice-issued", "interview-scheduled")


async def read_topics(kafka: dict[str, Any], topics: list[str], district: str) -> dict[str, list[dict]]:
    """Every event of the district on these topics, read from the beginning up to now."""
    # Without a group the consumer takes every partition of the topics it subscribes to.
    consumer = AIOKafkaConsumer(*topics, **kafka, enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + 10
        while not consumer.assignment() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        partitions = list(consumer.assignment())
        if not partitions:
            return {t: [] for t in topics}
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: dict[str, list[dict]] = {t: [] for t in topics}
        async def behind() -> bool:
            for tp, end in ends.items():
                if await consumer.position(tp) < end:
                    return True
            return False

        while await behind():
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        event = json.loads(record.value)
                    except (TypeError, ValueError):
                        continue
                    if isinstance(event, dict) and event.get("district") == district:
                        out[record.topic].append(event)
        return out
    finally:
        await consumer.stop()


def _first(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _roles_of(directory: dict, person_id: str) -> list[str]:
    for person in directory.get("people", []):
        if person.get("person_id") == person_id:
            return list(person.get("roles", []))
    return []


def _office(ctx: DemoContext) -> str:
    people = ctx.facts.get("people", {}) or {}
    office = _first(people.get("party_office"))
    if office:
        return office
    for person in ctx.facts.get("directory", {}).get("people", []):
        if "party_office" in person.get("roles", []):
            return person["person_id"]
    return "demo-party-office"


def _names(directory: dict) -> dict[str, str]:
    names = {s["street_id"]: s["name"] for s in directory.get("streets", [])}
    names.update({c["community_id"]: c["name"] for c in directory.get("communities", [])})
    names.update({d["department_id"]: d["name"] for d in directory.get("departments", [])})
    names.update({p["person_id"]: p["name"] for p in directory.get("people", [])})
    return names


async def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        raise RuntimeError(http_error(response))
    return response.json()


async def _all_items(client: httpx.AsyncClient, path: str, params: dict | None = None) -> dict:
    """The whole supervision list, page after page (the list answers at most `limit` at once
    and names the next page in `next`)."""
    listing = await _ok(await client.get(path, params={**(params or {}), "limit": 200}))
    items = listing["items"]
    while listing.get("next"):
        listing = await _ok(await client.get(listing["next"]))
        items += listing["items"]
    return {**listing, "count": len(items), "items": items}


async def run(ctx: DemoContext) -> None:
    d = ctx.district
    directory = ctx.facts.get("directory", {}) or {}
    names = _names(directory)
    office_id = _office(ctx)
    office = ctx.client("issues", office_id, "party_office")

    def as_owner(item: dict) -> httpx.AsyncClient:
        owner = item.get("owner")
        if not owner:
            return ctx.client("issues", office_id, "party_office")
        return ctx.client("issues", owner, *(_roles_of(directory, owner) or ["community_secretary"]))

    def unit_name(unit: dict) -> str:
        return names.get(unit["id"], unit["id"])

    try:
        # 1. Items appear from the activity day's tasks and the diagnosis outcomes.
        ctx.step("等待督办事项生成：集中活动日交办任务与集体会诊结论自动进入督办清单")
        sources = await read_topics(ctx.kafka_options(), ["meeting-held", "activity-held"], d)
        expected = {f"{e['data']['meeting_id']}/{t['task_id']}" for e in sources["meeting-held"]
                    for t in e["data"]["tasks"]}
        expected |= {f"{e['data']['activity_id']}/{i}" for e in sources["activity-held"]
                     for i, _ in enumerate(e["data"]["outcomes"])}
        deadline = time.monotonic() + 60
        while True:
            listing = await _all_items(office, f"/districts/{d}/issues")
            have = {i["source"]["ref"] for i in listing["items"]}
            if expected <= have and listing["count"] > 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"督办事项未全部生成：缺少 {sorted(expected - have)}")
            await asyncio.sleep(0.5)
        items = [i for i in listing["items"] if i["source"]["ref"] in expected] or listing["items"]
        tasks = sum(1 for i in items if i["source"]["kind"] == "meeting_task")
        ctx.done(f"督办清单共 {len(items)} 项（交办任务 {tasks} 项，会诊结论 {len(items) - tasks} 项），"
                 f"与 {len(sources['meeting-held'])} 次活动日、{len(sources['activity-held'])} 次“X”活动一一对应")
        for item in items[:8]:
            ctx.done(f"{item['title']} — 责任单位：{unit_name(item['responsible'])}，"
                     f"责任人：{names.get(item['owner'], item['owner'] or '未指定')}，时限：{item['due_date']}")

        # 2. Weekly work records (写实).
        ctx.step("责任人填报每周工作写实")
        real_today = date.today()
        activity_day = date.fromisoformat(str(ctx.facts.get("activity_day_date") or real_today))
        week_day = min(activity_day, real_today)
        week = f"{week_day.isocalendar()[0]}-W{week_day.isocalendar()[1]:02d}"
        by_due = sorted(items, key=lambda i: (i["due_date"], i["issue_id"]))
        resolved_item, overdue_item = by_due[-1], by_due[0]
        for item, percent, note in ((resolved_item, 60, "已召开居民议事会，方案基本形成"),
                                    (overdue_item, 10, "已摸底，尚未启动实施"),
                                    *((i, 30, "按计划推进") for i in by_due[1:3] if i not in (resolved_item, overdue_item))):
            async with as_owner(item) as owner:
                recorded = await _ok(await owner.post(f"/districts/{d}/issues/{item['issue_id']}/progress",
                                                      json={"week": week, "note": note, "percent": percent}))
            ctx.done(f"{week} 写实：{item['title']} — {percent}%（{note}），预警：{light_label(recorded['light'])}")

        # 3. One item resolved by the unit and verified by the Party-building office.
        ctx.step("责任单位报结，区委党建办核销")
        async with as_owner(resolved_item) as owner:
            await _ok(await owner.post(f"/districts/{d}/issues/{resolved_item['issue_id']}/resolution",
                                       json={"resolution": "方案落地，居民满意度回访通过"}))
        closed = await _ok(await office.post(f"/districts/{d}/issues/{resolved_item['issue_id']}/verification"))
        ctx.done(f"{closed['title']}：{label(ITEM_STATUS_LABELS, closed['status'])}（issue-resolved）")

        # 4. One item goes overdue under a simulated clock and climbs the ladder.
        due = date.fromisoformat(overdue_item["due_date"])
        day_after = due + timedelta(days=1)
        ctx.step(f"模拟时钟：{day_after}（{overdue_item['title']} 超过时限 {due}），运行每日督办检查")
        report = await _ok(await office.post(f"/districts/{d}/daily-check", json={"today": day_after.isoformat()}))
        item = await _ok(await office.get(f"/districts/{d}/issues/{overdue_item['issue_id']}",
                                          params={"today": day_after.isoformat()}))
        notice = item["notice"]
        if notice is None:
            raise RuntimeError(f"{item['title']} 逾期后未生成督办通知：{report}")
        ctx.done(f"预警：{light_label(item['light'])}；逾期 {len(report['overdue'])} 项（issue-overdue）")
        ctx.done(f"督办通知 {notice['number']} → {unit_name(notice['to'])}"
                 f"（{names.get(notice['to_person'], notice['to_person'] or '单位负责人')}），"
                 f"要求 {notice['respond_by']} 前反馈（notice-issued）")
        async with as_owner(item) as owner:
            signed = await _ok(await owner.post(f"/districts/{d}/issues/{item['issue_id']}/notice/acknowledgement"))
        ctx.done(f"责任人已签收（{signed['notice']['acknowledged_on']}）")

        after_respond_by = date.fromisoformat(notice["respond_by"]) + timedelta(days=1)
        ctx.step(f"模拟时钟：{after_respond_by}（反馈期限已过仍未办结），再次运行每日督办检查")
        report = await _ok(await office.post(f"/districts/{d}/daily-check",
                                             json={"today": after_respond_by.isoformat()}))
        item = await _ok(await office.get(f"/districts/{d}/issues/{overdue_item['issue_id']}",
                                          params={"today": after_respond_by.isoformat()}))
        interview = item["interview"]
        if interview is None:
            raise RuntimeError(f"{item['title']} 反馈期限后未安排约谈：{report}")
        ctx.done(f"约谈 {names.get(interview['person_id'], interview['person_id'])}，"
                 f"时间 {interview['scheduled_for']}（interview-scheduled）")
        again = await _ok(await office.post(f"/districts/{d}/daily-check",
                                            json={"today": after_respond_by.isoformat()}))
        ctx.done(f"同日重复检查：新增逾期 {len(again['overdue'])}、通知 {len(again['notices'])}、"
                 f"约谈 {len(again['interviews'])} —— 同一事项同一环节不重复触发")
        await _ok(await office.post(f"/districts/{d}/issues/{item['issue_id']}/interview/outcome",
                                    json={"outcome": "已约谈，责任人作出书面说明，限期两周整改"}))
        ctx.done("约谈结果已记录")

        # 5. A monthly inspection, one of whose findings raises a new item.
        ctx.step("月度督查：实地督导，督查发现转为督办事项")
        communities = [c["community_id"] for c in directory.get("communities", [])][:2] or \
                      [overdue_item["responsible"]["id"]]
        held_on = activity_day + timedelta(days=14)
        inspection_id = f"insp-{held_on.isoformat()}"
        await _ok(await office.post(f"/districts/{d}/inspections", json={
            "inspection_id": inspection_id, "kind": "field_supervision", "date": held_on.isoformat(),
            "units": [{"kind": "community", "id": c} for c in communities]}))
        held = await _ok(await office.post(f"/districts/{d}/inspections/{inspection_id}/findings", json={
            "held_on": held_on.isoformat(), "findings": [
                {"text": "工作台账完整，居民知晓率高", "unit": {"kind": "community", "id": communities[0]}},
                {"text": "加装电梯意愿征询未覆盖全部楼栋", "unit": {"kind": "community", "id": communities[-1]},
                 "raise_item": {"title": "补齐加装电梯意愿征询", "due_date": (held_on + timedelta(days=21)).isoformat()}},
            ]}))
        ctx.done(f"督查 {inspection_id}：{len(held['findings'])} 条发现，新增督办事项 "
                 f"{len(held['raised_issue_ids'])} 项（inspection-held）")

        # 6. The list by light and the league table.
        ctx.step(f"预警灯与排名（按 {after_respond_by} 计算）")
        listing = await _all_items(office, f"/districts/{d}/issues", {"today": after_respond_by.isoformat()})
        counts: dict[str | None, int] = {}
        for i in listing["items"]:
            counts[i["light"]] = counts.get(i["light"], 0) + 1
        ctx.done("，".join(f"{light_label(k)} {v} 项" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0]))))
        league = await _ok(await office.get(f"/districts/{d}/league",
                                            params={"by": "street", "today": after_respond_by.isoformat()}))
        for row in league["rows"][:5]:
            rate = "—" if row["on_time_rate"] is None else f"{row['on_time_rate']:.0%}"
            closure = "—" if row["closure_rate"] is None else f"{row['closure_rate']:.0%}"
            ctx.done(f"{names.get(row['street_id'], row['street_id'])}：事项 {row['items']}，按期办结率 {rate}，"
                     f"办结率 {closure}，逾期 {row['overdue']}，收到督办通知 {row['notices']}")

        # 7. What the stream now holds.
        ctx.step("核对事件流")
        deadline = time.monotonic() + 30
        while True:
            stream = await read_topics(ctx.kafka_options(), ["issue-raised", *CHAIN, "inspection-held"], d)
            refs = {e["data"]["source"]["ref"] for e in stream["issue-raised"]}
            chained = [{e["data"]["issue_id"] for e in stream[t]} for t in CHAIN]
            complete = item["issue_id"] in set.intersection(*chained)
            if expected <= refs and complete and stream["inspection-held"]:
                break
            if time.monotonic() > deadline:
                counts = {t: len(v) for t, v in stream.items()}
                raise RuntimeError(f"事件流不完整：缺少任务/结论 {sorted(expected - refs)}，督办链完整={complete}，"
                                   f"各主题条数 {counts}")
            await asyncio.sleep(1.0)
        ctx.done(f"issue-raised {len(stream['issue-raised'])} 条（覆盖全部任务与会诊结论），"
                 f"督办链 issue-overdue → notice-issued → interview-scheduled 完整（{item['issue_id'][:8]}…），"
                 f"inspection-held {len(stream['inspection-held'])} 条")
        ctx.facts["issues"] = {"chain_issue_id": item["issue_id"], "resolved_issue_id": resolved_item["issue_id"],
                               "inspection_id": inspection_id, "notice_number": notice["number"],
                               "simulated_today": after_respond_by.isoformat()}
    finally:
        await office.aclose()
