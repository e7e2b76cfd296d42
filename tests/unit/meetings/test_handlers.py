"""The meetings use cases over an in-memory unit of work (no Kafka, no store): the four
standing items, the close refusal, the closed loop, and what each publishes."""

from __future__ import annotations

import inspect
from datetime import date

import pytest
from fourx_meetings.domain.activities import Outcome
from fourx_meetings.domain.errors import CloseRefused, DomainError, Invalid, NotAllowed
from fourx_meetings.domain.model import UnitRef
from fourx_meetings.domain.roles import Actor
from fourx_meetings.adapters import repository
from fourx_meetings.service_layer import handlers
from fourx_meetings.service_layer import unit_of_work as uow_module

from tests.unit.meetings import fakes
from tests.unit.meetings.fakes import FakeUnitOfWork
from tests.unit.meetings.fixtures import DIRECTORY_YAML

D = "d"
DAY = "ad-2026-11"  # Friday 2026-11-06
HELD_ON = date(2026, 11, 6)
ROLES = {"p-sec-1": "community_secretary", "p-sec-2": "community_secretary", "p-sec-3": "community_secretary",
         "p-org-east": "street_org_member", "p-org-west": "street_org_member",
         "p-civil": "dept_responsible_leader", "p-head": "org_deputy_head", "p-office": "party_office"}


def as_(person_id: str) -> Actor:
    return Actor(person_id, frozenset({ROLES[person_id]}))


async def november() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    await handlers.import_directory(handlers.ImportDirectory(D, DIRECTORY_YAML), uow)
    await handlers.schedule_activity_day(handlers.ScheduleActivityDay(D, 2026, 11), uow)
    return uow


async def report(uow, community_id: str, by: str, last_month: str = "上月工作", next_month: str = "下月计划"):
    return await handlers.record_report(handlers.RecordReport(D, DAY, community_id, last_month, next_month, as_(by)),
                                        uow)


async def comment(uow, community_id: str, by: str, text: str = "点评"):
    return await handlers.record_comment(handlers.RecordComment(D, DAY, community_id, text, as_(by)), uow)


async def summary(uow, by: str = "p-head", text: str = "总结讲话"):
    return await handlers.record_summary(handlers.RecordSummary(D, DAY, text, as_(by)), uow)


async def task(uow, title: str, unit: UnitRef, due: date = date(2026, 12, 4), by: str = "p-civil"):
    return await handlers.assign_task(handlers.AssignTask(D, DAY, title, unit, due, as_(by)), uow)


async def close(uow, today: date = HELD_ON, by: str = "p-head"):
    return await handlers.close_activity_day(handlers.CloseActivityDay(D, DAY, as_(by), today, ["p-guest"]), uow)


async def stored_day(uow):
    day, _ = await uow.activity_days.get(D, DAY)
    return day


# --- directory and scheduling ------------------------------------------------------------------
async def test_the_directory_is_published_once_per_content():
    uow = FakeUnitOfWork()
    _, version, changed = await handlers.import_directory(handlers.ImportDirectory(D, DIRECTORY_YAML), uow)
    assert (version, changed) == (1, True)
    _, version, changed = await handlers.import_directory(handlers.ImportDirectory(D, DIRECTORY_YAML), uow)
    assert (version, changed) == (1, False)
    [published] = uow.events("directory-updated")
    assert published.data["version"] == 1 and len(published.data["communities"]) == 3
    assert uow.commits == 1


async def test_an_activity_day_is_scheduled_once_per_month_on_every_replica():
    uow = await november()
    day, created = await handlers.schedule_activity_day(handlers.ScheduleActivityDay(D, 2026, 11), uow)
    assert not created and day.date == HELD_ON
    assert [e.data["meeting_id"] for e in uow.events("meeting-scheduled")] == [DAY]
    # the periodic job: this month and next, for every district with a directory
    assert await handlers.schedule_due_months(uow, date(2026, 11, 20)) == 1
    assert await handlers.schedule_due_months(uow, date(2026, 11, 20)) == 0
    assert [e.data["meeting_id"] for e in uow.events("meeting-scheduled")] == [DAY, "ad-2026-12"]


async def test_nothing_happens_before_the_directory_is_imported():
    with pytest.raises(DomainError, match="尚未导入组织名录"):
        await summary(FakeUnitOfWork())


# --- the four standing items -------------------------------------------------------------------
async def test_item_1_each_secretary_reports_for_their_own_community():
    uow = await november()
    day, changed = await report(uow, "c-1", "p-sec-1")
    assert changed and day.reports["c-1"].by == "p-sec-1"
    assert (await stored_day(uow)).reports["c-1"].last_month == "上月工作"
    _, changed = await report(uow, "c-1", "p-sec-1")
    assert not changed  # the same report again changes nothing
    with pytest.raises(NotAllowed, match="只能为本社区填报"):
        await report(uow, "c-2", "p-sec-1")
    with pytest.raises(NotAllowed, match="社区党委书记"):
        await report(uow, "c-1", "p-org-east")
    assert "c-2" not in (await stored_day(uow)).reports
    assert uow.events("meeting-held") == []  # the standing items are published with the minutes


async def test_item_2_a_street_org_member_comments_on_their_street_communities():
    uow = await november()
    day, changed = await comment(uow, "c-1", "p-org-east", "按时推进")
    assert changed and day.comments["c-1"].text == "按时推进"
    await comment(uow, "c-3", "p-org-west")
    with pytest.raises(NotAllowed, match="属于街道 s-west"):
        await comment(uow, "c-3", "p-org-east")
    assert sorted((await stored_day(uow)).comments) == ["c-1", "c-3"]


async def test_item_3_department_tasks_go_to_units_that_exist_and_are_due_after_the_day():
    uow = await november()
    day, task_id, changed = await task(uow, "老旧小区加装电梯摸底", UnitRef("community", "c-1"))
    assert changed and task_id.startswith("tk-") and [t.task_id for t in day.tasks] == [task_id]
    _, again, changed = await task(uow, "老旧小区加装电梯摸底", UnitRef("community", "c-1"))
    assert (again, changed) == (task_id, False)  # the id derives from the task: a replay is no new task
    with pytest.raises(Invalid, match="assigned_to"):
        await task(uow, "无此单位", UnitRef("community", "c-9"))
    with pytest.raises(Invalid, match="due_date"):
        await task(uow, "过期任务", UnitRef("department", "d-civil"), due=date(2026, 11, 1))
    with pytest.raises(NotAllowed, match="部门分管负责同志"):
        await task(uow, "书记派任务", UnitRef("community", "c-1"), by="p-sec-1")
    assert len((await stored_day(uow)).tasks) == 1


async def test_item_4_only_the_deputy_head_sums_up():
    uow = await november()
    day, changed = await summary(uow)
    assert changed and (day.summary, day.summary_by) == ("总结讲话", "p-head")
    with pytest.raises(NotAllowed, match="组织部分管副部长"):
        await summary(uow, by="p-office")
    assert (await stored_day(uow)).summary_by == "p-head"


# --- closing -----------------------------------------------------------------------------------
async def test_an_early_close_is_refused_and_lists_what_is_missing():
    uow = await november()
    await report(uow, "c-1", "p-sec-1")
    await comment(uow, "c-1", "p-org-east")
    await comment(uow, "c-3", "p-org-west")
    with pytest.raises(CloseRefused) as refused:
        await close(uow)
    missing = refused.value.missing
    assert [c["community_id"] for c in missing["reports"]] == ["c-2", "c-3"]
    assert [c["community_id"] for c in missing["comments"]] == ["c-2"]
    assert missing["summary"] is True
    assert "光明社区（c-2）" in str(refused.value) and "缺少分管副部长的总结" in str(refused.value)
    assert (await stored_day(uow)).status == "scheduled" and uow.events("meeting-held") == []


async def complete(uow) -> str:
    for community, secretary, member in (("c-1", "p-sec-1", "p-org-east"), ("c-2", "p-sec-2", "p-org-east"),
                                         ("c-3", "p-sec-3", "p-org-west")):
        await report(uow, community, secretary)
        await comment(uow, community, member)
    _, task_id, _ = await task(uow, "养老服务站建设", UnitRef("department", "d-civil"), due=date(2026, 12, 18))
    await summary(uow)
    return task_id


async def test_closing_publishes_the_minutes_once_and_then_the_day_is_immutable():
    uow = await november()
    task_id = await complete(uow)
    with pytest.raises(NotAllowed, match="组织部分管副部长或区委党建办"):
        await close(uow, by="p-sec-1")
    with pytest.raises(DomainError, match="举行之前不能结束"):
        await close(uow, today=date(2026, 11, 5))
    day, closed = await close(uow)
    assert closed and day.status == "held"
    _, closed = await close(uow)
    assert not closed
    [held] = uow.events("meeting-held")
    assert held.data["meeting_id"] == DAY and held.data["summary"] == "总结讲话"
    assert [r["community_id"] for r in held.data["community_reports"]] == ["c-1", "c-2", "c-3"]
    assert [c["by"] for c in held.data["comments"]] == ["p-org-east", "p-org-east", "p-org-west"]
    assert [t["task_id"] for t in held.data["tasks"]] == [task_id]
    assert held.data["attendees"][0] == "p-guest" and "p-head" in held.data["attendees"]
    with pytest.raises(DomainError, match="已结束"):
        await summary(uow, text="改一改")


async def test_a_concurrent_writer_is_not_lost_the_use_case_runs_again_on_fresh_state():
    uow = await november()

    async def the_other_secretary_reports_first():
        await report(uow, "c-2", "p-sec-2")

    uow.activity_days.before_save = the_other_secretary_reports_first
    day, changed = await report(uow, "c-1", "p-sec-1")
    assert changed and sorted(day.reports) == ["c-1", "c-2"]
    assert sorted((await stored_day(uow)).reports) == ["c-1", "c-2"]


# --- topics and X activities ---------------------------------------------------------------------
async def test_topics_are_proposed_in_the_window_and_selected_by_the_office():
    uow = await november()
    propose = handlers.ProposeTopic(D, DAY, "停车难", as_("p-sec-1"), today=date(2026, 10, 27))
    _, topic_id, changed = await handlers.propose_topic(propose, uow)
    assert changed
    with pytest.raises(DomainError, match="已于 2026-10-30 截止"):
        await handlers.propose_topic(handlers.ProposeTopic(D, DAY, "太晚", as_("p-sec-2"), today=date(2026, 11, 2)), uow)
    with pytest.raises(NotAllowed, match="区委党建办"):
        await handlers.select_topic(handlers.SelectTopic(D, DAY, topic_id, as_("p-head")), uow)
    await handlers.select_topic(handlers.SelectTopic(D, DAY, topic_id, as_("p-office")), uow)
    [proposed] = uow.events("topic-proposed")
    assert proposed.data["proposed_by"] == {"kind": "community", "id": "c-1"}
    assert [e.data["topic_id"] for e in uow.events("topic-selected")] == [topic_id]


async def test_an_x_activity_is_recorded_once_and_its_outcomes_name_real_units():
    uow = await november()

    def diagnosis(unit: UnitRef) -> handlers.RecordActivity:
        return handlers.RecordActivity(
            district=D, kind="collective_diagnosis", date=HELD_ON, title="停车难会诊", participants=["p-sec-1"],
            outcomes=[Outcome("错时共享停车", unit, date(2026, 12, 31))], record={"problem": "停车位不足"},
            actor=as_("p-office"), meeting_id=DAY)

    _, created = await handlers.record_activity(diagnosis(UnitRef("community", "c-2")), uow)
    _, again = await handlers.record_activity(diagnosis(UnitRef("community", "c-2")), uow)
    assert (created, again) == (True, False)
    with pytest.raises(Invalid, match="outcomes.0.responsible"):
        await handlers.record_activity(diagnosis(UnitRef("community", "c-9")), uow)
    [held] = uow.events("activity-held")
    assert held.data["outcomes"][0]["responsible"] == {"kind": "community", "id": "c-2"}


# --- the closed loop ---------------------------------------------------------------------------------
def issue_events() -> list[tuple[str, str, dict]]:
    lift = {"issue_id": "i-lift", "title": "加装电梯", "community_id": "c-1", "street_id": "s-east",
            "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-12-01", "owner": "p-sec-1"}
    trash = {"issue_id": "i-trash", "title": "垃圾分类", "community_id": None, "street_id": None,
             "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-10-20", "owner": None}
    other = {**lift, "issue_id": "i-other", "title": "别的社区", "community_id": "c-2",
             "responsible": {"kind": "community", "id": "c-2"}}
    return [
        ("e1", "issue-raised", lift), ("e2", "issue-raised", trash), ("e3", "issue-raised", other),
        ("e4", "progress-recorded", {"issue_id": "i-lift", "week": "2026-W43", "note": "开始", "percent": 10, "seq": 1}),
        ("e5", "progress-recorded", {"issue_id": "i-lift", "week": "2026-W44", "note": "摸底完成", "percent": 60,
                                     "seq": 2}),
        ("e6", "issue-overdue", {"issue_id": "i-trash", "due_date": "2026-10-20", "days_overdue": 3}),
        ("e7", "issue-resolved", {"issue_id": "i-trash", "resolved_on": "2026-10-25", "resolution": "已办结"}),
    ]


@pytest.mark.parametrize("order", ["as sent", "reversed"])
async def test_supervision_events_fill_each_communitys_report_form_in_any_order(order):
    uow = await november()
    await handlers.schedule_activity_day(handlers.ScheduleActivityDay(D, 2026, 10), uow)  # the previous day
    sent = issue_events() if order == "as sent" else issue_events()[::-1]
    assert all([await handlers.apply_supervision_event(D, t, i, data, uow) for i, t, data in sent])
    assert not any([await handlers.apply_supervision_event(D, t, i, data, uow) for i, t, data in sent])

    form = await handlers.community_report_form(D, DAY, "c-1", uow)
    assert [(i["issue_id"], i["status"]) for i in form["supervision_items"]] == [
        ("i-lift", "in_progress"), ("i-trash", "resolved")]
    assert form["supervision_items"][0]["progress"] == {"week": "2026-W44", "percent": 60, "note": "摸底完成"}
    assert form["last_month_draft"] == "加装电梯（推进中，进度 60%）；垃圾分类（已办结，逾期 3 天）"
    assert form["next_month_draft"] == "加装电梯"
    assert form["community_name"] == "和平社区" and form["recorded"] is None
    assert [i["issue_id"] for i in (await handlers.community_report_form(D, DAY, "c-2", uow))["supervision_items"]] \
        == ["i-other"]


async def test_the_report_keeps_its_items_as_they_stood_and_the_minutes_carry_them():
    uow = await november()
    for event_id, topic, data in issue_events()[:5]:
        await handlers.apply_supervision_event(D, topic, event_id, data, uow)
    await complete(uow)
    # the item moves on after the report was recorded: the report keeps what the secretary saw
    await handlers.apply_supervision_event(D, "issue-resolved", "e9",
                                           {"issue_id": "i-lift", "resolved_on": "2026-11-05", "resolution": "完成"}, uow)
    form = await handlers.community_report_form(D, DAY, "c-1", uow)
    assert [(i["issue_id"], i["status"]) for i in form["supervision_items"]] == [
        ("i-trash", "open"), ("i-lift", "resolved")]
    assert form["recorded"]["by"] == "p-sec-1"
    await close(uow)
    [held] = uow.events("meeting-held")
    c1 = next(r for r in held.data["community_reports"] if r["community_id"] == "c-1")
    assert [(i["issue_id"], i["status"]) for i in c1["supervision_items"]] == [
        ("i-trash", "open"), ("i-lift", "in_progress")]


# --- the fakes keep to the interface ------------------------------------------------------------------
def test_the_fakes_and_the_mongo_stores_implement_every_method_of_the_unit_of_work():
    pairs = {"directories": (uow_module.DirectoryStore, repository.DirectoryRepository, fakes.FakeDirectories),
             "activity_days": (uow_module.ActivityDayStore, repository.ActivityDayRepository, fakes.FakeActivityDays),
             "activities": (uow_module.ActivityStore, repository.ActivityRepository, fakes.FakeActivities),
             "suggestions": (uow_module.SuggestionStore, repository.SuggestionRepository, fakes.FakeSuggestions),
             "supervision": (uow_module.SupervisionStore, repository.SupervisionRepository, fakes.FakeSupervision),
             "clocks": (uow_module.ClockStore, repository.ClockOverrides, fakes.FakeClocks)}
    assert set(pairs) == set(uow_module.UnitOfWork.__annotations__)
    for protocol, mongo, fake in pairs.values():
        methods = {n for n, f in vars(protocol).items() if inspect.isfunction(f) and not n.startswith("_")}
        assert methods
        for implementation in (mongo, fake):
            for name in methods:
                ours, theirs = inspect.signature(getattr(implementation, name)), inspect.signature(getattr(protocol, name))
                assert list(ours.parameters) == list(theirs.parameters), (implementation, name)
