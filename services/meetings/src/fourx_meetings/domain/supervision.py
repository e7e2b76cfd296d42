"""The closed loop: supervision items (督办事项) as the issues service reports them, folded
into what a community's report form shows, so last month's tasks reappear until done.

Events may arrive in any order and more than once: each fact is kept in its own field and the
status is derived from all of them, so any order of the same facts gives the same status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fourx_contracts.vocabulary import REPORTED_STATUS_LABELS


@dataclass(frozen=True)
class SupervisionItem:
    issue_id: str
    title: str = ""
    community_id: str | None = None
    street_id: str | None = None
    responsible: dict[str, str] | None = None
    due_date: date | None = None
    progress_week: str | None = None
    progress_percent: int | None = None
    progress_note: str | None = None
    resolved_on: date | None = None
    resolution: str | None = None
    days_overdue: int | None = None

    @property
    def status(self) -> str:
        if self.resolved_on is not None:
            return "resolved"
        if self.days_overdue is not None:
            return "overdue"
        if self.progress_week is not None:
            return "in_progress"
        return "open"

    def concerns(self, community_id: str) -> bool:
        return self.community_id == community_id or (
            self.responsible is not None and self.responsible == {"kind": "community", "id": community_id})

    def view(self) -> dict[str, Any]:
        return {
            "issue_id": self.issue_id, "title": self.title, "status": self.status,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "responsible": self.responsible,
            "progress": None if self.progress_week is None else
            {"week": self.progress_week, "percent": self.progress_percent, "note": self.progress_note},
            "resolved_on": self.resolved_on.isoformat() if self.resolved_on else None,
            "days_overdue": self.days_overdue,
        }


def progress_path(week: str, seq: int | None) -> str:
    """Where one progress record is kept in the read model: under its week, keyed by its
    number on the item, so every record is kept and the latest is chosen on reading — in
    any order of arrival. Records without a number (other producers) share key 0: of those
    the last to arrive wins."""
    return f"progress.{week}.records.s{seq or 0:09d}"


def latest_progress(progress: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(week, record) of the item's latest progress: the latest week, and in it the record
    with the highest number (30 → 40 → 30 in one week ends at 30). A week stored before
    records were numbered holds its record itself ({percent, note})."""
    if not progress:
        return None
    week = max(progress)
    entry = progress[week] or {}
    records = entry.get("records") or {}
    return week, records[max(records)] if records else entry


@dataclass(frozen=True)
class SupervisionFacts:
    """What one issues-service event adds to an item's record in the read model: `fields` are
    set (a dotted path reaches into nested records, see progress_path) and `at_least` only
    ever raise a number. Neither depends on what is already there, so applying the same
    facts in any order, any number of times, gives the same record."""

    fields: dict[str, Any]
    at_least: dict[str, int] = field(default_factory=dict)

    def apply_to(self, record: dict[str, Any]) -> None:
        """Apply to a plain record, as the store applies them to its document."""
        for path, value in self.fields.items():
            *parents, leaf = path.split(".")
            target = record
            for key in parents:
                target = target.setdefault(key, {})
            target[leaf] = value
        for name, value in self.at_least.items():
            record[name] = value if record.get(name) is None else max(record[name], value)


def supervision_facts(topic: str, data: dict[str, Any]) -> SupervisionFacts:
    """The facts one issues-service event (its topic and JSON payload) adds to its item."""
    if topic == "issue-raised":
        return SupervisionFacts({k: data.get(k) for k in ("title", "community_id", "street_id", "responsible",
                                                          "due_date", "owner")})
    if topic == "progress-recorded":
        return SupervisionFacts({progress_path(data["week"], data.get("seq")): {
            "percent": data["percent"], "note": data["note"], "seq": data.get("seq")}})
    if topic == "issue-resolved":
        return SupervisionFacts({"resolved_on": data["resolved_on"], "resolution": data["resolution"]})
    if topic == "issue-overdue":
        return SupervisionFacts({"due_date_overdue": data["due_date"]}, at_least={"days_overdue": data["days_overdue"]})
    raise ValueError(f"not a supervision event: {topic}")


_STATUS_TEXT = REPORTED_STATUS_LABELS  # the contract's vocabulary


def report_form(items: list[SupervisionItem], community_id: str, previous_day: date | None) -> dict[str, Any]:
    """The pre-filled report of a community: every unfinished supervision item, plus those
    finished since the previous activity day, and a draft of "last month's work" from them."""
    shown = [i for i in items if i.concerns(community_id) and (
        i.status != "resolved" or previous_day is None or (i.resolved_on and i.resolved_on >= previous_day))]
    shown.sort(key=lambda i: (i.status == "resolved", i.due_date or date.max, i.issue_id))
    lines = []
    for item in shown:
        detail = _STATUS_TEXT[item.status]
        if item.progress_percent is not None and item.status != "resolved":
            detail += f"，进度 {item.progress_percent}%"
        if item.days_overdue:
            detail += f"，逾期 {item.days_overdue} 天"
        lines.append(f"{item.title}（{detail}）")
    return {
        "community_id": community_id,
        "supervision_items": [i.view() for i in shown],
        "last_month_draft": "；".join(lines),
        "next_month_draft": "；".join(i.title for i in shown if i.status != "resolved"),
    }
