"""Raising items from every source, the lifecycle, weekly records, inspections, the league."""

from __future__ import annotations

from datetime import date

import pytest
from fourx_contracts.events import ActivityHeld, DirectoryUpdated, MeetingHeld
from fourx_issues.domain.listing import ItemFilter
from fourx_issues.domain.model import Finding, Source, UnitRef
from fourx_platform.errors import DomainError, Invalid, NotFound
from fourx_issues.service_layer import handlers

from tests.unit.issues.fakes import FakeUnitOfWork

D = "d1"
DIRECTORY = DirectoryUpdated.model_validate({
    "version": 1,
    "streets": [{"street_id": "s1", "name": "东街道"}, {"street_id": "s2", "name": "西街道"}],
    "communities": [{"community_id": "c1", "street_id": "s1", "name": "幸福社区"},
                    {"community_id": "c2", "street_id": "s2", "name": "和平社区"}],
    "departments": [{"department_id": "zhujian", "name": "住建局"}],
    "people": [
        {"person_id": "p-sec-1", "name": "王书记", "roles": ["community_secretary"], "unit": {"kind": "community", "id": "c1"}},
        {"person_id": "p-zj", "name": "李局长", "roles": ["dept_responsible_leader"], "unit": {"kind": "department", "id": "zhujian"}},
    ],
})
MEETING = MeetingHeld.model_validate({
    "meeting_id": "m-2026-11", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
    "community_reports": [], "comments": [], "summary": "总结", "topic_ids": [],
    "tasks": [
        {"task_id": "t1", "title": "加装电梯摸底", "assigned_to": {"kind": "community", "id": "c1"}, "due_date": "2026-12-04"},
        {"task_id": "t2", "title": "养老服务站", "assigned_to": {"kind": "department", "id": "zhujian"}, "due_date": "2026-12-18"},
        {"task_id": "t3", "title": "垃圾分类", "assigned_to": {"kind": "street", "id": "s2"}, "due_date": "2026-12-18"},
    ],
})
DIAGNOSIS = ActivityHeld.model_validate({
    "activity_id": "a1", "meeting_id": "m-2026-11", "kind": "collective_diagnosis", "date": "2026-11-06",
    "title": "停车难会诊", "participants": [],
    "outcomes": [{"title": "错时共享停车", "responsible": {"kind": "community", "id": "c2"}, "due_date": "2026-12-31"}],
})


async def test_every_task_becomes_one_item_however_often_delivered():
    uow = FakeUnitOfWork()
    await handlers.on_directory_updated(D, DIRECTORY, uow)
    assert await handlers.on_meeting_held(D, MEETING, "corr", uow) == 3
    assert await handlers.on_meeting_held(D, MEETING, "corr", uow) == 0
    raised = uow.events("issue-raised")
    assert len(raised) == 3
    by_ref = {e.data["source"]["ref"]: e.data for e in raised}
    assert by_ref["m-2026-11/t1"]["street_id"] == "s1" and by_ref["m-2026-11/t1"]["community_id"] == "c1"
    assert by_ref["m-2026-11/t1"]["owner"] == "p-sec-1"
    assert by_ref["m-2026-11/t2"]["owner"] == "p-zj" and by_ref["m-2026-11/t2"]["street_id"] is None
    assert by_ref["m-2026-11/t3"]["street_id"] == "s2"
    assert all(e.data["source"]["kind"] == "meeting_task" for e in raised)


async def test_every_outcome_becomes_an_item_and_a_late_directory_fills_the_street():
    uow = FakeUnitOfWork()
    assert await handlers.on_activity_held(D, DIAGNOSIS, None, uow) == 1
    assert await handlers.on_activity_held(D, DIAGNOSIS, None, uow) == 0
    [raised] = uow.events("issue-raised")
    assert raised.data["source"] == {"kind": "diagnosis", "ref": "a1/0"} and raised.data["street_id"] is None
    await handlers.on_directory_updated(D, DIRECTORY, uow)
    [item] = await handlers.list_items(uow, D, today=date(2026, 11, 10), where=ItemFilter(street="s2"))
    assert item.title == "错时共享停车" and item.owner is None  # c2 has no secretary in the directory
    await handlers.on_meeting_held(D, MEETING, None, uow)
    late = FakeUnitOfWork()
    await handlers.on_meeting_held(D, MEETING, None, late)
    await handlers.on_directory_updated(D, DIRECTORY, late)
    owners = {i.title: i.owner for i in await handlers.list_items(late, D, today=date(2026, 11, 10))}
    assert owners == {"加装电梯摸底": "p-sec-1", "养老服务站": "p-zj", "垃圾分类": None}


async def test_lifecycle_open_in_progress_resolved_closed_with_one_issue_resolved():
    uow = FakeUnitOfWork()
    item, _ = await handlers.raise_item(handlers.RaiseItem(
        district=D, title="楼道堆物清理", description="居民反映", source=Source("community", "c1"),
        responsible=UnitRef("community", "c1"), due_date=date(2026, 12, 1), raised_on=date(2026, 11, 10)), uow)
    iid = item.issue_id
    assert (await handlers.start_item(uow, D, iid)).status == "in_progress"
    with pytest.raises(DomainError, match="^status: .*报办结后才能核验"):
        await handlers.verify(uow, D, iid, today=date(2026, 11, 20))
    assert (await handlers.claim_resolved(uow, D, iid, resolution="已清理", today=date(2026, 11, 20))).status == "resolved"
    assert (await handlers.reopen(uow, D, iid, reason="复查仍有堆物")).status == "in_progress"
    assert not uow.events("issue-resolved")
    await handlers.claim_resolved(uow, D, iid, resolution="再次清理并建立长效机制", today=date(2026, 11, 25))
    closed = await handlers.verify(uow, D, iid, today=date(2026, 11, 26))
    assert closed.status == "closed"
    await handlers.verify(uow, D, iid, today=date(2026, 11, 27))  # repeat: nothing new
    [resolved] = uow.events("issue-resolved")
    assert resolved.data["issue_id"] == iid and resolved.data["resolved_on"] == "2026-11-26"
    assert resolved.data["resolution"] == "再次清理并建立长效机制"
    with pytest.raises(DomainError, match="^status: .*退回重办"):
        await handlers.reopen(uow, D, iid, reason="x")


async def test_weekly_records_publish_once_per_content_and_reject_bad_input():
    uow = FakeUnitOfWork()
    await handlers.on_meeting_held(D, MEETING, None, uow)
    iid = uow.events("issue-raised")[0].data["issue_id"]
    today = date(2026, 11, 18)
    await handlers.record_progress(uow, D, iid, week="2026-W46", note="完成摸底30户", percent=30, today=today)
    await handlers.record_progress(uow, D, iid, week="2026-W46", note="完成摸底30户", percent=30, today=today)
    item = await handlers.record_progress(uow, D, iid, week="2026-W46", note="完成摸底40户", percent=40, today=today)
    assert [e.data["percent"] for e in uow.events("progress-recorded")] == [30, 40]
    assert item.status == "in_progress" and item.missing_weeks(today) == ["2026-W45"]
    with pytest.raises(Invalid, match="^percent: "):
        await handlers.record_progress(uow, D, iid, week="2026-W46", note="x", percent=101, today=today)
    with pytest.raises(Invalid, match="^week: "):
        await handlers.record_progress(uow, D, iid, week="2026-W52", note="x", percent=1, today=today)
    with pytest.raises(NotFound, match="^issue_id: "):
        await handlers.record_progress(uow, D, "nope", week="2026-W46", note="x", percent=1, today=today)


async def test_inspection_held_once_and_a_finding_raises_an_item():
    uow = FakeUnitOfWork()
    inspection, _ = await handlers.plan_inspection(uow, D, inspection_id="insp-1", kind="field_supervision",
                                                   on=date(2026, 11, 20), units=[UnitRef("community", "c1")])
    findings = [Finding(text="台账不全"),
                Finding(text="电梯摸底进度慢", unit=UnitRef("community", "c1"), item_title="补齐摸底台账",
                        item_due_date=date(2026, 12, 10))]
    _, raised = await handlers.hold_inspection(uow, D, "insp-1", findings=findings, held_on=date(2026, 11, 20))
    _, again = await handlers.hold_inspection(uow, D, "insp-1", findings=findings, held_on=date(2026, 11, 20))
    assert raised == again and len(raised) == 1
    [held] = uow.events("inspection-held")
    assert held.data["kind"] == "field_supervision" and len(held.data["findings"]) == 2
    [item] = uow.events("issue-raised")
    assert item.data["source"] == {"kind": "inspection", "ref": "insp-1/1"}
    with pytest.raises(Invalid, match="^kind: "):
        await handlers.plan_inspection(uow, D, inspection_id=None, kind="party", on=date(2026, 11, 20),
                                       units=[UnitRef("community", "c1")])


async def test_list_filters_and_league_table():
    uow = FakeUnitOfWork()
    await handlers.on_directory_updated(D, DIRECTORY, uow)
    await handlers.on_meeting_held(D, MEETING, None, uow)
    await handlers.on_activity_held(D, DIAGNOSIS, None, uow)
    today = date(2026, 12, 5)
    await handlers.daily_check(uow, D, today, handlers.LadderPolicy())
    assert [i.title for i in await handlers.list_items(uow, D, today=today, where=ItemFilter(light="red"))] == ["加装电梯摸底"]
    assert len(await handlers.list_items(uow, D, today=today, where=ItemFilter(unit=UnitRef("department", "zhujian")))) == 1
    assert len(await handlers.list_items(uow, D, today=today, where=ItemFilter(community="c1"))) == 1
    assert len(await handlers.list_items(uow, D, today=today, where=ItemFilter(status="open"))) == 4
    rows = {r["street_id"]: r for r in await handlers.league(uow, D, by="street", today=today)}
    assert rows["s1"]["overdue"] == 1 and rows["s1"]["notices"] == 1 and rows["s1"]["on_time_rate"] == 0
    assert rows["s2"]["items"] == 2 and rows["s2"]["overdue"] == 0 and rows["s2"]["on_time_rate"] is None
    communities = {r["community_id"]: r for r in await handlers.league(uow, D, by="community", today=today)}
    assert communities["c2"]["items"] == 1 and communities["c1"]["closure_rate"] == 0


async def test_the_daily_check_asks_the_store_for_items_not_closed_only():
    uow = FakeUnitOfWork()
    await handlers.on_directory_updated(D, DIRECTORY, uow)
    await handlers.on_meeting_held(D, MEETING, None, uow)
    closed = next(iter(uow.items.docs))
    uow.items.docs[closed]["status"] = "closed"
    uow.items.queries.clear()
    report = await handlers.daily_check(uow, D, date(2026, 12, 5), handlers.LadderPolicy())
    assert report.checked == 2
    assert uow.items.queries == [{"district": D, "status": {"$in": ["open", "in_progress", "resolved"]}}]
