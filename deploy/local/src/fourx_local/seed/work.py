"""A district's weeks of work, as the integration events the services would publish for it.

One `DistrictWork` plays one district day by day, the way the method runs:
- "4": the activity day on the first Friday of every month — scheduled two weeks before
  (`meeting-scheduled`), topics proposed in the week of solicitation before it
  (`topic-proposed`) and selected three days before (`topic-selected`); on the day every
  community's report and a street comment on each, the departments' tasks, the summary
  (`meeting-held`), and every task becomes a supervision item (`issue-raised`, source
  `meeting_task`).
- "X": about one and a half activities a week (`activity-held`); what a collective diagnosis
  (or a study visit, a site observation) decided becomes items (source `diagnosis`).
- "1": communities raise items of their own (source `community`), the monthly supervision's
  inspections (`inspection-held`) raise some (source `inspection`); every open item gets its
  weekly progress record on Friday (`progress-recorded`, about 92 %: a missing record is
  what the lights warn about); items are resolved (`issue-resolved`) — about four in five by
  their due date — and the others climb the ladder: `issue-overdue` the day after the due
  date, a supervision notice the same day (`notice-issued`), an interview three days after
  the notice's respond-by date if still unresolved (`interview-scheduled`).
The stream starts with the district's directory (`directory-updated`) and the items still
open from the twelve weeks before (raised then, with their ladder events then), so the first
week already carries a steady state's open items and progress records.

Invariants: the same (seed, district, start) gives the same events, byte for byte (every
random draw comes from the district's own `random.Random`, every id from its cause as the
services derive theirs); each event's `source` is its topic's producer (`producers.py`), its
key and `district` the district; its `time` is the local day it happened (Asia/Shanghai).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fourx_contracts.envelope import deterministic_id, producer_namespace
from fourx_contracts.producers import expected_source

from fourx_local.seed.shape import ACTIONS, SUBJECTS, DistrictShape, Unit, build_shape

WARMUP_WEEKS = 12
UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai, no daylight saving
# Due in 4–16 weeks; about four in five items are done by then, the rest 3–42 days late.
DUE_DAYS = (28, 35, 42, 56, 56, 70, 84, 112)
ON_TIME = 0.8
COMMUNITY_ITEMS_PER_WEEK = 0.45      # per community
ACTIVITIES_PER_WEEK = 1.5
INSPECTIONS_PER_WEEK = 2.0
RECORDED = 0.92                      # share of open items with their weekly progress record
ACTIVITY_KINDS = (("experience_sharing", 3), ("collective_diagnosis", 3), ("case_teaching", 2),
                  ("study_visit", 1), ("site_observation", 2))
OUTCOMES = {"collective_diagnosis": (1, 3), "study_visit": (0, 1), "site_observation": (0, 2),
            "experience_sharing": (0, 0), "case_teaching": (0, 0)}
INSPECTION_KINDS = (("site_observation", 1), ("visit_talk", 1), ("field_supervision", 2))
_NAMESPACES = {source: producer_namespace(source) for source in {"/services/meetings", "/services/issues"}}


@dataclass(frozen=True, slots=True)
class GeneratedEvent:
    """One event as it goes on the wire: topic = type, key = district, value = CloudEvent JSON."""

    type: str
    district: str
    subject: str
    id: str
    value: bytes

    @property
    def key(self) -> bytes:
        return self.district.encode()


@dataclass(slots=True)
class Item:
    issue_id: str
    title: str
    unit: Unit
    owner: str
    raised_on: date
    due: date
    finish: date
    percent: int = 0
    seq: int = 0
    notice_id: str | None = None


def first_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def district_id(seed: int, index: int) -> str:
    return f"seed{seed}-d{index + 1:04d}"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


class DistrictWork:
    def __init__(self, seed: int, index: int, start: date):
        self.district = district_id(seed, index)
        self.rng = random.Random(f"fourx-seed/{seed}/{self.district}")
        self.shape: DistrictShape = build_shape(self.district, index, self.rng)
        self.start = start
        self.open: dict[str, Item] = {}
        self.finishing: dict[date, list[str]] = {}
        self.turning_overdue: dict[date, list[str]] = {}
        self.interviews: dict[date, list[str]] = {}
        self.topics: dict[str, list[tuple[str, str]]] = {}
        self.selected: dict[str, list[str]] = {}
        self.notices: dict[int, int] = {}
        self.counter = 0
        self._out: list[GeneratedEvent] = []
        self._day: date = start
        self._tick = 0
        self._names = {**dict(self.shape.streets), **{c: n for c, _, n in self.shape.communities},
                       **dict(self.shape.departments)}

    # --- the stream -------------------------------------------------------------------
    def opening(self) -> list[GeneratedEvent]:
        """The directory and the items carried over from the weeks before `start`."""
        self._at(self.start - timedelta(days=WARMUP_WEEKS * 7 + 1))
        self._emit("directory-updated", self.district, self.shape.directory(1), ("1",))
        opening, self._out = self._out, []
        for offset in range(WARMUP_WEEKS * 7):
            day = self.start - timedelta(days=WARMUP_WEEKS * 7 - offset)
            self._at(day)
            if day.weekday() < 5:
                self._community_items(day)
            self._resolutions(day, emit=False)
            self._ladder(day)
        # The warm-up's events (all about items) are kept for the items still open at the start.
        opening += [e for e in self._out if e.subject in self.open]
        self._out = []
        return opening

    def week(self, monday: date) -> list[GeneratedEvent]:
        """The events of the ISO week starting on `monday`, in the order they happened."""
        for offset in range(7):
            day = monday + timedelta(days=offset)
            self._at(day)
            self._activity_days(day)
            if day.weekday() < 5:
                self._activities(day)
                self._community_items(day)
                self._inspections(day)
            self._resolutions(day, emit=True)
            self._ladder(day)
            if day.weekday() == 4:
                self._progress_records(day)
        out, self._out = self._out, []
        return out

    # --- "4": the activity day ------------------------------------------------------------
    def _activity_days(self, day: date) -> None:
        for year, month in ((day.year, day.month), (day.year + (day.month == 12), day.month % 12 + 1)):
            held = first_friday(year, month)
            meeting_id = f"ad-{year}-{month:02d}"
            if held < self.start:
                continue
            if day == max(held - timedelta(days=14), self.start):
                self._emit("meeting-scheduled", meeting_id, {
                    "meeting_id": meeting_id, "kind": "activity_day", "date": held.isoformat(),
                    "venue": self.shape.venue, "topic_deadline": (held - timedelta(days=3)).isoformat(),
                    "first_friday": held.isoformat(), "calendar_confirmed": True}, (meeting_id,))
            if held - timedelta(days=7) <= day <= held - timedelta(days=4):
                self._propose_topics(meeting_id, day)
            if day == held - timedelta(days=3):
                self._select_topics(meeting_id)
            if day == held:
                self._hold_activity_day(meeting_id, held)

    def _propose_topics(self, meeting_id: str, day: date) -> None:
        topics = self.topics.setdefault(meeting_id, [])
        for _ in range(self.rng.randint(1, 2)):
            topic_id = f"{meeting_id}-t{len(topics) + 1}"
            community_id, street_id, name = self.rng.choice(self.shape.communities)
            title = f"{name}{self.rng.choice(SUBJECTS)}问题"
            topics.append((topic_id, title))
            self._emit("topic-proposed", topic_id, {
                "topic_id": topic_id, "meeting_id": meeting_id, "title": title,
                "proposed_by": {"kind": "community", "id": community_id},
                "proposer": self.shape.person("community_secretary", community_id),
                "proposed_on": day.isoformat()}, (meeting_id, topic_id))

    def _select_topics(self, meeting_id: str) -> None:
        topics = self.topics.get(meeting_id, [])
        chosen = sorted(self.rng.sample(range(len(topics)), min(len(topics), self.rng.randint(2, 4))))
        self.selected[meeting_id] = [topics[i][0] for i in chosen]
        for i in chosen:
            topic_id, title = topics[i]
            self._emit("topic-selected", topic_id, {"topic_id": topic_id, "meeting_id": meeting_id, "title": title},
                       (meeting_id, topic_id))

    def _hold_activity_day(self, meeting_id: str, held: date) -> None:
        rng, shape = self.rng, self.shape
        reports, comments = [], []
        for community_id, street_id, name in shape.communities:
            subject, plan = rng.choice(SUBJECTS), rng.choice(SUBJECTS)
            reports.append({"community_id": community_id,
                            "last_month": f"{name}完成{subject}{rng.choice(ACTIONS)}，走访居民{rng.randint(20, 300)}户",
                            "next_month": f"推进{plan}，{rng.choice(ACTIONS)}",
                            "by": shape.person("community_secretary", community_id), "supervision_items": []})
            comments.append({"community_id": community_id, "by": shape.person("street_org_member", street_id),
                             "text": f"{subject}抓得实，下一步要在{rng.choice(ACTIONS)}上下功夫。"})
        tasks = []
        for k in range(rng.randint(8, 14)):
            unit = self._task_unit()
            tasks.append({"task_id": f"{meeting_id}-task{k + 1}",
                          "title": f"{self._unit_name(unit)}{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}",
                          "assigned_to": unit.wire(), "due_date": (held + timedelta(days=rng.choice(DUE_DAYS))).isoformat(),
                          "by": shape.person("dept_responsible_leader", rng.choice(shape.departments)[0])})
        topic_ids = self.selected.pop(meeting_id, [])
        self.topics.pop(meeting_id, None)
        held_id = self._emit("meeting-held", meeting_id, {
            "meeting_id": meeting_id, "kind": "activity_day", "date": held.isoformat(),
            "attendees": [p["person_id"] for p in shape.people], "community_reports": reports,
            "comments": comments, "tasks": tasks, "topic_ids": topic_ids, "venue": shape.venue,
            "summary": f"{held.month}月集中活动日：{len(reports)}个社区汇报，交办任务{len(tasks)}项。"},
            (meeting_id,))
        for task in tasks:
            unit = Unit(task["assigned_to"]["kind"], task["assigned_to"]["id"])
            self._raise(title=task["title"], description=f"{held.isoformat()} 集中活动日交办任务（{meeting_id}）",
                        source=("meeting_task", f"{meeting_id}/{task['task_id']}"), unit=unit,
                        due=date.fromisoformat(task["due_date"]), correlationid=held_id)

    # --- "X": activities around it ---------------------------------------------------------
    def _activities(self, day: date) -> None:
        rng = self.rng
        if rng.random() >= ACTIVITIES_PER_WEEK / 5:
            return
        kind = _pick(rng, ACTIVITY_KINDS)
        self.counter += 1
        activity_id = f"act-{day.isoformat()}-{self.counter}"
        problem = f"{self._unit_name(self._task_unit())}{rng.choice(SUBJECTS)}"
        low, high = OUTCOMES[kind]
        outcomes = []
        for _ in range(rng.randint(low, high)):
            unit = self._task_unit(community=False)
            outcomes.append({"title": f"{problem}{rng.choice(ACTIONS)}", "responsible": unit.wire(),
                             "due_date": (day + timedelta(days=rng.choice(DUE_DAYS))).isoformat()})
        participants = [p["person_id"] for p in rng.sample(self.shape.people, rng.randint(6, 16))]
        held_id = self._emit("activity-held", activity_id, {
            "activity_id": activity_id, "meeting_id": None, "kind": kind, "date": day.isoformat(),
            "title": problem, "participants": participants, "outcomes": outcomes,
            "record": {"problem": problem} if kind == "collective_diagnosis" else None}, (activity_id,))
        for index, outcome in enumerate(outcomes):
            self._raise(title=outcome["title"], description=f"{day.isoformat()} {kind}：{problem}",
                        source=("diagnosis", f"{activity_id}/{index}"),
                        unit=Unit(**outcome["responsible"]), due=date.fromisoformat(outcome["due_date"]),
                        correlationid=held_id)

    # --- "1": supervision -----------------------------------------------------------------
    def _community_items(self, day: date) -> None:
        rng = self.rng
        for community_id, _, name in self.shape.communities:
            if rng.random() < COMMUNITY_ITEMS_PER_WEEK / 5:
                self.counter += 1
                self._raise(title=f"{name}{rng.choice(SUBJECTS)}", description="社区上报的重点难点问题",
                            source=("community", f"{community_id}/{self.counter}"),
                            unit=Unit("community", community_id),
                            due=day + timedelta(days=rng.choice(DUE_DAYS)), correlationid=None)

    def _inspections(self, day: date) -> None:
        rng = self.rng
        if rng.random() >= INSPECTIONS_PER_WEEK / 5:
            return
        self.counter += 1
        inspection_id = f"insp-{day.isoformat()}-{self.counter}"
        visited = [Unit("community", c) for c, _, _ in rng.sample(self.shape.communities, rng.randint(1, 3))]
        findings = [{"text": f"{self._unit_name(u)}{rng.choice(SUBJECTS)}{rng.choice(['进展较好', '推进偏慢', '台账不全'])}",
                     "unit": u.wire(), "raises_item": rng.random() < 0.3} for u in visited]
        held_id = self._emit("inspection-held", inspection_id, {
            "inspection_id": inspection_id, "date": day.isoformat(), "kind": _pick(rng, INSPECTION_KINDS),
            "units": [u.wire() for u in visited], "findings": findings}, (inspection_id,))
        for index, finding in enumerate(findings):
            if finding["raises_item"]:
                self._raise(title=finding["text"], description="督查发现的问题",
                            source=("inspection", f"{inspection_id}/{index}"), unit=Unit(**finding["unit"]),
                            due=day + timedelta(days=rng.choice(DUE_DAYS)), correlationid=held_id)

    def _raise(self, *, title: str, description: str, source: tuple[str, str], unit: Unit, due: date,
               correlationid: str | None) -> None:
        rng, day = self.rng, self._day
        issue_id = deterministic_id("issue", self.district, *source)
        if rng.random() < ON_TIME:
            finish = day + timedelta(days=rng.randint(max(1, (due - day).days // 2), max(1, (due - day).days)))
        else:
            finish = due + timedelta(days=int(rng.triangular(2, 42, 5)))
        owner = self._owner(unit)
        street_id, community_id = (None, None)
        if unit.kind == "community":
            street_id, community_id = self.shape.street_of(unit.id), unit.id
        elif unit.kind == "street":
            street_id = unit.id
        self._emit("issue-raised", issue_id, {
            "issue_id": issue_id, "title": title, "description": description,
            "source": {"kind": source[0], "ref": source[1]}, "responsible": unit.wire(), "owner": owner,
            "due_date": due.isoformat(), "street_id": street_id, "community_id": community_id,
            "raised_on": day.isoformat(), "co_units": []}, (issue_id,), correlationid)
        item = Item(issue_id, title, unit, owner, day, due, finish)
        self.open[issue_id] = item
        self.finishing.setdefault(finish, []).append(issue_id)
        if finish > due:
            self.turning_overdue.setdefault(due + timedelta(days=1), []).append(issue_id)

    def _progress_records(self, friday: date) -> None:
        rng, week = self.rng, iso_week(friday)
        for item in list(self.open.values()):
            if item.raised_on >= friday - timedelta(days=4) or rng.random() >= RECORDED:
                continue  # raised this week, or no record this week (what the lights warn about)
            span = max((item.finish - item.raised_on).days, 1)
            planned = 100 * (friday - item.raised_on).days // span
            item.percent = max(item.percent, min(95, planned + rng.randint(-5, 5)))
            item.seq += 1
            self._emit("progress-recorded", item.issue_id, {
                "issue_id": item.issue_id, "week": week, "percent": item.percent, "seq": item.seq,
                "note": f"本周{rng.choice(ACTIONS)}，完成{item.percent}%"},
                (item.issue_id, f"record-{item.seq}"))

    def _resolutions(self, day: date, emit: bool) -> None:
        for issue_id in self.finishing.pop(day, []):
            item = self.open.pop(issue_id)
            if emit:
                claimed = max(item.raised_on, day - timedelta(days=self.rng.randint(0, 3)))
                self._emit("issue-resolved", issue_id, {
                    "issue_id": issue_id, "resolved_on": day.isoformat(), "claimed_on": claimed.isoformat(),
                    "resolution": f"{item.title}已办结，经核验销号"}, (issue_id,))

    def _ladder(self, day: date) -> None:
        for issue_id in self.turning_overdue.pop(day, []):
            item = self.open.get(issue_id)
            if item is None:
                continue
            self._emit("issue-overdue", issue_id, {"issue_id": issue_id, "due_date": item.due.isoformat(),
                                                   "days_overdue": (day - item.due).days},
                       (issue_id,))
            self.notices[day.year] = number = self.notices.get(day.year, 0) + 1
            item.notice_id = deterministic_id("notice", self.district, issue_id)
            respond_by = day + timedelta(days=7)
            self._emit("notice-issued", issue_id, {
                "notice_id": item.notice_id, "issue_id": issue_id, "to": item.unit.wire(), "to_person": item.owner,
                "reason": f"“{item.title}”已逾期未办结", "issued_on": day.isoformat(),
                "respond_by": respond_by.isoformat(), "number": f"督办〔{day.year}〕第{number}号"},
                (issue_id,))
            if item.finish > respond_by + timedelta(days=3):
                self.interviews.setdefault(respond_by + timedelta(days=3), []).append(issue_id)
        for issue_id in self.interviews.pop(day, []):
            item = self.open.get(issue_id)
            if item is None:
                continue
            self._emit("interview-scheduled", issue_id, {
                "interview_id": deterministic_id("interview", self.district, issue_id), "issue_id": issue_id,
                "person_id": item.owner, "reason": f"督办通知到期仍未办结：{item.title}",
                "scheduled_for": (day + timedelta(days=2)).isoformat(),
                # As the ladder sends them: no hour, place or interviewer (the office sets those).
                "at": None, "place": None, "interviewer": None}, (issue_id,))

    # --- helpers ----------------------------------------------------------------------------
    def _at(self, day: date) -> None:
        self._day, self._tick = day, 0

    def _emit(self, type_: str, subject: str, data: dict[str, Any], cause: tuple[str, ...],
              correlationid: str | None = None) -> str:
        source = expected_source(type_)
        assert source is not None
        event_id = str(uuid.uuid5(_NAMESPACES[source], "/".join((type_, self.district, *cause))))
        # 08:30 local, one event every 20 s of the day, in the order they happened.
        moment = datetime(self._day.year, self._day.month, self._day.day, 8, 30) - UTC_OFFSET \
            + timedelta(seconds=20 * self._tick)
        self._tick += 1
        body = {"specversion": "1.0", "id": event_id, "type": type_, "source": source,
                "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "subject": subject, "district": self.district,
                "correlationid": correlationid or event_id, "datacontenttype": "application/json", "data": data}
        value = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        self._out.append(GeneratedEvent(type_, self.district, subject, event_id, value))
        return event_id

    def _task_unit(self, community: bool = True) -> Unit:
        roll = self.rng.random()
        if roll < 0.5:
            return Unit("department", self.rng.choice(self.shape.departments)[0])
        if roll < 0.8 or not community:
            return Unit("street", self.rng.choice(self.shape.streets)[0])
        return Unit("community", self.rng.choice(self.shape.communities)[0])

    def _unit_name(self, unit: Unit) -> str:
        return self._names[unit.id]

    def _owner(self, unit: Unit) -> str:
        role = {"community": "community_secretary", "street": "street_secretary",
                "department": "dept_responsible_leader"}[unit.kind]
        return self.shape.person(role, unit.id)
