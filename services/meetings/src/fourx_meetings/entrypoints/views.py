"""What the HTTP API returns for the aggregates (plain JSON-able dicts)."""

from __future__ import annotations

from typing import Any

from fourx_contracts.vocabulary import ROLE_LABELS, UNIT_KIND_LABELS, label

from fourx_meetings.domain.activities import Activity
from fourx_meetings.domain.directory import Directory, Person
from fourx_meetings.domain.model import ActivityDay


def activity_day(day: ActivityDay, directory: Directory | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "meeting_id": day.meeting_id,
        "kind": "activity_day",
        "status": day.status,
        "date": day.date.isoformat(),
        "first_friday": day.first_friday.isoformat() if day.first_friday else None,
        "moved_from_first_friday": bool(day.first_friday and day.first_friday != day.date),
        "calendar_confirmed": day.calendar_confirmed,
        "venue": day.venue,
        "topic_deadline": day.topic_deadline.isoformat(),
        "solicitation_opens": day.solicitation_opens.isoformat(),
        "topics": [{"topic_id": t.topic_id, "title": t.title, "selected": t.selected,
                    "proposed_by": {"kind": t.proposed_by.kind, "id": t.proposed_by.id},
                    "proposer": t.proposer, "proposed_on": t.proposed_on.isoformat()} for t in day.topics],
        "agenda": {
            "community_reports": [{"community_id": r.community_id, "last_month": r.last_month,
                                   "next_month": r.next_month, "by": r.by,
                                   "supervision_items": list(r.supervision_items)} for r in day.reports.values()],
            "comments": [{"community_id": c.community_id, "by": c.by, "text": c.text} for c in day.comments.values()],
            "tasks": [{"task_id": t.task_id, "title": t.title, "due_date": t.due_date.isoformat(), "by": t.by,
                       "assigned_to": {"kind": t.assigned_to.kind, "id": t.assigned_to.id}} for t in day.tasks],
            "summary": day.summary or None,
            # Selected topics are the day's "X" items.
            "x_items": [{"topic_id": t.topic_id, "title": t.title} for t in day.selected_topics],
        },
        "attendees": day.attendees,
    }
    if directory is not None and not day.closed:
        view["missing"] = day.missing(list(directory.communities))
    return view


def activity(a: Activity) -> dict[str, Any]:
    return {
        "activity_id": a.activity_id, "meeting_id": a.meeting_id, "kind": a.kind, "date": a.date.isoformat(),
        "title": a.title, "participants": a.participants, "record": a.record,
        "outcomes": [{"title": o.title, "due_date": o.due_date.isoformat(),
                      "responsible": {"kind": o.responsible.kind, "id": o.responsible.id}} for o in a.outcomes],
    }


def _unit_name(directory: Directory, kind: str, unit_id: str) -> str | None:
    if kind == "street":
        return next((s.name for s in directory.streets if s.street_id == unit_id), None)
    if kind == "community":
        community = directory.community(unit_id)
        return community.name if community else None
    if kind == "department":
        return next((d.name for d in directory.departments if d.department_id == unit_id), None)
    return directory.district_name or None


def person(p: Person, directory: Directory, district: str, *, operator: bool = False,
           counting: frozenset[str] | None = None) -> dict[str, Any]:
    """A person of the directory as the console shows them (GET …/me). `roles` are those
    that count for this caller (the directory's that the token claims too; an operator's: all)."""
    roles = [r for r in p.roles if operator or counting is None or r in counting]
    unit: dict[str, Any] = {"kind": p.unit_kind, "kind_label": label(UNIT_KIND_LABELS, p.unit_kind),
                            "id": p.unit_id, "name": _unit_name(directory, p.unit_kind, p.unit_id)}
    if p.unit_kind == "community" and (community := directory.community(p.unit_id)):
        unit["street"] = {"id": community.street_id,
                          "name": _unit_name(directory, "street", community.street_id)}
    return {"district": district, "district_name": directory.district_name or None, "person_id": p.person_id,
            "name": p.name, "operator": operator,
            "roles": [{"role": r, "label": label(ROLE_LABELS, r)} for r in roles], "unit": unit}
