"""When a district's activity day (集中活动日) falls.

The rule (see also services/meetings/README.md):

1. The activity day is the **first Friday of the month**.
2. If that Friday is not a working day in mainland China — a statutory holiday of the
   State Council's yearly schedule (New Year, Spring Festival, Qingming, Labour Day,
   Dragon Boat, Mid-Autumn, National Day) — it moves to the **next working day** of that
   schedule. Make-up working days (调休, a Saturday or Sunday declared a working day) count
   as working days, because the offices are open on them.
3. The topic deadline is 7 days before the (possibly moved) activity day.

Working days come from the `chinese-calendar` package, which carries the official schedule
year by year. For a year it has no data for yet (the schedule is published each November),
Monday–Friday count as working days except the holidays fixed to Gregorian dates (1 January,
1–2 May, 1–3 October), and the result says the calendar was not confirmed, so an operator can
re-check once the package is updated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

FRIDAY = 4
TOPIC_DEADLINE_DAYS_BEFORE = 7
# A run of holidays plus weekends never exceeds this; it only guards against a bad calendar.
_MAX_SHIFT_DAYS = 31


# Statutory holidays on fixed Gregorian dates (the lunar ones need the yearly schedule).
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def china_workday(day: date) -> bool | None:
    """True/False from the official schedule, None when the package has no data for the year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def estimated_workday(day: date) -> bool:
    """The fallback for a year without official data."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


@dataclass(frozen=True)
class ActivityDayDate:
    date: date
    first_friday: date
    topic_deadline: date
    calendar_confirmed: bool

    @property
    def moved(self) -> bool:
        return self.date != self.first_friday


def first_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(FRIDAY - first.weekday()) % 7)


def activity_day_date(year: int, month: int,
                      is_workday: Callable[[date], bool | None] = china_workday) -> ActivityDayDate:
    """The activity day of a month under the rule in this module's docstring."""
    friday = first_friday(year, month)
    day, confirmed = friday, True
    for _ in range(_MAX_SHIFT_DAYS):
        working = is_workday(day)
        if working is None:  # no official data for this year: weekdays are working days
            confirmed = False
            working = estimated_workday(day)
        if working:
            break
        day += timedelta(days=1)
    else:
        raise ValueError(f"no working day within {_MAX_SHIFT_DAYS} days after {friday}")
    return ActivityDayDate(date=day, first_friday=friday,
                           topic_deadline=day - timedelta(days=TOPIC_DEADLINE_DAYS_BEFORE),
                           calendar_confirmed=confirmed)


def parse_month(text: str) -> tuple[int, int]:
    """`2026-11` → (2026, 11); ValueError with a readable message otherwise."""
    try:
        year_s, month_s = text.split("-")
        year, month = int(year_s), int(month_s)
        if len(year_s) != 4 or not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise ValueError(f"month must look like 2026-11, got {text!r}") from None
    return year, month


def meeting_id_for(year: int, month: int) -> str:
    """Deterministic: every replica that schedules the same month names it the same."""
    return f"ad-{year:04d}-{month:02d}"
