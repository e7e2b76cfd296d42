"""The activity day (集中活动日) aggregate: its schedule, its topics and its four standing
items. Pure: no I/O, no framework. Who may record what is checked in domain/roles.py."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from fourx_contracts.vocabulary import UnitRef  # noqa: F401 (the one unit reference, re-exported)

from fourx_meetings.domain import events
from fourx_meetings.domain.calendar import ActivityDayDate, meeting_id_for
from fourx_meetings.domain.directory import Community
from fourx_meetings.domain.errors import CloseRefused, DomainError, NotFound

# Solicitation runs for a week and ends at the topic deadline (7 days before the day).
SOLICITATION_DAYS = 7


@dataclass(frozen=True)
class Topic:
    topic_id: str
    title: str
    proposed_by: UnitRef
    proposer: str
    proposed_on: date
    selected: bool = False


@dataclass(frozen=True)
class CommunityReport:
    community_id: str
    last_month: str
    next_month: str
    by: str = ""
    # The community's supervision items as they stood when the report was recorded (closed loop).
    supervision_items: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Comment:
    community_id: str
    by: str
    text: str


@dataclass(frozen=True)
class TaskAssignment:
    task_id: str
    title: str
    assigned_to: UnitRef
    due_date: date
    by: str = ""


@dataclass
class ActivityDay:
    district: str
    meeting_id: str
    date: date
    topic_deadline: date
    venue: str = ""
    first_friday: date | None = None
    calendar_confirmed: bool = True
    status: str = "scheduled"
    topics: list[Topic] = field(default_factory=list)
    reports: dict[str, CommunityReport] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    tasks: list[TaskAssignment] = field(default_factory=list)
    summary: str = ""
    summary_by: str = ""
    attendees: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)  # whom the closed meeting covered
    pending_events: list[object] = field(default_factory=list, repr=False)

    # --- scheduling -----------------------------------------------------------------------
    @classmethod
    def schedule(cls, district: str, year: int, month: int, when: ActivityDayDate, venue: str) -> ActivityDay:
        day = cls(district=district, meeting_id=meeting_id_for(year, month), date=when.date,
                  topic_deadline=when.topic_deadline, venue=venue, first_friday=when.first_friday,
                  calendar_confirmed=when.calendar_confirmed)
        day.pending_events.append(events.ActivityDayScheduled(district, day.meeting_id))
        return day

    @property
    def closed(self) -> bool:
        return self.status == "held"

    @property
    def solicitation_opens(self) -> date:
        return self.topic_deadline - timedelta(days=SOLICITATION_DAYS)

    def _open(self) -> None:
        if self.closed:
            raise DomainError(f"集中活动日 {self.meeting_id}（{self.date}）已结束，不能再修改", code="activity_day.closed")

    # --- topics (X) -----------------------------------------------------------------------
    def propose_topic(self, topic_id: str, title: str, proposed_by: UnitRef, proposer: str, today: date) -> bool:
        """Returns False when the same proposal was already recorded (a replay)."""
        existing = self.topic(topic_id, missing_ok=True)
        if existing is not None:
            if (existing.title, existing.proposed_by) == (title, proposed_by):
                return False
            raise DomainError(f"议题 {topic_id} 已存在且内容不同", code="topic.conflict")
        if today > self.topic_deadline:
            raise DomainError(f"{self.date} 集中活动日的议题征集已于 {self.topic_deadline} 截止（今天是 {today}），"
                              f"新议题请提交到下月活动日", code="topic.window_closed")
        if today < self.solicitation_opens:
            raise DomainError(f"{self.date} 集中活动日的议题征集 {self.solicitation_opens} 开始（今天是 {today}）",
                              code="topic.window_not_open")
        self._open()
        self.topics.append(Topic(topic_id, title, proposed_by, proposer, today))
        self.pending_events.append(events.TopicProposed(self.district, self.meeting_id, topic_id))
        return True

    def select_topic(self, topic_id: str) -> bool:
        topic = self.topic(topic_id)
        if topic.selected:
            return False
        self._open()
        self.topics = [replace(t, selected=True) if t.topic_id == topic_id else t for t in self.topics]
        self.pending_events.append(events.TopicSelected(self.district, self.meeting_id, topic_id))
        return True

    def topic(self, topic_id: str, missing_ok: bool = False) -> Topic | None:
        found = next((t for t in self.topics if t.topic_id == topic_id), None)
        if found is None and not missing_ok:
            raise NotFound(f"集中活动日 {self.meeting_id} 没有议题 {topic_id}", code="topic.not_found")
        return found

    @property
    def selected_topics(self) -> list[Topic]:
        return [t for t in self.topics if t.selected]

    # --- the four standing items ---------------------------------------------------------
    def record_report(self, report: CommunityReport) -> bool:
        if self.reports.get(report.community_id) == report:
            return False
        self._open()
        self.reports[report.community_id] = report
        return True

    def record_comment(self, comment: Comment) -> bool:
        if self.comments.get(comment.community_id) == comment:
            return False
        self._open()
        self.comments[comment.community_id] = comment
        return True

    def assign_task(self, task: TaskAssignment) -> bool:
        if task in self.tasks:
            return False
        self._open()
        self.tasks = [t for t in self.tasks if t.task_id != task.task_id] + [task]
        return True

    def record_summary(self, text: str, by: str) -> bool:
        if (self.summary, self.summary_by) == (text, by):
            return False
        self._open()
        self.summary, self.summary_by = text, by
        return True

    # --- closing --------------------------------------------------------------------------
    def missing(self, communities: list[Community]) -> dict:
        """What still keeps the day from closing, community by community."""
        def entry(c: Community) -> dict:
            return {"community_id": c.community_id, "name": c.name, "street_id": c.street_id}

        return {
            "reports": [entry(c) for c in communities if c.community_id not in self.reports],
            "comments": [entry(c) for c in communities if c.community_id not in self.comments],
            "summary": not self.summary.strip(),
        }

    def close(self, communities: list[Community], attendees: list[str], today: date) -> bool:
        """Close the day with its minutes; refused while any community lacks its report or
        comment or the summary is missing. Once held it is immutable. Returns False when it
        was already held (a replayed close publishes nothing)."""
        if self.closed:
            return False
        if today < self.date:
            raise DomainError(f"集中活动日在 {self.date}，举行之前不能结束（今天是 {today}）",
                              code="activity_day.not_yet_held")
        missing = self.missing(communities)
        if missing["reports"] or missing["comments"] or missing["summary"]:
            raise CloseRefused(missing)
        contributors = ([r.by for r in self.reports.values()] + [c.by for c in self.comments.values()]
                        + [t.by for t in self.tasks] + [self.summary_by])
        self.attendees = list(dict.fromkeys(a for a in [*attendees, *contributors] if a))
        self.communities = [c.community_id for c in communities]
        self.status = "held"
        self.pending_events.append(events.ActivityDayHeld(self.district, self.meeting_id))
        return True
