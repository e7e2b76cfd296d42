from __future__ import annotations

from datetime import date

import pytest
from fourx_meetings.domain.events import ActivityDayHeld
from fourx_meetings.domain.model import ActivityDay, DomainError


def minutes(summary: str = "总结") -> dict:
    return dict(attendees=[], community_reports=[], comments=[], tasks=[], summary=summary, topic_ids=[])


def test_holding_raises_one_domain_event():
    day = ActivityDay(district="d", meeting_id="m", date=date(2026, 12, 4))
    day.hold(**minutes())
    assert day.closed and day.pending_events == [ActivityDayHeld("d", "m")]


def test_a_held_day_is_immutable():
    day = ActivityDay(district="d", meeting_id="m", date=date(2026, 12, 4))
    day.hold(**minutes())
    with pytest.raises(DomainError, match="already held"):
        day.hold(**minutes("again"))


def test_summary_is_required():
    with pytest.raises(DomainError, match="summary"):
        ActivityDay(district="d", meeting_id="m", date=date(2026, 12, 4)).hold(**minutes("  "))
