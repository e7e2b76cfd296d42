"""Drift guard: every event each service maps, with every optional part filled in, goes out as
JSON that the contract validates with no undeclared field anywhere in it. A producer that
adds a field without declaring it in `fourx_contracts.events` fails here (and in `new_event`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fourx_contracts.envelope import CloudEvent, undeclared_fields
from fourx_contracts.events import CATALOG, validate_payload
from fourx_issues.adapters import integration as issues_integration
from fourx_issues.domain.model import Finding, Inspection, Source, SupervisionItem, UnitRef as IssuesUnit
from fourx_issues.domain.snapshot import take_snapshot
from fourx_meetings.adapters import integration as meetings_integration
from fourx_meetings.domain.activities import Activity, Outcome
from fourx_meetings.domain.calendar import activity_day_date
from fourx_meetings.domain.directory import parse_directory
from fourx_meetings.domain.model import ActivityDay, Comment, CommunityReport, TaskAssignment, UnitRef
from fourx_meetings.domain.suggestions import Suggestion, SupervisionRequest
from fourx_meetings.domain.supervision import SupervisionItem as LoopItem, report_form
from fourx_notify.service_layer import handlers as notify

from tests.unit.meetings.fixtures import DIRECTORY_YAML
from tests.unit.notify.sample import DIRECTORY as NOTIFY_DIRECTORY, WEEK, events as notify_events

D = "d"
TODAY = date(2026, 11, 25)


def meetings_events() -> list[CloudEvent]:
    directory = parse_directory(DIRECTORY_YAML.replace(
        "      - {kind: in_app}",
        "      - {kind: in_app}\n      - {kind: webhook, url: 'https://h.test/x'}\n      - {kind: sms, number: '138'}"))
    out = [meetings_integration.directory_updated(D, directory, 2, None)]
    day = ActivityDay.schedule(D, 2026, 11, activity_day_date(2026, 11), "区党群服务中心")
    day.propose_topic("t1", "停车难", UnitRef("community", "c-1"), "p-sec-1", date(2026, 10, 25))
    day.select_topic("t1")
    loop = [LoopItem("i1", "加装电梯", community_id="c-1", responsible={"kind": "community", "id": "c-1"},
                     due_date=date(2026, 12, 1), progress_week="2026-W44", progress_percent=60, progress_note="摸底"),
            LoopItem("i2", "垃圾分类", community_id="c-1", resolved_on=date(2026, 10, 20), days_overdue=2)]
    items = tuple(report_form(loop, "c-1", None)["supervision_items"])
    for c in directory.communities:
        day.record_report(CommunityReport(c.community_id, "上月", "下月", "p-sec-1", items))
        day.record_comment(Comment(c.community_id, "p-org-east", "好"))
    day.assign_task(TaskAssignment("k1", "加装电梯", UnitRef("community", "c-1"), date(2026, 12, 4), "p-civil"))
    day.record_summary("总结", "p-head")
    day.close(list(directory.communities), ["p-guest"], date(2026, 11, 6))
    out += meetings_integration.day_events(day, None)
    activity = Activity.hold(district=D, activity_id="a1", kind="collective_diagnosis", date=date(2026, 11, 6),
                             title="会诊", participants=["p1"], record={"problem": "停车位不足"}, meeting_id=day.meeting_id,
                             outcomes=[Outcome("错时停车", UnitRef("community", "c-1"), date(2026, 12, 31))])
    visit = Activity.hold(district=D, activity_id="a2", kind="study_visit", date=date(2026, 11, 12), title="学访",
                          participants=["p1", "p2"], outcomes=[],
                          record={"destinations": ["杭州", "宁波"], "visitors": 12, "learned": "网格化"})
    suggestion = Suggestion.make(district=D, suggestion_id="s1", title="建议", text="内容", made_by="p-sec-1",
                                 unit=UnitRef("community", "c-1"), made_on=date(2026, 11, 6), meeting_id=day.meeting_id)
    made = meetings_integration.suggestion_events(suggestion, None)
    suggestion.pending_events.clear()
    suggestion.adopt(requirement="要求", by="p-office", today=date(2026, 11, 9),
                     supervision=SupervisionRequest("落实", UnitRef("community", "c-1"), date(2026, 12, 9)))
    return (out + meetings_integration.activity_events(activity, None) + meetings_integration.activity_events(visit, None)
            + made + meetings_integration.suggestion_events(suggestion, None))


def _item(issue_id: str) -> SupervisionItem:
    return SupervisionItem.raise_item(
        district=D, issue_id=issue_id, title="加装电梯", description="d", source=Source("meeting_task", "m/k1"),
        responsible=IssuesUnit("community", "c1"), co_units=[IssuesUnit("department", "zj")], owner="p1",
        due_date=date(2026, 11, 20), raised_on=date(2026, 11, 6), street_id="s1", community_id="c1")


def issues_events() -> list[CloudEvent]:
    done = _item("i1")
    done.record_progress(week="2026-W47", note="摸底", percent=30, today=TODAY)
    done.claim_resolved(resolution="已完成", today=TODAY)
    done.verify(today=TODAY)
    late = _item("i2")
    late.flag_overdue(TODAY)
    late.issue_notice(notice_id="n1", number="督办〔2026〕第1号", today=TODAY, respond_by=date(2026, 12, 2),
                      reason="逾期", to_person="p1")
    late.schedule_interview(interview_id="v1", person_id="p1", reason="未回复", scheduled_for=date(2026, 12, 5))
    inspection = Inspection.plan(district=D, inspection_id="x1", kind="field_supervision", date=TODAY,
                                 units=[IssuesUnit("community", "c1")])
    inspection.hold(findings=[Finding("台账不全", IssuesUnit("community", "c1"), "补台账", date(2026, 12, 9)),
                              Finding("好")], held_on=TODAY)
    snapshot = take_snapshot(D, "2026-W48", [done, late], today=TODAY, streets=["s1"], communities=["c1"])
    return (issues_integration.item_events(done) + issues_integration.item_events(late)
            + issues_integration.inspection_events(inspection)
            + [issues_integration.snapshot_event(snapshot, request_id="r1")])


class _Store:
    async def bulletin_events(self, district, week):
        return notify_events()

    async def items_at_week_end(self, district, week, also=()):
        from fourx_notify.domain.bulletin import items_at_week_end
        return items_at_week_end(notify_events(), week)

    async def directory(self, district):
        return next(e for e in notify_events() if e.type == "directory-updated").data

    async def titles(self, district, event_types, key, ids=None):
        return {}

    async def snapshot(self, district, week, request_id=None):
        return None


class _Bulletins:
    def __init__(self):
        self.saved: list[CloudEvent] = []

    async def number_for(self, district, week):
        return 7

    async def save(self, bulletin, outgoing):
        self.saved.extend(outgoing)


async def notify_events_sent() -> list[CloudEvent]:
    bulletins = _Bulletins()
    await notify.publish_bulletin(notify.PublishBulletin(district=D, week=WEEK, request_id="r1"), _Store(), bulletins,
                                  public_url="https://fourx.test")
    person = NOTIFY_DIRECTORY["people"][0]
    [delivery, *_] = notify.delivery_docs(district=D, person=person, ref="r", version="1", kind="bulletin",
                                          subject="s", body="b", html=None, correlationid=None,
                                          now=datetime(2026, 11, 30, tzinfo=UTC))
    _, _, request = notify.scheduled_request(D, datetime(2026, 11, 30, 2, tzinfo=UTC))
    return bulletins.saved + [notify.outcome_event(delivery, "delivered", 1), request]


def _check(events: list[CloudEvent]) -> set[str]:
    for event in events:
        payload = validate_payload(CloudEvent.from_json_bytes(event.to_json_bytes()), event.type)
        assert undeclared_fields(payload) == [], event.type
    return {e.type for e in events}


def test_meetings_sends_only_declared_fields():
    assert _check(meetings_events()) == {"directory-updated", "meeting-scheduled", "topic-proposed",
                                         "topic-selected", "meeting-held", "activity-held",
                                         "suggestion-made", "suggestion-decided"}


def test_issues_sends_only_declared_fields():
    assert _check(issues_events()) == {"issue-raised", "progress-recorded", "issue-resolved", "issue-overdue",
                                       "notice-issued", "interview-scheduled", "inspection-held", "supervision-snapshot"}


async def test_notify_sends_only_declared_fields():
    assert _check(await notify_events_sent()) == {"report-published", "notification-sent", "report-requested"}


def test_the_additive_fields_reach_the_wire_typed():
    by_type: dict[str, dict[str, Any]] = {e.type: e.data for e in meetings_events() + issues_events()}
    held = by_type["meeting-held"]
    assert held["community_reports"][0]["supervision_items"][0]["progress"] == {
        "week": "2026-W44", "percent": 60, "note": "摸底"}
    assert held["tasks"][0]["by"] == "p-civil" and held["venue"] == "区党群服务中心"
    assert {c["kind"] for p in by_type["directory-updated"]["people"] for c in p["channels"]} == {
        "email", "in_app", "webhook", "sms"}
    assert by_type["topic-proposed"]["proposed_on"] == "2026-10-25"
    assert by_type["issue-raised"]["raised_on"] == "2026-11-06"
    assert by_type["issue-raised"]["co_units"] == [{"kind": "department", "id": "zj"}]
    assert by_type["progress-recorded"]["seq"] == 1 and by_type["issue-resolved"]["claimed_on"] == "2026-11-25"
    assert by_type["activity-held"]["destinations"] == ["杭州", "宁波"] and by_type["activity-held"]["visitors"] == 12
    assert by_type["suggestion-decided"]["supervision"]["responsible"] == {"kind": "community", "id": "c-1"}
    assert by_type["issue-resolved"]["on_time"] is False  # claimed 2026-11-25, due 2026-11-20


@pytest.mark.parametrize("topic", sorted(CATALOG))
def test_every_topic_is_produced_by_some_service(topic):
    # report-requested comes from ops and the scheduler; everything else from a service mapper
    assert topic in {e.type for e in meetings_events() + issues_events()} | {
        "report-published", "notification-sent", "report-requested"}
