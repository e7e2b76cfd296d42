"""The outcome figures over a known set of events: exact figures for every key, the same on a
second computation and whatever the order or repetition of the events; periods; the summary."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from docx import Document

from fourx_notify.adapters.summary import SECTIONS, render_summary_docx
from fourx_notify.domain.outcomes import (FIGURE_KEYS, PeriodInvalid, compute_facts, compute_outcomes,
                                          district_league, parse_period)
from fourx_notify.domain.stats import StoredEvent, dating

D = "d-test"
TODAY = date(2026, 11, 30)


def ev(event_id: str, event_type: str, data: dict[str, Any], time: str = "2026-11-06T02:00:00+00:00") -> StoredEvent:
    moment = datetime.fromisoformat(time)
    day, week = dating(event_type, data, moment)
    return StoredEvent(id=event_id, type=event_type, district=D, time=moment, occurred_on=day, week=week, data=data)


def activity(activity_id: str, kind: str, day: str, **extra: Any) -> dict[str, Any]:
    return {"activity_id": activity_id, "meeting_id": None, "kind": kind, "date": day, "title": activity_id,
            "participants": extra.pop("participants", ["p1", "p2"]), "outcomes": extra.pop("outcomes", []),
            "record": extra.pop("record", None), "destinations": [], "visitors": None, "speakers": [],
            "observations": [], **extra}


def raised(issue_id: str, kind: str, raised_on: str) -> dict[str, Any]:
    return {"issue_id": issue_id, "title": issue_id, "description": "", "source": {"kind": kind, "ref": "x"},
            "responsible": {"kind": "community", "id": "c1"}, "owner": None, "due_date": "2026-12-31",
            "street_id": None, "community_id": "c1", "raised_on": raised_on}


def resolved(issue_id: str, day: str, on_time: bool | None) -> dict[str, Any]:
    return {"issue_id": issue_id, "resolved_on": day, "resolution": "done", "claimed_on": day, "on_time": on_time}


MEETING = {"meeting_id": "m-11", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
           "community_reports": [{"community_id": "c1", "last_month": "a", "next_month": "b"},
                                 {"community_id": "c2", "last_month": "a", "next_month": "b"}],
           "comments": [{"community_id": "c1", "by": "p", "text": "t"}],
           "tasks": [{"task_id": "t1", "title": "t", "assigned_to": {"kind": "community", "id": "c1"},
                      "due_date": "2026-11-30"}], "summary": "s", "topic_ids": []}

EVENTS = [
    # "4": two activity days in 2026 (November, October), one in 2025 (outside the year)
    ev("e1", "meeting-held", MEETING),
    ev("e2", "meeting-held", {**MEETING, "meeting_id": "m-10", "date": "2026-10-09"}),
    ev("e2b", "meeting-held", {**MEETING, "meeting_id": "m-2025", "date": "2025-12-05"}),
    # "X": two study visits (3 places in all, one shared; 12 + 3 people), a sharing by two secretaries,
    # another by one of them again, a site observation, a diagnosis with two outcomes
    ev("e3", "activity-held", activity("a-visit1", "study_visit", "2026-11-12", destinations=["杭州", "宁波"],
                                       visitors=12)),
    ev("e4", "activity-held", activity("a-visit2", "study_visit", "2026-11-20", destinations=["宁波", "苏州"],
                                       participants=["p1", "p2", "p3"])),
    ev("e5", "activity-held", activity("a-share1", "experience_sharing", "2026-11-06", speakers=["s1", "s2"])),
    ev("e6", "activity-held", activity("a-share2", "experience_sharing", "2026-09-04", speakers=["s1"])),
    ev("e7", "activity-held", activity("a-obs", "site_observation", "2026-11-18",
                                       observations=[{"unit": {"kind": "community", "id": "c1"}, "comment": "好"}])),
    ev("e8", "activity-held", activity("a-diag", "collective_diagnosis", "2026-11-06", record={"problem": "p"},
                                       outcomes=[{"title": "o1", "responsible": {"kind": "community", "id": "c1"},
                                                  "due_date": "2026-12-31"}])),
    # an inspection that is a site observation (counts), and one that is not
    ev("e9", "inspection-held", {"inspection_id": "i1", "date": "2026-11-25", "kind": "site_observation",
                                 "units": [], "findings": []}),
    ev("e10", "inspection-held", {"inspection_id": "i2", "date": "2026-11-26", "kind": "visit_talk",
                                  "units": [], "findings": []}),
    # suggestions: three made in 2026, two adopted (one in 2027: outside), one declined
    *[ev(f"s{n}", "suggestion-made", {"suggestion_id": f"sug-{n}", "title": "t", "text": "x", "made_by": "p1",
                                      "unit": {"kind": "community", "id": "c1"}, "made_on": day, "meeting_id": None})
      for n, day in ((1, "2026-11-06"), (2, "2026-11-07"), (3, "2026-12-01"))],
    ev("sd1", "suggestion-decided", {"suggestion_id": "sug-1", "decision": "adopted", "decided_on": "2026-11-09",
                                     "decided_by": "p-office", "requirement": "要求"}),
    ev("sd2", "suggestion-decided", {"suggestion_id": "sug-2", "decision": "declined", "decided_on": "2026-11-10",
                                     "decided_by": "p-office", "reason": "已有安排"}),
    ev("sd3", "suggestion-decided", {"suggestion_id": "sug-3", "decision": "adopted", "decided_on": "2027-01-04",
                                     "decided_by": "p-office", "requirement": "要求"}),
    # "1": four items raised in 2026 (two by diagnosis), one in 2025; three resolved in 2026
    ev("r1", "issue-raised", raised("i-d1", "diagnosis", "2026-11-06")),
    ev("r2", "issue-raised", raised("i-d2", "diagnosis", "2026-11-06")),
    ev("r3", "issue-raised", raised("i-t1", "meeting_task", "2026-11-06")),
    ev("r4", "issue-raised", raised("i-s1", "suggestion", "2026-11-09")),
    ev("r5", "issue-raised", raised("i-old", "diagnosis", "2025-12-05")),
    ev("v1", "issue-resolved", resolved("i-d1", "2026-11-25", True)),
    ev("v2", "issue-resolved", resolved("i-t1", "2026-11-27", False)),
    ev("v3", "issue-resolved", resolved("i-old", "2026-01-10", True)),   # diagnosis of 2025, solved in 2026
    ev("n1", "notice-issued", {"notice_id": "n-1", "issue_id": "i-t1", "to": {"kind": "community", "id": "c1"},
                               "to_person": None, "reason": "r", "issued_on": "2026-11-20", "respond_by": "2026-11-23"}),
    ev("iv1", "interview-scheduled", {"interview_id": "iv-1", "issue_id": "i-t1", "person_id": "p1", "reason": "r",
                                      "scheduled_for": "2026-11-27"}, time="2026-11-24T02:00:00+00:00"),
]

YEAR_2026 = {
    "activity_days_held": 2, "site_observations": 2, "suggestions_made": 3, "suggestions_adopted": 1,
    "study_visit_people": 15, "study_visit_places": 3, "secretaries_taught": 2, "problems_solved": 2,
    "issues_raised": 4, "issues_resolved": 3, "issues_resolved_on_time": 2, "notices_issued": 1, "interviews_held": 1,
}


def test_a_known_set_of_events_gives_exact_figures_for_every_key():
    figures = compute_outcomes(EVENTS, parse_period("2026", TODAY))
    assert tuple(figures) == FIGURE_KEYS
    assert figures == YEAR_2026


def test_recomputing_gives_the_same_figures_whatever_the_order_or_repetition():
    period = parse_period("2026", TODAY)
    first = compute_outcomes(EVENTS, period)
    assert compute_outcomes(EVENTS, period) == first
    shuffled = EVENTS + EVENTS[:10]   # redelivered copies
    random.Random(7).shuffle(shuffled)
    assert compute_outcomes(shuffled, period) == first


def test_a_month_a_quarter_and_the_year_to_date():
    november = compute_outcomes(EVENTS, parse_period("2026-11", TODAY))
    assert november["activity_days_held"] == 1 and november["secretaries_taught"] == 2
    assert november["problems_solved"] == 1 and november["suggestions_made"] == 2
    q4 = compute_outcomes(EVENTS, parse_period("2026-Q4", TODAY))
    assert q4["activity_days_held"] == 2 and q4["suggestions_made"] == 3 and q4["problems_solved"] == 1
    ytd = compute_outcomes(EVENTS, parse_period("2026-ytd", TODAY))   # up to 30 November
    assert ytd == {**YEAR_2026, "suggestions_made": 2}   # sug-3 was made on 1 December


def test_periods_and_their_refusals():
    assert parse_period("2026-02", TODAY).end == date(2026, 2, 28)
    assert parse_period("2026-Q4", TODAY).start == date(2026, 10, 1)
    assert parse_period("2026-Q4", TODAY).end == date(2026, 12, 31)
    assert parse_period("2026-ytd", TODAY).end == TODAY and parse_period("2025-ytd", TODAY).end == date(2025, 12, 31)
    assert parse_period("2026-12", TODAY).label == "2026年12月"
    for bad in ("2026-13", "2026-Q5", "26", "2026-W48", "1999", "2027-ytd"):
        with pytest.raises(PeriodInvalid):
            parse_period(bad, TODAY)


def test_the_league_ranks_on_time_rate_then_problems_solved():
    base = dict.fromkeys(FIGURE_KEYS, 0)
    rows = {"d-a": {**base, "issues_resolved": 4, "issues_resolved_on_time": 2, "problems_solved": 5},
            "d-b": {**base, "issues_resolved": 2, "issues_resolved_on_time": 2},
            "d-c": {**base, "issues_resolved": 4, "issues_resolved_on_time": 2, "problems_solved": 1}}
    assert [(r["district"], r["rank"]) for r in district_league(rows)] == [("d-b", 1), ("d-a", 2), ("d-c", 3)]


def test_the_summary_docx_opens_and_holds_the_three_sections_and_the_figures():
    period = parse_period("2026", TODAY)
    facts = compute_facts(EVENTS, period)
    doc = Document(io.BytesIO(render_summary_docx("测试区", period, facts)))
    text = "\n".join(p.text for p in doc.paragraphs)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == list(SECTIONS)
    assert "研讨活动（集中活动日）2次" in text and "组织观摩点评2次" in text and "提出意见建议3条" in text
    assert "组织15人次赴宁波、杭州、苏州等3地参观学习" in text and "2名社区党委书记登台传授经验" in text
    assert "会诊解决工作难题2件" in text and "按期办结2个" in text
    assert "会诊解决的工作难题：i-old（2026-01-10 核验办结）；i-d1（2026-11-25 核验办结）。" in text
    for part in ("一是制定4项常规议程", "二是科学设置X项活动", "三是建立一套督查机制"):
        assert part in text
    assert text.count("【此处由党建办填写：") >= 6
    [table] = doc.tables
    cells = {row.cells[0].text: row.cells[1].text for row in table.rows[1:]}
    assert cells["会诊解决工作难题（件）"] == "2" and cells["约谈（人次）"] == "1" and len(cells) == len(FIGURE_KEYS)
