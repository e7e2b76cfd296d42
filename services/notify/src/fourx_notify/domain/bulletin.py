"""The weekly work-record bulletin (周工作记实通报) as data: what each section says, built
from one district's stored events and its directory. Pure and deterministic: the same
events give the same view (sorted everywhere, no clock), hence the same rendered text.

Supervision items are seen as they stood at the end of the week (Sunday):
- status: 本周办结 (resolved this week), 逾期 (open, past due or reported overdue),
  本周新增 (raised this week, open), 办理中 (open, raised before);
- warning light, its reason, and the league table (rates and rank) are **not computed
  here**: the issues service owns those rules and publishes them for the bulletin in a
  `supervision-snapshot` (as of the earlier of the request's day and the week's Sunday).
  The bulletin shows what the snapshot says; an item the snapshot does not list has no
  light ("—"), and without a snapshot the league table is empty and says so.
Names and labels (activity and inspection kinds, unit kinds, lights) come from the
contract's vocabulary (`fourx_contracts.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fourx_contracts.vocabulary import (ACTIVITY_LABELS, INSPECTION_LABELS, ITEM_STATUS_LABELS, LIGHT_COLOURS,
                                        LIGHT_LABELS, UNIT_KIND_LABELS, label, light_label)

from fourx_notify.domain.stats import StoredEvent, week_bounds

CLAIMED = ITEM_STATUS_LABELS["resolved"]
NO_STREET = "区直及部门"


class Names:
    """Names of units and people from the latest `directory-updated` snapshot (ids where unknown)."""

    def __init__(self, directory: dict[str, Any] | None, district: str):
        d = directory or {}
        self.district = str(d.get("district_name") or district)
        self.streets = {s["street_id"]: s["name"] for s in d.get("streets", [])}
        self.communities = {c["community_id"]: c["name"] for c in d.get("communities", [])}
        self.street_of_community = {c["community_id"]: c["street_id"] for c in d.get("communities", [])}
        self.departments = {x["department_id"]: x["name"] for x in d.get("departments", [])}
        self.people = {p["person_id"]: p["name"] for p in d.get("people", [])}

    def unit(self, unit: dict[str, Any] | None) -> str:
        if not unit:
            return "—"
        kind, uid = unit.get("kind"), unit.get("id")
        table = {"street": self.streets, "community": self.communities, "department": self.departments}.get(kind, {})
        if kind == "district":
            return self.district
        return table.get(uid) or f"{uid}（{label(UNIT_KIND_LABELS, kind)}）"

    def person(self, person_id: str | None) -> str:
        if not person_id:
            return "—"
        return self.people.get(person_id, person_id)

    def street(self, street_id: str | None) -> str:
        return self.streets.get(street_id, street_id) if street_id else NO_STREET

    def community(self, community_id: str) -> str:
        return self.communities.get(community_id, community_id)


@dataclass(frozen=True)
class ItemState:
    """A supervision item as it stood at a week's end: its first `issue-raised` (data and ISO
    week), the day it was first resolved (if by then), whether it was reported overdue (by
    then), and the percent of its latest progress record of that week or before."""

    issue_id: str
    data: dict[str, Any]
    week: str
    resolved_on: str | None = None
    overdue_reported: bool = False
    percent: int | None = None


def items_at_week_end(events: Iterable[StoredEvent], week: str) -> dict[str, ItemState]:
    """Every item raised by the week's end, from the district's events up to it (what the
    read model's per-item projection keeps without reading them: adapters/projections.py)."""
    raised: dict[str, StoredEvent] = {}
    resolved_on: dict[str, str] = {}
    overdue_reported: set[str] = set()
    percent: dict[str, int] = {}
    latest: dict[str, tuple] = {}
    for e in sorted(events, key=lambda e: (e.occurred_on, e.time, e.id)):
        iid = e.data.get("issue_id")
        if e.type == "issue-raised":
            raised.setdefault(iid, e)
        elif e.type == "issue-resolved":
            resolved_on.setdefault(iid, str(e.data["resolved_on"]))
        elif e.type == "issue-overdue":
            overdue_reported.add(iid)
        elif e.type == "progress-recorded" and e.data["week"] <= week:
            order = progress_order(e)
            if iid not in latest or order > latest[iid]:
                latest[iid], percent[iid] = order, int(e.data["percent"])
    return {iid: ItemState(iid, e.data, e.week, resolved_on.get(iid), iid in overdue_reported, percent.get(iid))
            for iid, e in raised.items()}


def build_bulletin(events: Iterable[StoredEvent], *, district: str, week: str, number: int,
                   directory: dict[str, Any] | None, topic_titles: dict[str, str] | None = None,
                   snapshot: dict[str, Any] | None = None,
                   items: dict[str, ItemState] | None = None) -> dict[str, Any]:
    """The bulletin's content for `week`; `events` are the district's up to the week's end —
    or, with `items` (the supervision items as they stood at the week's end), only the week's
    own events plus the earlier ones it names: meetings and notices with deadlines next week,
    the topics its activity days discussed.
    `topic_titles` names topics whose own events are dated later (a topic is dated by its
    event time, the activity day that discussed it by its date). `snapshot` is the data of
    the issues service's `supervision-snapshot` for the week: the lights and the league."""
    monday, end = week_bounds(week)
    next_monday, next_sunday = end + timedelta(days=1), end + timedelta(days=7)
    names = Names(directory, district)
    events = sorted(events, key=lambda e: (e.occurred_on, e.time, e.id))
    this_week = [e for e in events if e.week == week]

    def of(kind: str, in_week: bool = True) -> list[dict[str, Any]]:
        return [e.data for e in (this_week if in_week else events) if e.type == kind]

    topic_titles = {**(topic_titles or {}),
                    **{t["topic_id"]: t["title"] for t in of("topic-proposed", False) + of("topic-selected", False)}}
    activity_days = []
    for m in _unique(of("meeting-held"), "meeting_id"):
        activity_days.append({
            "date": m["date"], "kind": m.get("kind", "activity_day"), "attendees": len(m.get("attendees") or []),
            "reports": [{"community": names.community(r["community_id"]), "last_month": r["last_month"],
                         "next_month": r["next_month"]} for r in m.get("community_reports") or []],
            "comments": [{"community": names.community(c["community_id"]), "by": names.person(c["by"]),
                          "text": c["text"]} for c in m.get("comments") or []],
            "tasks": [{"title": t["title"], "unit": names.unit(t["assigned_to"]), "due_date": t["due_date"]}
                      for t in m.get("tasks") or []],
            "topics": [topic_titles.get(t, t) for t in m.get("topic_ids") or []],
            "summary": m.get("summary") or "",
        })
    topics = {
        "proposed": [{"title": t["title"], "by": names.unit(t.get("proposed_by"))}
                     for t in _unique(of("topic-proposed"), "topic_id")],
        "selected": [t["title"] for t in _unique(of("topic-selected"), "topic_id")],
    }
    activities = [{"date": a["date"], "kind": label(ACTIVITY_LABELS, a["kind"]), "title": a["title"],
                   "participants": len(a.get("participants") or []),
                   "outcomes": [{"title": o["title"], "unit": names.unit(o["responsible"]), "due_date": o["due_date"]}
                                for o in a.get("outcomes") or []]}
                  for a in _unique(of("activity-held"), "activity_id")]

    # Supervision items as they stood at the week's end.
    states = items_at_week_end(events, week) if items is None else items
    told = {i["issue_id"]: i for i in (snapshot or {}).get("items", [])}
    items = []
    for iid, state in states.items():
        data = state.data
        done_on = state.resolved_on
        if done_on and done_on < monday.isoformat():
            continue  # closed before this week: no longer on the list
        due = date.fromisoformat(str(data["due_date"]))
        resolved = done_on is not None
        overdue = not resolved and (state.overdue_reported or end > due)
        judged = told.get(iid, {})
        if resolved:
            status = "本周办结"
        elif judged.get("status") == "resolved":
            status = CLAIMED  # the unit says it is done; the office has yet to verify
        elif overdue:
            status = "逾期"
        elif state.week == week:
            status = "本周新增"
        else:
            status = "办理中"
        light = judged.get("light")
        street_id = data.get("street_id") or names.street_of_community.get(data.get("community_id") or "")
        items.append({
            "issue_id": iid, "title": data["title"], "unit": names.unit(data.get("responsible")),
            "owner": names.person(data.get("owner")), "due_date": str(data["due_date"]), "status": status,
            "new": state.week == week,
            "percent": 100 if resolved else judged.get("percent", 0 if state.percent is None else state.percent),
            "light": light, "light_label": light_label(light, sign=True) if light else "—",
            "light_reason": judged.get("reason_text") or "" if light else "",
            "street_id": street_id, "community_id": data.get("community_id"),
        })
    items.sort(key=lambda i: (i["due_date"], i["issue_id"]))
    streets: dict[str | None, dict[str, Any]] = {}
    for item in items:
        group = streets.setdefault(item["street_id"], {"street_id": item["street_id"],
                                                       "name": names.street(item["street_id"]),
                                                       "street_items": [], "communities": {}})
        if item["community_id"]:
            group["communities"].setdefault(item["community_id"], {
                "community_id": item["community_id"], "name": names.community(item["community_id"]), "items": [],
            })["items"].append(item)
        else:
            group["street_items"].append(item)
    supervision_streets = []
    for key in sorted(streets, key=lambda k: (k is None, k or "")):
        group = streets[key]
        group["communities"] = [group["communities"][c] for c in sorted(group["communities"])]
        supervision_streets.append(group)
    supervision = {
        "new": sum(1 for i in items if i["new"]),
        "in_progress": sum(1 for i in items if i["status"] in ("本周新增", "办理中", CLAIMED)),
        "resolved": sum(1 for i in items if i["status"] == "本周办结"),
        "overdue": sum(1 for i in items if i["status"] == "逾期"),
        "lights": {k: sum(1 for i in items if i["light"] == k) for k in LIGHT_COLOURS},
        "light_counts": [{"label": LIGHT_LABELS[k], "count": sum(1 for i in items if i["light"] == k)}
                         for k in LIGHT_COLOURS],
        "as_of": (snapshot or {}).get("as_of"),
        "streets": supervision_streets,
    }

    notices = [{"to": names.unit(n["to"]), "person": names.person(n.get("to_person")), "reason": n["reason"],
                "issued_on": n["issued_on"], "respond_by": n["respond_by"],
                "issue": _issue_title(states, n["issue_id"])}
               for n in _unique(of("notice-issued"), "notice_id")]
    interviews = [{"person": names.person(i["person_id"]), "reason": i["reason"],
                   "scheduled_for": str(i["scheduled_for"])[:16].replace("T", " "),
                   "issue": _issue_title(states, i["issue_id"])}
                  for i in _unique(of("interview-scheduled"), "interview_id")]
    inspections = [{"date": x["date"], "kind": label(INSPECTION_LABELS, x["kind"]),
                    "units": "、".join(names.unit(u) for u in x.get("units") or []) or "—",
                    "findings": x["findings"] if isinstance(x["findings"], str) else _flatten(x["findings"])}
                   for x in _unique(of("inspection-held"), "inspection_id")]

    told_league = (snapshot or {}).get("league") or {}
    league = {"streets": _league(told_league.get("streets") or [], names.street),
              "communities": _league(told_league.get("communities") or [], names.community),
              "as_of": (snapshot or {}).get("as_of")}

    deadlines = []
    for item in items:
        if item["status"] != "本周办结" and next_monday.isoformat() <= item["due_date"] <= next_sunday.isoformat():
            deadlines.append({"date": item["due_date"], "what": f"督办问题：{item['title']}", "unit": item["unit"]})
    for m in of("meeting-held", False):
        for t in m.get("tasks") or []:
            if next_monday.isoformat() <= str(t["due_date"]) <= next_sunday.isoformat():
                deadlines.append({"date": str(t["due_date"]), "what": f"交办任务：{t['title']}",
                                  "unit": names.unit(t["assigned_to"])})
    for n in of("notice-issued", False):
        if next_monday.isoformat() <= str(n["respond_by"]) <= next_sunday.isoformat():
            deadlines.append({"date": str(n["respond_by"]), "what": f"督办通知回复：{n['reason']}",
                              "unit": names.unit(n["to"])})
    deadlines = sorted({(d["date"], d["what"], d["unit"]): d for d in deadlines}.values(),
                       key=lambda d: (d["date"], d["what"], d["unit"]))

    year = week.split("-W")[0]
    return {
        "district": district, "district_name": names.district, "week": week, "year": year,
        "week_number": int(week.split("-W")[1]), "number": number,
        "title": f"{names.district}周工作记实通报",
        "issue_label": f"{year}年第{number}期",
        "monday": monday.isoformat(), "sunday": end.isoformat(),
        "next_monday": next_monday.isoformat(), "next_sunday": next_sunday.isoformat(),
        "activity_days": activity_days, "topics": topics, "activities": activities,
        "supervision": supervision, "notices": notices, "interviews": interviews,
        "inspections": inspections, "league": league, "deadlines": deadlines,
    }


def progress_order(e: StoredEvent) -> tuple:
    """Where a progress record stands among an item's records: by week, then by its number on
    the item (`seq`; 30 → 40 → 30 in one week ends at 30 whatever order they arrived in),
    then by time for records of producers that do not number them."""
    return e.data["week"], e.data.get("seq") or 0, e.time, e.id


def _unique(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One entry per aggregate (the first event of it), however many events repeat it."""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(str(item[key]), item)
    return list(seen.values())


def _issue_title(states: dict[str, "ItemState"], issue_id: str) -> str:
    return states[issue_id].data["title"] if issue_id in states else issue_id


def _flatten(value: Any) -> str:
    if isinstance(value, list):
        return "；".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_flatten(v)}" for k, v in value.items())
    return str(value)


def _league(rows: list[dict[str, Any]], name_of) -> list[dict[str, Any]]:
    """The issues service's league rows, in its order and with its ranks, named and formatted."""
    return [{"unit_id": r["unit_id"], "name": name_of(r["unit_id"]), "rank": r["rank"], "items": r["items"],
             "closed": r["closed"], "decided": r["decided"], "on_time": r["on_time"], "overdue": r["overdue"],
             "notices": r["notices"], "closure_rate": _percent(r.get("closure_rate")),
             "on_time_rate": _percent(r.get("on_time_rate"))}
            for r in sorted(rows, key=lambda r: (r["rank"], r["unit_id"]))]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100.0 * rate:.1f}%"


def street_section(view: dict[str, Any], street_id: str | None) -> dict[str, Any] | None:
    """The part of the supervision list and league table about one street, shown first to its people."""
    if not street_id:
        return None
    group = next((s for s in view["supervision"]["streets"] if s["street_id"] == street_id), None)
    row = next((r for r in view["league"]["streets"] if r["unit_id"] == street_id), None)
    if group is None and row is None:
        return None
    return {"street_id": street_id, "name": group["name"] if group else row["name"], "group": group, "league": row}
