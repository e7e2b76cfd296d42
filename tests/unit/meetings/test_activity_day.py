"""The activity day aggregate and who may record what (pure domain, no I/O)."""

from __future__ import annotations

from datetime import date

import pytest
from fourx_meetings.domain import events, roles
from fourx_meetings.domain.calendar import activity_day_date
from fourx_meetings.domain.directory import parse_directory
from fourx_meetings.domain.errors import CloseRefused, DomainError, Invalid, NotAllowed, NotFound
from fourx_meetings.domain.model import ActivityDay, Comment, CommunityReport, TaskAssignment, UnitRef
from fourx_meetings.domain.roles import Actor

from tests.unit.meetings.fixtures import DIRECTORY_YAML

DIRECTORY = parse_directory(DIRECTORY_YAML)
COMMUNITIES = list(DIRECTORY.communities)


def november() -> ActivityDay:
    day = ActivityDay.schedule("d", 2026, 11, activity_day_date(2026, 11), "区党群服务中心")
    day.pending_events.clear()
    return day


def actor(person_id: str, *extra_roles: str) -> Actor:
    person = DIRECTORY.person(person_id)
    return Actor(person_id, frozenset(person.roles if person else ()) | frozenset(extra_roles))


def complete(day: ActivityDay) -> None:
    for c in COMMUNITIES:
        day.record_report(CommunityReport(c.community_id, "上月", "下月", "sec"))
        day.record_comment(Comment(c.community_id, "org", "好"))
    day.record_summary("总结", "p-head")


def test_scheduling_raises_the_scheduled_event_with_deadline_a_week_before():
    day = ActivityDay.schedule("d", 2026, 11, activity_day_date(2026, 11), "v")
    assert day.meeting_id == "ad-2026-11" and day.date == date(2026, 11, 6)
    assert day.topic_deadline == date(2026, 10, 30)
    assert day.pending_events == [events.ActivityDayScheduled("d", "ad-2026-11")]


# --- role checks ------------------------------------------------------------------------------
def test_a_secretary_reports_only_for_their_own_community():
    roles.check_report(DIRECTORY, actor("p-sec-1"), "c-1")
    with pytest.raises(NotAllowed, match="只能为本社区填报"):
        roles.check_report(DIRECTORY, actor("p-sec-1"), "c-2")


def test_reporting_needs_the_secretary_role_in_token_and_directory():
    with pytest.raises(NotAllowed, match="社区党委书记"):
        roles.check_report(DIRECTORY, actor("p-org-east"), "c-1")
    # claiming the role in the token is not enough when the directory does not give it
    with pytest.raises(NotAllowed, match="社区党委书记"):
        roles.check_report(DIRECTORY, actor("p-office", "community_secretary"), "c-1")
    with pytest.raises(NotAllowed, match="不在本区组织名录中"):
        roles.check_report(DIRECTORY, Actor("p-stranger", frozenset({"community_secretary"})), "c-1")


def test_comments_come_from_an_org_member_of_the_communitys_street():
    roles.check_comment(DIRECTORY, actor("p-org-east"), "c-2")
    roles.check_comment(DIRECTORY, actor("p-org-west"), "c-3")
    with pytest.raises(NotAllowed, match="属于街道 s-west"):
        roles.check_comment(DIRECTORY, actor("p-org-east"), "c-3")
    with pytest.raises(NotFound):
        roles.check_comment(DIRECTORY, actor("p-org-east"), "c-404")


def test_tasks_summary_selection_and_closing_are_bound_to_their_roles():
    roles.check_task(DIRECTORY, actor("p-civil"), "community", "c-1")
    with pytest.raises(Invalid, match="assigned_to"):
        roles.check_task(DIRECTORY, actor("p-civil"), "department", "d-none")
    with pytest.raises(NotAllowed):
        roles.check_task(DIRECTORY, actor("p-sec-1"), "community", "c-1")
    roles.check_summary(DIRECTORY, actor("p-head"))
    with pytest.raises(NotAllowed):
        roles.check_summary(DIRECTORY, actor("p-office"))
    roles.check_office(DIRECTORY, actor("p-office"))
    with pytest.raises(NotAllowed):
        roles.check_office(DIRECTORY, actor("p-head"))
    roles.check_close(DIRECTORY, actor("p-head"))
    roles.check_close(DIRECTORY, actor("p-office"))
    with pytest.raises(NotAllowed):
        roles.check_close(DIRECTORY, actor("p-sec-1"))
    roles.check_close(DIRECTORY, Actor("ops", frozenset({"platform_admin"}), operator=True))


# --- closing ----------------------------------------------------------------------------------
def test_closing_is_refused_listing_exactly_what_is_missing():
    day = november()
    day.record_report(CommunityReport("c-1", "上月", "下月", "p-sec-1"))
    day.record_report(CommunityReport("c-3", "上月", "下月", "p-sec-3"))
    day.record_comment(Comment("c-1", "p-org-east", "好"))
    with pytest.raises(CloseRefused) as info:
        day.close(COMMUNITIES, [], date(2026, 11, 6))
    missing = info.value.missing
    assert [c["community_id"] for c in missing["reports"]] == ["c-2"]
    assert [c["community_id"] for c in missing["comments"]] == ["c-2", "c-3"]
    assert missing["summary"] is True
    assert "光明社区（c-2）" in str(info.value) and "缺少分管副部长的总结" in str(info.value)
    assert not day.closed and day.pending_events == []


def test_only_the_summary_missing_is_said_so():
    day = november()
    complete(day)
    day.summary = ""
    with pytest.raises(CloseRefused) as info:
        day.close(COMMUNITIES, [], date(2026, 11, 6))
    assert info.value.missing == {"reports": [], "comments": [], "summary": True}


def test_a_complete_day_closes_once_and_is_then_immutable():
    day = november()
    complete(day)
    day.assign_task(TaskAssignment("t1", "加装电梯摸底", UnitRef("community", "c-1"), date(2026, 12, 4), "p-civil"))
    assert day.close(COMMUNITIES, ["p-guest"], date(2026, 11, 6)) is True
    assert day.pending_events == [events.ActivityDayHeld("d", "ad-2026-11")]
    assert day.communities == ["c-1", "c-2", "c-3"]
    assert day.attendees[:3] == ["p-guest", "sec", "org"] and "p-civil" in day.attendees
    assert day.close(COMMUNITIES, [], date(2026, 11, 7)) is False  # a replay: nothing new
    assert len(day.pending_events) == 1
    with pytest.raises(DomainError, match="已结束"):
        day.record_summary("改一下", "p-head")
    with pytest.raises(DomainError, match="已结束"):
        day.record_report(CommunityReport("c-1", "改", "改", "p-sec-1"))


def test_a_day_cannot_close_before_it_happens():
    day = november()
    complete(day)
    with pytest.raises(DomainError, match="举行之前不能结束"):
        day.close(COMMUNITIES, [], date(2026, 11, 5))


# --- topics -----------------------------------------------------------------------------------
def test_topics_are_taken_inside_the_window_and_refused_after_the_deadline():
    day = november()  # deadline 2026-10-30, window opens 2026-10-23
    unit = UnitRef("community", "c-1")
    with pytest.raises(DomainError, match="2026-10-23 开始"):
        day.propose_topic("t0", "早了", unit, "p-sec-1", date(2026, 10, 22))
    assert day.propose_topic("t1", "停车难", unit, "p-sec-1", date(2026, 10, 23))
    assert day.propose_topic("t2", "加装电梯", unit, "p-sec-1", date(2026, 10, 30))
    with pytest.raises(DomainError, match="已于 2026-10-30 截止"):
        day.propose_topic("t3", "晚了", unit, "p-sec-1", date(2026, 10, 31))
    assert day.propose_topic("t1", "停车难", unit, "p-sec-1", date(2026, 10, 31)) is False  # replay
    assert day.select_topic("t1") and not day.select_topic("t1")
    assert [t.topic_id for t in day.selected_topics] == ["t1"]
    assert day.pending_events == [events.TopicProposed("d", "ad-2026-11", "t1"),
                                  events.TopicProposed("d", "ad-2026-11", "t2"),
                                  events.TopicSelected("d", "ad-2026-11", "t1")]
    with pytest.raises(NotFound):
        day.select_topic("t9")


def test_recording_the_same_item_twice_changes_nothing():
    day = november()
    report = CommunityReport("c-1", "上月", "下月", "p-sec-1")
    assert day.record_report(report) and not day.record_report(report)
    assert day.record_summary("总结", "p-head") and not day.record_summary("总结", "p-head")
