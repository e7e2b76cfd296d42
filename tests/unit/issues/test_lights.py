"""Every warning light, computed for an injected day."""

from __future__ import annotations

from datetime import date

from fourx_issues.domain.lights import Light, compute_light, missing_weeks
from fourx_issues.domain.model import Source, SupervisionItem, UnitRef
from fourx_platform.clock import FixedClock

RAISED = date(2026, 11, 6)   # a Friday (activity day), ISO week 2026-W45
DUE = date(2026, 12, 6)      # 30 days later


def item(**kw) -> SupervisionItem:
    fields = dict(district="d1", issue_id="i1", title="加装电梯摸底", description="", source=Source("community", "x"),
                  responsible=UnitRef("community", "c1"), due_date=DUE, raised_on=RAISED)
    fields.update(kw)
    return SupervisionItem.raise_item(**fields)


def record_all_weeks(it: SupervisionItem, today: date, percent: int) -> None:
    for week in missing_weeks(it.raised_on, today, set()):
        it.record_progress(week=week, note="按计划推进", percent=percent, today=today)


def test_green_when_on_track():
    clock = FixedClock(date(2026, 11, 18))  # 12 of 30 days elapsed = 40 %
    it = item()
    record_all_weeks(it, clock.today(), 20)  # 20 ≥ 40 − 30
    assert it.light_for(clock.today()) is Light.GREEN


def test_green_in_the_first_week_without_any_record():
    assert item().light_for(date(2026, 11, 8)) is Light.GREEN


def test_blue_when_due_within_three_days():
    it = item()
    today = date(2026, 12, 3)
    record_all_weeks(it, today, 90)
    assert it.light_for(today) is Light.BLUE
    assert it.light_for(DUE) is Light.BLUE          # due today is still blue, not red
    assert it.light_for(date(2026, 12, 2)) is Light.GREEN


def test_yellow_when_progress_lags_more_than_30_points():
    today = date(2026, 11, 26)  # 20 of 30 days = 66.7 % elapsed
    it = item()
    record_all_weeks(it, today, 36)  # 66.7 − 36 = 30.7 points behind
    assert it.light_for(today) is Light.YELLOW
    it2 = item()
    record_all_weeks(it2, today, 37)  # 29.7 points behind: fine
    assert it2.light_for(today) is Light.GREEN


def test_yellow_when_last_weeks_record_is_missing():
    today = date(2026, 11, 18)  # week W47; W45 and W46 ended
    it = item()
    it.record_progress(week="2026-W45", note="已启动", percent=30, today=today)
    assert it.light_for(today) is Light.YELLOW
    assert it.missing_weeks(today) == ["2026-W46"]
    it.record_progress(week="2026-W46", note="走访完成", percent=50, today=today)
    assert it.light_for(today) is Light.GREEN
    assert it.missing_weeks(today) == []


def test_yellow_beats_blue():
    it = item()
    assert it.light_for(date(2026, 12, 4)) is Light.YELLOW  # due in 2 days, but nothing recorded


def test_red_when_overdue():
    it = item()
    record_all_weeks(it, date(2026, 12, 7), 95)
    assert it.light_for(date(2026, 12, 7)) is Light.RED


def test_resolved_is_green_and_closed_has_no_light():
    it = item()
    it.claim_resolved(resolution="已完成", today=date(2026, 12, 10))
    assert it.light_for(date(2026, 12, 10)) is Light.GREEN
    it.verify(today=date(2026, 12, 11))
    assert it.light_for(date(2026, 12, 11)) is None


def test_latest_week_counts_not_the_maximum():
    it = item()
    today = date(2026, 11, 26)
    it.record_progress(week="2026-W45", note="乐观估计", percent=80, today=today)
    it.record_progress(week="2026-W46", note="重新评估", percent=35, today=today)
    it.record_progress(week="2026-W47", note="重新评估", percent=35, today=today)
    assert it.light_for(today) is Light.YELLOW


def test_compute_light_directly_for_zero_length_items():
    assert compute_light(status="open", raised_on=DUE, due_date=DUE, today=DUE, latest_percent=0,
                         recorded_weeks=set()) is Light.YELLOW  # no time left and nothing done
