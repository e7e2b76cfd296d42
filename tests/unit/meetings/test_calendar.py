"""The activity-day rule against the real 2026 schedule of the State Council (chinese-calendar)."""

from __future__ import annotations

from datetime import date

import chinese_calendar
from fourx_meetings.domain.calendar import activity_day_date, first_friday, meeting_id_for, parse_month

import pytest


def test_first_friday_inside_national_day_2026_moves_to_the_next_working_day():
    # National Day 2026 runs 1–7 October; the first Friday, 2 October, is inside it.
    assert chinese_calendar.get_holiday_detail(date(2026, 10, 2)) == (True, "National Day")
    assert not chinese_calendar.is_workday(date(2026, 10, 7))
    when = activity_day_date(2026, 10)
    assert when.first_friday == date(2026, 10, 2)
    assert when.date == date(2026, 10, 8) and when.moved and when.calendar_confirmed
    assert when.topic_deadline == date(2026, 10, 1)


def test_spring_festival_2026_holds_no_first_friday_so_february_stays():
    # Spring Festival 2026 is 15–23 February; the first Friday, 6 February, is an ordinary working day.
    assert chinese_calendar.get_holiday_detail(date(2026, 2, 16)) == (True, "Spring Festival")
    when = activity_day_date(2026, 2)
    assert when.date == when.first_friday == date(2026, 2, 6) and not when.moved


def test_first_friday_inside_spring_festival_moves():
    # The most recent year whose first Friday fell inside Spring Festival: 4 February 2022
    # (holiday 31 January – 6 February) → Monday 7 February.
    assert chinese_calendar.get_holiday_detail(date(2022, 2, 4)) == (True, "Spring Festival")
    assert activity_day_date(2022, 2).date == date(2022, 2, 7)


@pytest.mark.parametrize("month, expected", [
    (3, date(2026, 3, 6)), (6, date(2026, 6, 5)), (11, date(2026, 11, 6)), (12, date(2026, 12, 4)),
])
def test_an_ordinary_first_friday_does_not_move(month, expected):
    when = activity_day_date(2026, month)
    assert when.date == expected == when.first_friday and not when.moved
    assert chinese_calendar.is_workday(expected)


def test_labour_day_2026_moves_past_the_whole_holiday():
    # 1 May 2026 is Labour Day (holiday 1–5 May): the next working day is Wednesday 6 May.
    assert chinese_calendar.get_holiday_detail(date(2026, 5, 1)) == (True, "Labour Day")
    assert activity_day_date(2026, 5).date == date(2026, 5, 6)


def test_new_year_2026_moves_to_the_make_up_working_sunday():
    # 2 January 2026 is in the New Year holiday; Sunday 4 January is a make-up working day (调休).
    assert chinese_calendar.is_workday(date(2026, 1, 4)) and date(2026, 1, 4).weekday() == 6
    assert activity_day_date(2026, 1).date == date(2026, 1, 4)


def test_a_year_without_official_data_falls_back_and_says_so():
    when = activity_day_date(2027, 1)  # 1 January 2027 is a Friday and always a holiday
    assert when.date == date(2027, 1, 4) and not when.calendar_confirmed
    assert activity_day_date(2027, 3).date == first_friday(2027, 3) == date(2027, 3, 5)


def test_an_injected_calendar_is_honoured():
    closed_fridays = {date(2026, 12, 4)}
    when = activity_day_date(2026, 12, lambda d: d not in closed_fridays and d.weekday() < 5)
    assert when.date == date(2026, 12, 7)


def test_meeting_ids_are_derived_from_the_month():
    assert meeting_id_for(*parse_month("2026-11")) == "ad-2026-11"
    with pytest.raises(ValueError, match="2026-11"):
        parse_month("November")
