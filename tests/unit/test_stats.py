from __future__ import annotations

from datetime import UTC, date, datetime

from fourx_notify.domain.stats import StoredEvent, compute_stats, dating, iso_week, week_bounds

T = datetime(2026, 11, 25, 2, tzinfo=UTC)


def ev(i: int, type_: str, data: dict, time: datetime = T) -> StoredEvent:
    day, week = dating(type_, data, time)
    return StoredEvent(id=f"e{i}", type=type_, district="d", time=time, occurred_on=day, week=week, data=data)


def test_week_bounds_and_iso_week():
    assert week_bounds("2026-W48") == (date(2026, 11, 23), date(2026, 11, 29))
    assert iso_week(date(2026, 1, 1)) == "2026-W01"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_dating_prefers_the_payloads_own_date():
    assert dating("issue-resolved", {"resolved_on": "2026-11-02"}, T) == (date(2026, 11, 2), "2026-W45")
    assert dating("progress-recorded", {"week": "2026-W40"}, T)[1] == "2026-W40"


def test_time_is_read_in_the_districts_zone():
    # 23:30 UTC on Sunday is already Monday in Shanghai: the next ISO week.
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert dating("topic-proposed", {}, late) == (date(2026, 11, 30), "2026-W49")


def test_each_counter():
    events = [
        ev(1, "meeting-held", {"meeting_id": "m", "date": "2026-11-27", "tasks": [{}, {}]}),
        ev(2, "meeting-held", {"meeting_id": "m", "date": "2026-11-27", "tasks": [{}, {}]}),  # same meeting again
        ev(3, "issue-raised", {"issue_id": "a"}, datetime(2026, 11, 1, tzinfo=UTC)),
        ev(4, "issue-raised", {"issue_id": "b"}),
        ev(5, "issue-resolved", {"issue_id": "a", "resolved_on": "2026-11-24"}),
        ev(6, "issue-resolved", {"issue_id": "b", "resolved_on": "2026-12-01"}),  # after the week
        ev(7, "progress-recorded", {"issue_id": "b", "week": "2026-W48"}),
        ev(8, "notice-issued", {"notice_id": "n", "issued_on": "2026-11-10"}),  # another week
    ]
    stats = compute_stats(events, "2026-W48")
    assert stats["meetings_held"] == 1 and stats["tasks_assigned"] == 2
    assert stats["issues_raised"] == 1 and stats["issues_resolved"] == 1
    assert stats["open_issues"] == 1 and stats["progress_records"] == 1 and stats["notices_issued"] == 0
    assert len(stats) == 13
