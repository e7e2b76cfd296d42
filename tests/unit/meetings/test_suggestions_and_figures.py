"""Suggestions (意见建议): made, adopted into a work requirement (and a supervision item) or
declined, once; and the typed figure fields of X activities."""

from __future__ import annotations

from datetime import date

import pytest
from fourx_meetings.domain.activities import Activity, Observation
from fourx_meetings.domain.errors import DomainError, Invalid
from fourx_meetings.domain.model import UnitRef
from fourx_meetings.domain.suggestions import Suggestion, SupervisionRequest

DAY = date(2026, 11, 6)


def suggestion() -> Suggestion:
    made = Suggestion.make(district="d", suggestion_id="s1", title="停车共享", text="机关单位夜间开放车位",
                           made_by="p-sec", unit=UnitRef("community", "c-1"), made_on=DAY, meeting_id="m")
    made.pending_events.clear()
    return made


def test_a_suggestion_is_adopted_once_into_a_requirement_and_an_item():
    s = suggestion()
    item = SupervisionRequest("签订共享协议", UnitRef("street", "s-1"), date(2026, 12, 31))
    assert s.adopt(requirement="年底前签订协议", by="p-office", today=date(2026, 11, 9), supervision=item)
    assert (s.status, s.decided_on, s.supervision) == ("adopted", date(2026, 11, 9), item)
    assert len(s.pending_events) == 1
    # The same adoption again (a retried request) changes nothing; another decision is refused.
    assert not s.adopt(requirement="年底前签订协议", by="p-office", today=date(2026, 11, 10), supervision=item)
    with pytest.raises(DomainError, match="已于 2026-11-09 作出决定（已采纳）"):
        s.decline(reason="改主意", by="p-office", today=date(2026, 11, 10))


def test_a_decision_needs_its_words_and_a_sane_due_date():
    with pytest.raises(Invalid, match="工作要求"):
        suggestion().adopt(requirement=" ", by="p", today=DAY)
    with pytest.raises(Invalid, match="理由"):
        suggestion().decline(reason="", by="p", today=DAY)
    with pytest.raises(Invalid, match="supervision.due_date"):
        suggestion().adopt(requirement="r", by="p", today=DAY,
                           supervision=SupervisionRequest("t", UnitRef("street", "s-1"), date(2026, 11, 1)))
    declined = suggestion()
    assert declined.decline(reason="已有安排", by="p", today=DAY) and declined.status == "declined"


def hold(kind: str, record: dict, participants=("p1", "p2"), secretaries=frozenset({"p-sec-1", "p-sec-2"})) -> Activity:
    return Activity.hold(district="d", activity_id="a", kind=kind, date=DAY, title="t", participants=list(participants),
                         outcomes=[], record=record, secretaries=secretaries)


def test_a_study_visit_counts_its_places_and_people():
    visit = hold("study_visit", {"destinations": ["杭州", " 宁波 ", "杭州"], "visitors": 12, "learned": "x"})
    assert visit.figures.destinations == ("杭州", "宁波") and visit.figures.visitors == 12
    old_style = hold("study_visit", {"destination": "苏州", "learned": "x"})
    assert old_style.figures.destinations == ("苏州",) and old_style.figures.visitors == 2
    with pytest.raises(Invalid, match="record.visitors"):
        hold("study_visit", {"destinations": ["杭州"], "visitors": 1, "learned": "x"})
    with pytest.raises(Invalid, match="record.destination"):
        hold("study_visit", {"learned": "x"})


def test_only_community_secretaries_count_as_speakers():
    sharing = hold("experience_sharing", {"presenter": "p-sec-1", "lessons": "x", "speakers": ["p-sec-1", "p-sec-2"]})
    assert sharing.figures.speakers == ("p-sec-1", "p-sec-2")
    assert hold("experience_sharing", {"presenter": "p-sec-2", "lessons": "x"}).figures.speakers == ("p-sec-2",)
    assert hold("experience_sharing", {"presenter": "专家", "lessons": "x"}).figures.speakers == ()
    with pytest.raises(Invalid, match="社区党委书记"):
        hold("experience_sharing", {"presenter": "p-head", "lessons": "x", "speakers": ["p-head"]})


def test_a_site_observation_records_each_unit_and_its_comment():
    observed = hold("site_observation", {"observations": [
        {"unit": {"kind": "community", "id": "c-1"}, "comment": "好"},
        {"unit": {"kind": "community", "id": "c-2"}, "comment": "要改"}]})
    assert observed.figures.observations == (Observation(UnitRef("community", "c-1"), "好"),
                                             Observation(UnitRef("community", "c-2"), "要改"))
    old_style = hold("site_observation", {"community_id": "c-3", "comments": "可以"})
    assert old_style.figures.observations == (Observation(UnitRef("community", "c-3"), "可以"),)
