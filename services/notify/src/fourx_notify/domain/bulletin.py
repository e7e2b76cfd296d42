"""The weekly work-record bulletin (周工作记实通报) as data: what each section says, built
from one district's stored events and its directory. Pure and deterministic: the same
events give the same view (sorted everywhere, no clock), hence the same rendered text.

Supervision items are seen as they stood at the end of the week (Sunday):
- status: 本周办结 (resolved this week), 逾期 (open, past due or reported overdue),
  本周新增 (raised this week, open), 办理中 (open, raised before);
- warning light (the issues service's rules, from the events notify has): red when overdue;
  yellow when the latest percent (the last record of the latest week, see `progress_order`) lags the elapsed share of time by more than 30 points or
  this week's work record is missing for an item raised before the week; blue when due
  within 3 days after the week's end; green otherwise. Resolved items have none.
League table per street and community: closure rate = resolved / raised up to the week's
end; on-time rate = resolved on or before the due date / items decided (resolved, or past due).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from fourx_notify.domain.stats import StoredEvent, week_bounds

YELLOW_LAG_POINTS = 30
BLUE_WITHIN_DAYS = 3

LIGHT_LABELS = {"red": "🔴红灯", "yellow": "🟡黄灯", "blue": "🔵蓝灯", "green": "🟢绿灯"}
ACTIVITY_LABELS = {
    "experience_sharing": "经验分享", "collective_diagnosis": "集体会诊", "case_teaching": "案例教学",
    "study_visit": "对标学访", "site_observation": "现场观摩点评",
}
INSPECTION_LABELS = {"site_observation": "现场观摩", "visit_talk": "走访座谈", "field_supervision": "实地督导"}
UNIT_KIND_LABELS = {"district": "区", "street": "街道", "community": "社区", "department": "部门"}
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
        return table.get(uid) or f"{uid}（{UNIT_KIND_LABELS.get(kind, kind)}）"

    def person(self, person_id: str | None) -> str:
        if not person_id:
            return "—"
        return self.people.get(person_id, person_id)

    def street(self, street_id: str | None) -> str:
        return self.streets.get(street_id, street_id) if street_id else NO_STREET

    def community(self, community_id: str) -> str:
        return self.communities.get(community_id, community_id)


def _light(*, resolved: bool, overdue: bool, raised_on: date, due: date, end: date, percent: int,
           recorded_this_week: bool, monday: date) -> str | None:
    if resolved:
        return None
    if overdue:
        return "red"
    total = (due - raised_on).days
    expected = 100.0 if total <= 0 else 100.0 * min(max((end - raised_on).days, 0), total) / total
    if percent < expected - YELLOW_LAG_POINTS or (raised_on < monday and not recorded_this_week):
        return "yellow"
    if (due - end).days <= BLUE_WITHIN_DAYS:
        return "blue"
    return "green"


def _rate(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


def build_bulletin(events: Iterable[StoredEvent], *, district: str, week: str, number: int,
                   directory: dict[str, Any] | None, topic_titles: dict[str, str] | None = None) -> dict[str, Any]:
    """The bulletin's content for `week`; `events` are the district's up to the week's end.
    `topic_titles` names topics whose own events are dated later (a topic is dated by its
    event time, the activity day that discussed it by its date)."""
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
    activities = [{"date": a["date"], "kind": ACTIVITY_LABELS.get(a["kind"], a["kind"]), "title": a["title"],
                   "participants": len(a.get("participants") or []),
                   "outcomes": [{"title": o["title"], "unit": names.unit(o["responsible"]), "due_date": o["due_date"]}
                                for o in a.get("outcomes") or []]}
                  for a in _unique(of("activity-held"), "activity_id")]

    # Supervision items as they stood at the week's end.
    raised: dict[str, StoredEvent] = {}
    resolved_on: dict[str, str] = {}
    overdue_reported: set[str] = set()
    percent: dict[str, int] = {}
    latest: dict[str, tuple] = {}
    recorded: dict[str, set[str]] = defaultdict(set)
    for e in events:
        iid = e.data.get("issue_id")
        if e.type == "issue-raised":
            raised.setdefault(iid, e)
        elif e.type == "issue-resolved":
            resolved_on.setdefault(iid, str(e.data["resolved_on"]))
        elif e.type == "issue-overdue":
            overdue_reported.add(iid)
        elif e.type == "progress-recorded" and e.data["week"] <= week:
            recorded[iid].add(e.data["week"])
            order = progress_order(e)
            if iid not in latest or order > latest[iid]:
                latest[iid], percent[iid] = order, int(e.data["percent"])
    items = []
    for iid, e in raised.items():
        data = e.data
        done_on = resolved_on.get(iid)
        if done_on and done_on < monday.isoformat():
            continue  # closed before this week: no longer on the list
        due = date.fromisoformat(str(data["due_date"]))
        resolved = done_on is not None
        overdue = not resolved and (iid in overdue_reported or end > due)
        if resolved:
            status = "本周办结"
        elif overdue:
            status = "逾期"
        elif e.week == week:
            status = "本周新增"
        else:
            status = "办理中"
        light = _light(resolved=resolved, overdue=overdue, raised_on=e.occurred_on, due=due, end=end,
                       percent=percent.get(iid, 0), recorded_this_week=week in recorded[iid], monday=monday)
        street_id = data.get("street_id") or names.street_of_community.get(data.get("community_id") or "")
        items.append({
            "issue_id": iid, "title": data["title"], "unit": names.unit(data.get("responsible")),
            "owner": names.person(data.get("owner")), "due_date": str(data["due_date"]), "status": status,
            "new": e.week == week, "percent": 100 if resolved else percent.get(iid, 0),
            "light": light, "light_label": LIGHT_LABELS.get(light, "—") if light else "—",
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
        "in_progress": sum(1 for i in items if i["status"] in ("本周新增", "办理中")),
        "resolved": sum(1 for i in items if i["status"] == "本周办结"),
        "overdue": sum(1 for i in items if i["status"] == "逾期"),
        "lights": {k: sum(1 for i in items if i["light"] == k) for k in ("red", "yellow", "blue", "green")},
        "streets": supervision_streets,
    }

    notices = [{"to": names.unit(n["to"]), "person": names.person(n.get("to_person")), "reason": n["reason"],
                "issued_on": n["issued_on"], "respond_by": n["respond_by"],
                "issue": _issue_title(raised, n["issue_id"])}
               for n in _unique(of("notice-issued"), "notice_id")]
    interviews = [{"person": names.person(i["person_id"]), "reason": i["reason"],
                   "scheduled_for": str(i["scheduled_for"])[:16].replace("T", " "),
                   "issue": _issue_title(raised, i["issue_id"])}
                  for i in _unique(of("interview-scheduled"), "interview_id")]
    inspections = [{"date": x["date"], "kind": INSPECTION_LABELS.get(x["kind"], x["kind"]),
                    "units": "、".join(names.unit(u) for u in x.get("units") or []) or "—",
                    "findings": x["findings"] if isinstance(x["findings"], str) else _flatten(x["findings"])}
                   for x in _unique(of("inspection-held"), "inspection_id")]

    league = {"streets": _league(raised, resolved_on, end, lambda d: d.get("street_id")
                                 or names.street_of_community.get(d.get("community_id") or ""), names.street),
              "communities": _league(raised, resolved_on, end, lambda d: d.get("community_id"), names.community)}

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


def _issue_title(raised: dict[str, StoredEvent], issue_id: str) -> str:
    return raised[issue_id].data["title"] if issue_id in raised else issue_id


def _flatten(value: Any) -> str:
    if isinstance(value, list):
        return "；".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_flatten(v)}" for k, v in value.items())
    return str(value)


def _league(raised: dict[str, StoredEvent], resolved_on: dict[str, str], end: date, unit_of, name_of
            ) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, int]] = {}
    for iid, e in raised.items():
        unit = unit_of(e.data)
        if not unit:
            continue
        row = rows.setdefault(unit, {"items": 0, "closed": 0, "decided": 0, "on_time": 0, "overdue": 0})
        row["items"] += 1
        due = str(e.data["due_date"])
        done = resolved_on.get(iid)
        if done:
            row["closed"] += 1
            row["decided"] += 1
            row["on_time"] += done <= due
        elif end.isoformat() > due:
            row["decided"] += 1
            row["overdue"] += 1
    table = [{"unit_id": unit, "name": name_of(unit), **row,
              "closure_rate": _rate(row["closed"], row["items"]), "on_time_rate": _rate(row["on_time"], row["decided"]),
              "_sort": (-(row["on_time"] / row["decided"] if row["decided"] else -1),
                        -(row["closed"] / row["items"]), unit)}
             for unit, row in rows.items()]
    table.sort(key=lambda r: r.pop("_sort"))
    for rank, row in enumerate(table, 1):
        row["rank"] = rank
    return table


def street_section(view: dict[str, Any], street_id: str | None) -> dict[str, Any] | None:
    """The part of the supervision list and league table about one street, shown first to its people."""
    if not street_id:
        return None
    group = next((s for s in view["supervision"]["streets"] if s["street_id"] == street_id), None)
    row = next((r for r in view["league"]["streets"] if r["unit_id"] == street_id), None)
    if group is None and row is None:
        return None
    return {"street_id": street_id, "name": group["name"] if group else row["name"], "group": group, "league": row}
