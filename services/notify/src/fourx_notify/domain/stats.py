"""The weekly counts of `report-published.stats`, exactly as the contract defines them.

Each event counts in the ISO week of its own date: the payload's date field where the event
has one that says when the thing happened (`date`, `resolved_on`, `issued_on`; `week` for a
progress record; `raised_on` where an `issue-raised` carries it), otherwise the event `time`
converted to the district's local date. A fact is counted once per aggregate (meeting,
topic, issue, ...), however many events repeat it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fourx_platform.clock import DEFAULT_TIME_ZONE

# The payload field that dates each kind of event; the rest are dated by their `time`.
DATE_FIELDS: dict[str, str] = {
    # Additive (v1.1): the issues service sets it (an activity day's tasks are raised
    # on that day). Producers without it fall back to `time`.
    "issue-raised": "raised_on",
    "meeting-held": "date",
    "activity-held": "date",
    "issue-resolved": "resolved_on",
    "inspection-held": "date",
    "notice-issued": "issued_on",
    "supervision-snapshot": "as_of",  # counted in no stat; dated by the day it judges
}


@dataclass(frozen=True)
class StoredEvent:
    """An event as the read model keeps it: its type, its local date and ISO week, its data."""

    id: str
    type: str
    district: str
    time: datetime
    occurred_on: date
    week: str
    data: dict[str, Any]


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week like `2026-W48`."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return monday, monday + timedelta(days=6)


def dating(event_type: str, data: dict[str, Any], time: datetime, time_zone: str = DEFAULT_TIME_ZONE) -> tuple[date, str]:
    """(local date, ISO week) an event counts in."""
    field = DATE_FIELDS.get(event_type)
    if field and data.get(field):
        day = date.fromisoformat(str(data[field])[:10])
    else:
        day = time.astimezone(ZoneInfo(time_zone)).date()
    if event_type == "progress-recorded" and data.get("week"):
        return week_bounds(data["week"])[0], data["week"]
    return day, iso_week(day)


STAT_KEYS = {
    "meeting-held": ("meetings_held", "meeting_id"),
    "activity-held": ("activities_held", "activity_id"),
    "topic-proposed": ("topics_proposed", "topic_id"),
    "topic-selected": ("topics_selected", "topic_id"),
    "issue-raised": ("issues_raised", "issue_id"),
    "issue-resolved": ("issues_resolved", "issue_id"),
    "issue-overdue": ("issues_overdue", "issue_id"),
    "inspection-held": ("inspections_held", "inspection_id"),
    "notice-issued": ("notices_issued", "notice_id"),
    "interview-scheduled": ("interviews_scheduled", "interview_id"),
}


def compute_stats(events: Iterable[StoredEvent], week: str, open_issues: int | None = None) -> dict[str, int]:
    """`events` are one district's; any that are not of `week` are ignored except for
    `open_issues`, which needs every issue raised or resolved up to the week's end — unless
    it is given (counted from the per-item projection: then the week's events suffice)."""
    _, week_end = week_bounds(week)
    seen: dict[str, set[str]] = {name: set() for name, _ in STAT_KEYS.values()}
    tasks: dict[str, int] = {}
    progress: set[str] = set()
    raised_by_end: set[str] = set()
    resolved_by_end: set[str] = set()
    for event in events:
        if event.type == "issue-raised" and event.occurred_on <= week_end:
            raised_by_end.add(event.data["issue_id"])
        if event.type == "issue-resolved" and event.occurred_on <= week_end:
            resolved_by_end.add(event.data["issue_id"])
        if event.week != week:
            continue
        if event.type in STAT_KEYS:
            name, key = STAT_KEYS[event.type]
            seen[name].add(str(event.data[key]))
        if event.type == "meeting-held":
            tasks[str(event.data["meeting_id"])] = len(event.data.get("tasks") or [])
        elif event.type == "progress-recorded":
            progress.add(event.id)
    stats = {name: len(ids) for name, ids in seen.items()}
    stats["tasks_assigned"] = sum(tasks.values())
    stats["progress_records"] = len(progress)
    stats["open_issues"] = len(raised_by_end - resolved_by_end) if open_issues is None else open_issues
    return stats
