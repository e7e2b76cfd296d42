"""The outcome figures (成效数据) the method is judged by, per district and period, computed
from the stored events only — the same events give the same figures, whatever order they
arrived in or how often one was redelivered (every figure counts distinct aggregates).

A period is a month (`2026-11`), a quarter (`2026-Q4`), a year (`2026`) or the year to date
(`2026-ytd`: 1 January up to today). An event counts in the period that holds its own date:

| figure | counted from | dated by |
| --- | --- | --- |
| activity_days_held | `meeting-held`, distinct meeting | `date` |
| site_observations | `activity-held` of kind site_observation and `inspection-held` of kind site_observation | `date` |
| suggestions_made | `suggestion-made`, distinct suggestion | `made_on` |
| suggestions_adopted | `suggestion-decided` with decision adopted | `decided_on` |
| study_visit_people | `activity-held` study visits: `visitors` (else the participants listed), summed | `date` |
| study_visit_places | the distinct `destinations` of those study visits | `date` |
| secretaries_taught | distinct `speakers` of experience sharings | `date` |
| problems_solved | `issue-resolved` (verified) of items a collective diagnosis raised (`source.kind` diagnosis) | `resolved_on` |
| issues_raised | `issue-raised`, distinct item | `raised_on` |
| issues_resolved | `issue-resolved` (verified), distinct item | `resolved_on` |
| issues_resolved_on_time | those the issues service marked `on_time` (its rule, not re-derived here) | `resolved_on` |
| notices_issued | `notice-issued`, distinct notice | `issued_on` |
| interviews_held | `interview-scheduled`, distinct interview | `scheduled_for` |
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fourx_contracts.vocabulary import ACTIVITY_KINDS, OUTCOME_FIGURE_LABELS, OUTCOME_FIGURES

from fourx_notify.domain.stats import StoredEvent

# The names and labels are the contract's vocabulary (the CLI and the console read them too).
FIGURE_KEYS: tuple[str, ...] = OUTCOME_FIGURES
FIGURE_LABELS: dict[str, str] = OUTCOME_FIGURE_LABELS
# What the figures read of the store (the summary reads a few more, see FACT_TYPES).
FIGURE_TYPES: tuple[str, ...] = ("meeting-held", "activity-held", "inspection-held", "suggestion-made",
                                 "suggestion-decided", "issue-raised", "issue-resolved", "notice-issued",
                                 "interview-scheduled")
FACT_TYPES: tuple[str, ...] = (*FIGURE_TYPES, "topic-proposed", "topic-selected")
# The event's own date field for the figures; any other type is dated as the read model dated it.
DATE_FIELDS: dict[str, str] = {"suggestion-made": "made_on", "suggestion-decided": "decided_on",
                               "interview-scheduled": "scheduled_for"}

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|(?P<ytd>ytd)))?$")


class PeriodInvalid(ValueError):
    """Not a period we know; the message is Chinese (it answers a request)."""


@dataclass(frozen=True)
class Period:
    key: str      # as asked: 2026-11, 2026-Q4, 2026, 2026-ytd
    start: date
    end: date     # inclusive
    label: str    # 2026年11月, 2026年第四季度, 2026年, 2026年（截至11月30日）

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


_QUARTERS = "一二三四"


def parse_period(text: str, today: date) -> Period:
    """A month, quarter, year or year to date (up to `today`, or the year's end if earlier)."""
    found = _PERIOD.match(text.strip()) if isinstance(text, str) else None
    if not found:
        raise PeriodInvalid(f"统计期间 {text!r} 无法识别：应为月（2026-11）、季度（2026-Q4）、年（2026）或年初至今（2026-ytd）")
    year = int(found["year"])
    if not 2000 <= year <= 2100:
        raise PeriodInvalid(f"统计期间 {text!r} 的年份应在 2000 至 2100 之间")
    if found["month"]:
        month = int(found["month"])
        if not 1 <= month <= 12:
            raise PeriodInvalid(f"统计期间 {text!r} 的月份应在 01 至 12 之间")
        end = date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1
        return Period(text, date(year, month, 1), date.fromordinal(end), f"{year}年{month}月")
    if found["quarter"]:
        q = int(found["quarter"])
        start = date(year, 3 * q - 2, 1)
        end = date(year + (q == 4), (3 * q) % 12 + 1, 1).toordinal() - 1
        return Period(text, start, date.fromordinal(end), f"{year}年第{_QUARTERS[q - 1]}季度")
    if found["ytd"]:
        if today.year < year:
            raise PeriodInvalid(f"统计期间 {text!r} 尚未开始（今天是 {today}）")
        end = min(today, date(year, 12, 31))
        return Period(text, date(year, 1, 1), end, f"{year}年（截至{end.month}月{end.day}日）")
    return Period(text, date(year, 1, 1), date(year, 12, 31), f"{year}年")


def months_of(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def event_day(event: StoredEvent) -> date:
    """The day an event counts on (see the table above)."""
    field = DATE_FIELDS.get(event.type)
    value = event.data.get(field) if field else None
    if value:
        return date.fromisoformat(str(value)[:10])
    return event.occurred_on


def _places(data: dict[str, Any]) -> list[str]:
    places = [p for p in data.get("destinations") or [] if isinstance(p, str)]
    if not places and isinstance((data.get("record") or {}).get("destination"), str):
        places = [data["record"]["destination"]]  # a producer before v1.3: its one place
    return [p.strip() for p in places if p.strip()]


def compute_outcomes(events: Iterable[StoredEvent], period: Period) -> dict[str, int]:
    """The thirteen figures of one district's events for `period` (events of other types or
    other periods are ignored; `issue-raised` of any date is read to know an item's source)."""
    return _facts(list(events), period)["figures"]


def compute_facts(events: Iterable[StoredEvent], period: Period) -> dict[str, Any]:
    """The figures and what the period summary says beside them (counts of the four standing
    items, of each kind of X activity, the places visited, ...)."""
    return _facts(list(events), period)


def _facts(events: list[StoredEvent], period: Period) -> dict[str, Any]:
    source_of: dict[str, str] = {}
    title_of: dict[str, str] = {}
    for e in sorted(events, key=lambda e: e.id):
        if e.type == "issue-raised":
            source_of[str(e.data["issue_id"])] = str((e.data.get("source") or {}).get("kind") or "")
            title_of[str(e.data["issue_id"])] = str(e.data.get("title") or "")
    meetings: dict[str, dict[str, Any]] = {}
    activities: dict[str, dict[str, Any]] = {}
    inspections: dict[str, dict[str, Any]] = {}
    made: set[str] = set()
    adopted: set[str] = set()
    declined: set[str] = set()
    with_item: set[str] = set()
    raised: set[str] = set()
    resolved: dict[str, bool] = {}
    solved_on: dict[str, str] = {}
    notices: set[str] = set()
    interviews: set[str] = set()
    topics_proposed: set[str] = set()
    topics_selected: set[str] = set()
    # Ordered by (day, id): which copy of a repeated fact is read never depends on arrival order.
    for e in sorted(events, key=lambda e: (event_day(e), e.id)):
        if not period.holds(event_day(e)):
            continue
        d = e.data
        if e.type == "meeting-held":
            meetings[str(d["meeting_id"])] = d
        elif e.type == "activity-held":
            activities[str(d["activity_id"])] = d
        elif e.type == "inspection-held":
            inspections[str(d["inspection_id"])] = d
        elif e.type == "suggestion-made":
            made.add(str(d["suggestion_id"]))
        elif e.type == "suggestion-decided":
            (adopted if d.get("decision") == "adopted" else declined).add(str(d["suggestion_id"]))
            if d.get("decision") == "adopted" and d.get("supervision"):
                with_item.add(str(d["suggestion_id"]))
        elif e.type == "issue-raised":
            raised.add(str(d["issue_id"]))
        elif e.type == "issue-resolved":
            resolved[str(d["issue_id"])] = d.get("on_time") is True
            solved_on[str(d["issue_id"])] = event_day(e).isoformat()
        elif e.type == "notice-issued":
            notices.add(str(d["notice_id"]))
        elif e.type == "interview-scheduled":
            interviews.add(str(d["interview_id"]))
        elif e.type == "topic-proposed":
            topics_proposed.add(str(d["topic_id"]))
        elif e.type == "topic-selected":
            topics_selected.add(str(d["topic_id"]))

    by_kind = {kind: [a for a in activities.values() if a.get("kind") == kind] for kind in ACTIVITY_KINDS}
    visits = by_kind["study_visit"]
    places = sorted({p for v in visits for p in _places(v)})
    speakers = sorted({s for a in by_kind["experience_sharing"] for s in a.get("speakers") or []})
    site_inspections = [i for i in inspections.values() if i.get("kind") == "site_observation"]
    figures = {
        "activity_days_held": len(meetings),
        "site_observations": len(by_kind["site_observation"]) + len(site_inspections),
        "suggestions_made": len(made),
        "suggestions_adopted": len(adopted),
        "study_visit_people": sum(v.get("visitors") or len(v.get("participants") or []) for v in visits),
        "study_visit_places": len(places),
        "secretaries_taught": len(speakers),
        "problems_solved": sum(1 for i in resolved if source_of.get(i) == "diagnosis"),
        "issues_raised": len(raised),
        "issues_resolved": len(resolved),
        "issues_resolved_on_time": sum(1 for on_time in resolved.values() if on_time),
        "notices_issued": len(notices),
        "interviews_held": len(interviews),
    }
    return {
        "figures": figures,
        "community_reports": sum(len(m.get("community_reports") or []) for m in meetings.values()),
        "comments": sum(len(m.get("comments") or []) for m in meetings.values()),
        "tasks_assigned": sum(len(m.get("tasks") or []) for m in meetings.values()),
        "activities_by_kind": {kind: len(found) for kind, found in by_kind.items()},
        "diagnosis_outcomes": sum(len(a.get("outcomes") or []) for a in by_kind["collective_diagnosis"]),
        "places": places,
        "speakers": speakers,
        "observed_units": sum(len(a.get("observations") or []) for a in by_kind["site_observation"]),
        "inspections": len(inspections),
        # The hard problems solved, each with the day its item was verified resolved.
        "problems": sorted(({"title": title_of.get(i, i), "solved_on": solved_on[i]} for i in resolved
                            if source_of.get(i) == "diagnosis"), key=lambda p: (p["solved_on"], p["title"])),
        "suggestions_declined": len(declined),
        "suggestions_with_item": len(with_item),
        "topics_proposed": len(topics_proposed),
        "topics_selected": len(topics_selected),
    }


def on_time_rate(figures: dict[str, int]) -> float | None:
    """Share of the period's verified items resolved on time (None with none resolved)."""
    return round(figures["issues_resolved_on_time"] / figures["issues_resolved"], 4) if figures["issues_resolved"] else None


def district_league(rows: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """A city's districts ranked on one period's figures, best first: the on-time rate of
    resolved items, then hard problems solved, then suggestions adopted, then activity days
    held; ties by district id (a stable order). The rule is this function's only."""
    ranked = sorted(rows.items(), key=lambda kv: (-(on_time_rate(kv[1]) or 0), -kv[1]["problems_solved"],
                                                  -kv[1]["suggestions_adopted"], -kv[1]["activity_days_held"],
                                                  kv[0]))
    return [{"rank": n, "district": district, "on_time_rate": on_time_rate(figures), **figures}
            for n, (district, figures) in enumerate(ranked, start=1)]
