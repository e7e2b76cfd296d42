"""Validated field types for request models: dates, ISO weeks and months in a sane range.

Python's `date` reaches from year 1 to 9999, and the domains add and subtract days, count
weeks and build calendars from what a caller sends: year 1 overflows, year 9999 makes
ten-thousand-week loops. Every date a request carries therefore lies in
[MIN_DATE, MAX_DATE]; an ISO week must exist (2026 has no week 53); a failure is a 422 that
names the field (pydantic's own error, raised from here).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
_WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_RANGE = f"{MIN_DATE.year}–{MAX_DATE.year}"


def check_date(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"日期 {value.isoformat()} 超出允许范围（{MIN_DATE.isoformat()} 至 {MAX_DATE.isoformat()}）")
    return value


def check_week(value: str) -> str:
    """`2026-W48`: the week must exist in its ISO year, and the year must be in range."""
    match = _WEEK.fullmatch(value)
    if match is None:
        raise ValueError(f"周次 {value!r} 的格式应为 YYYY-Www，例如 2026-W48")
    year, week = int(match[1]), int(match[2])
    if not MIN_DATE.year <= year <= MAX_DATE.year:
        raise ValueError(f"周次 {value} 的年份超出允许范围（{_RANGE}）")
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} 年没有第 {week} 周（ISO 周）") from None
    return value


def check_month(value: str) -> str:
    match = _MONTH.fullmatch(value)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"月份 {value!r} 的格式应为 YYYY-MM，例如 2026-12")
    if not MIN_DATE.year <= int(match[1]) <= MAX_DATE.year:
        raise ValueError(f"月份 {value} 的年份超出允许范围（{_RANGE}）")
    return value


# The JSON schema keeps the format and pattern (clients and schemathesis read them); the
# range is stated in the description because JSON Schema has no bounds for dates.
SaneDate = Annotated[date, AfterValidator(check_date),
                     Field(description=f"a date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}")]
IsoWeek = Annotated[str, Field(pattern=r"^[0-9]{4}-W[0-9]{2}$", examples=["2026-W48"],
                               description=f"an ISO week that exists, years {_RANGE}"),
                    AfterValidator(check_week)]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-12"],
                             description=f"a month, years {_RANGE}"),
                  AfterValidator(check_month)]
