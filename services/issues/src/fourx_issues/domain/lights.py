"""Warning lights (预警灯) of supervision items, and the weekly-record calendar. Pure functions.

Every item that is not closed carries one light, computed from `today`, its dates and its
weekly work records (写实). The rules, most severe first — the first that holds wins:

- **red** (红灯): overdue — today is after the due date and the item is still open or in
  progress.
- **yellow** (黄灯): the item lags —
  * its latest recorded percent is more than 30 points behind the share of time elapsed
    (elapsed = (today − raised_on) / (due_date − raised_on), as a percentage), or
  * last ISO week's work record is missing although the item already existed then
    (raised before the Monday of the current week).
- **blue** (蓝灯): due soon — the due date is today or within the next 3 days.
- **green** (绿灯): on track.

An item the unit has claimed as resolved (awaiting the office's verification) is green; a
closed (verified) item has no light (`None`). Lights are recomputed on every read for the
day asked about, and stored on the item by the daily check so the store shows them too.

These rules live here only. The weekly bulletin (notify) shows the lights this service
publishes in its `supervision-snapshot` events (domain/snapshot.py); it computes none.
The colours' names and Chinese labels are the contract's (`fourx_contracts.vocabulary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from fourx_contracts.vocabulary import ITEM_STATUS_LABELS, LIGHT_REASON_LABELS

BLUE_WITHIN_DAYS = 3
YELLOW_LAG_POINTS = 30


class Light(StrEnum):
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def monday_of(week: str) -> date:
    """The Monday of an ISO week written `2026-W48`."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def required_weeks(raised_on: date, today: date) -> list[str]:
    """The ISO weeks that ended while the item existed: each needs a work record."""
    weeks = []
    monday = week_monday(raised_on)
    this_monday = week_monday(today)
    while monday < this_monday:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return weeks


# However far `today` lies from the day an item was raised, an answer lists at most this many
# missing weeks (the latest ones) and counts the rest: a list, not a history, is bounded.
MAX_LISTED_WEEKS = 26


def missing_weeks(raised_on: date, today: date, recorded: set[str], limit: int = MAX_LISTED_WEEKS) -> list[str]:
    """The latest `limit` weeks that ended without a work record (flagged in the API), oldest first."""
    weeks: list[str] = []
    first, monday = week_monday(raised_on), week_monday(today) - timedelta(days=7)
    while monday >= first and len(weeks) < limit:
        week = iso_week(monday)
        if week not in recorded:
            weeks.append(week)
        monday -= timedelta(days=7)
    return weeks[::-1]


def missing_week_count(raised_on: date, today: date, recorded: set[str]) -> int:
    """How many weeks ended without a work record, all of them (arithmetic, no list)."""
    first, this_monday = week_monday(raised_on), week_monday(today)
    if first >= this_monday:
        return 0
    inside = sum(1 for week in recorded if first <= monday_of(week) < this_monday)
    return (this_monday - first).days // 7 - inside


def expected_percent(raised_on: date, due_date: date, today: date) -> float:
    """The share of the allotted time already elapsed, 0–100."""
    total = (due_date - raised_on).days
    if total <= 0:
        return 100.0
    elapsed = min(max((today - raised_on).days, 0), total)
    return 100.0 * elapsed / total


@dataclass(frozen=True)
class Verdict:
    """An item's light and why: the rule that held (`reason`, a vocabulary name) and the same
    in words with its figures (`text`, Chinese, for people)."""

    light: Light | None
    reason: str | None
    text: str


def assess_light(*, status: str, raised_on: date, due_date: date, today: date,
                 latest_percent: int, recorded_weeks: set[str]) -> Verdict:
    """The light of an item on `today` by the rules above, with the rule that gave it."""
    if status == "closed":
        return Verdict(None, None, ITEM_STATUS_LABELS["closed"])
    if status == "resolved":
        return Verdict(Light.GREEN, "claimed", LIGHT_REASON_LABELS["claimed"])
    if today > due_date:
        return Verdict(Light.RED, "overdue", f"已逾期{(today - due_date).days}天（时限{due_date.isoformat()}）")
    expected = expected_percent(raised_on, due_date, today)
    if latest_percent < expected - YELLOW_LAG_POINTS:
        return Verdict(Light.YELLOW, "lagging",
                       f"进度{latest_percent}%，落后应达进度{expected:.0f}%超过{YELLOW_LAG_POINTS}个百分点")
    last_week = iso_week(week_monday(today) - timedelta(days=7))
    if raised_on < week_monday(today) and last_week not in recorded_weeks:
        return Verdict(Light.YELLOW, "record_missing", f"上周（{last_week}）工作写实缺失")
    if (due_date - today).days <= BLUE_WITHIN_DAYS:
        days = (due_date - today).days
        return Verdict(Light.BLUE, "due_soon", "今日到期" if days == 0 else f"{days}天内到期（{due_date.isoformat()}）")
    return Verdict(Light.GREEN, "on_track", LIGHT_REASON_LABELS["on_track"])


def compute_light(*, status: str, raised_on: date, due_date: date, today: date,
                  latest_percent: int, recorded_weeks: set[str]) -> Light | None:
    return assess_light(status=status, raised_on=raised_on, due_date=due_date, today=today,
                        latest_percent=latest_percent, recorded_weeks=recorded_weeks).light
