"""A small district's week (2026-W48) as stored events, for the notify unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

from fourx_notify.domain.stats import StoredEvent, dating

T = datetime(2026, 11, 25, 2, tzinfo=UTC)       # Wednesday of 2026-W48
EARLIER = datetime(2026, 11, 10, 2, tzinfo=UTC)  # 2026-W46
WEEK = "2026-W48"

DIRECTORY = {
    "version": 1, "district_name": "鼓楼区",
    "streets": [{"street_id": "s1", "name": "华林街道"}, {"street_id": "s2", "name": "东街街道"}],
    "communities": [{"community_id": "c1", "street_id": "s1", "name": "三坊社区"},
                    {"community_id": "c2", "street_id": "s2", "name": "七巷社区"}],
    "departments": [{"department_id": "mz", "name": "区民政局"}],
    "people": [
        {"person_id": "p-s1-sec", "name": "王书记", "roles": ["street_secretary"], "unit": {"kind": "street", "id": "s1"},
         "channels": [{"kind": "email", "address": "wang@example.org"}, {"kind": "webhook", "url": "http://hook/1"}]},
        {"person_id": "p-s2-org", "name": "李委员", "roles": ["street_org_member"], "unit": {"kind": "street", "id": "s2"},
         "channels": [{"kind": "in_app"}, {"kind": "sms", "number": "1"}]},
        {"person_id": "p-mz", "name": "赵局长", "roles": ["dept_main_leader"], "unit": {"kind": "department", "id": "mz"},
         "channels": []},
        {"person_id": "p-c1", "name": "陈书记", "roles": ["community_secretary"],
         "unit": {"kind": "community", "id": "c1"}, "channels": [{"kind": "email", "address": "chen@example.org"}]},
        {"person_id": "p-office", "name": "党建办", "roles": ["party_office"], "unit": {"kind": "district", "id": "d"},
         "channels": [{"kind": "email", "address": "office@example.org"}]},
    ],
}


def issue(issue_id: str, due: str, community: str | None = "c1", street: str | None = "s1") -> dict:
    return {"issue_id": issue_id, "title": f"问题{issue_id}", "description": "d",
            "source": {"kind": "community", "ref": "c1"}, "responsible": {"kind": "community", "id": community or "c1"},
            "owner": "p-c1", "due_date": due, "street_id": street, "community_id": community}


RAW = [
    ("directory-updated", EARLIER, DIRECTORY),
    ("meeting-held", T, {"meeting_id": "m1", "kind": "activity_day", "date": "2026-11-27", "attendees": ["p-c1"],
                         "community_reports": [{"community_id": "c1", "last_month": "宣传", "next_month": "电梯"}],
                         "comments": [{"community_id": "c1", "by": "p-s1-sec", "text": "很好"}],
                         "tasks": [{"task_id": "t1", "title": "加装电梯摸底", "assigned_to": {"kind": "department", "id": "mz"},
                                    "due_date": "2026-12-02"}],
                         "summary": "抓落实", "topic_ids": ["tp1"]}),
    ("topic-selected", T, {"topic_id": "tp1", "meeting_id": "m1", "title": "停车难"}),
    ("activity-held", T, {"activity_id": "a1", "meeting_id": None, "kind": "collective_diagnosis",
                          "date": "2026-11-24", "title": "停车难会诊", "participants": ["p-c1"],
                          "outcomes": [{"title": "错时停车", "responsible": {"kind": "community", "id": "c1"},
                                        "due_date": "2026-12-20"}]}),
    ("issue-raised", EARLIER, issue("old", "2026-11-20")),                      # overdue, red
    ("issue-raised", EARLIER, issue("done", "2026-12-30", "c2", "s2")),         # resolved this week
    ("issue-raised", T, issue("new", "2026-12-01")),                             # new, due next week
    ("issue-raised", T, issue("dept", "2027-02-01", None, None)),                # no street
    ("issue-resolved", T, {"issue_id": "done", "resolved_on": "2026-11-26", "resolution": "ok"}),
    ("issue-overdue", T, {"issue_id": "old", "due_date": "2026-11-20", "days_overdue": 5}),
    ("progress-recorded", T, {"issue_id": "new", "week": WEEK, "note": "n", "percent": 40}),
    ("inspection-held", T, {"inspection_id": "in1", "date": "2026-11-23", "kind": "field_supervision",
                            "units": [{"kind": "community", "id": "c1"}], "findings": "台账不全"}),
    ("notice-issued", T, {"notice_id": "n1", "issue_id": "old", "to": {"kind": "community", "id": "c1"},
                          "to_person": "p-c1", "reason": "逾期未办", "issued_on": "2026-11-26",
                          "respond_by": "2026-12-03"}),
    ("interview-scheduled", T, {"interview_id": "iv1", "issue_id": "old", "person_id": "p-c1",
                                "reason": "逾期未办", "scheduled_for": "2026-12-04T02:00:00Z"}),
]


def events() -> list[StoredEvent]:
    out = []
    for i, (type_, time, data) in enumerate(RAW):
        day, week = dating(type_, data, time)
        out.append(StoredEvent(id=f"e{i}", type=type_, district="d", time=time, occurred_on=day, week=week, data=data))
    return out


def _row(unit_id: str, rank: int, items: int, closed: int, decided: int, on_time: int, overdue: int) -> dict:
    return {"unit_id": unit_id, "rank": rank, "items": items, "closed": closed, "decided": decided,
            "on_time": on_time, "overdue": overdue, "notices": 0,
            "closure_rate": closed / items if items else None, "on_time_rate": on_time / decided if decided else None}


# What the issues service answers for the week (`supervision-snapshot`): notify renders it.
SNAPSHOT = {
    "week": WEEK, "as_of": "2026-11-29", "request_id": "r1",
    "items": [
        {"issue_id": "old", "status": "in_progress", "light": "red", "reason": "overdue",
         "reason_text": "已逾期9天（时限2026-11-20）", "percent": 0, "on_time": False},
        {"issue_id": "done", "status": "closed", "light": None, "reason": None, "reason_text": "已办结",
         "percent": 100, "on_time": True},
        {"issue_id": "new", "status": "in_progress", "light": "blue", "reason": "due_soon",
         "reason_text": "2天内到期（2026-12-01）", "percent": 40, "on_time": None},
        {"issue_id": "dept", "status": "open", "light": "yellow", "reason": "record_missing",
         "reason_text": "上周（2026-W47）工作写实缺失", "percent": 0, "on_time": None},
    ],
    "league": {
        "streets": [_row("s2", 1, 1, 1, 1, 1, 0), _row("s1", 2, 2, 0, 1, 0, 1)],
        "communities": [_row("c2", 1, 1, 1, 1, 1, 0), _row("c1", 2, 2, 0, 1, 0, 1)],
    },
}
