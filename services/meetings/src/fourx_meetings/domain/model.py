"""The activity day (集中活动日) aggregate. Pure: no I/O, no framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fourx_meetings.domain import events


class DomainError(Exception):
    """A rule of the method was broken; the message says which, in words a user understands."""


@dataclass(frozen=True)
class UnitRef:
    kind: str
    id: str


@dataclass(frozen=True)
class CommunityReport:
    community_id: str
    last_month: str
    next_month: str


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


@dataclass
class ActivityDay:
    district: str
    meeting_id: str
    date: date
    venue: str = ""
    status: str = "scheduled"
    attendees: list[str] = field(default_factory=list)
    community_reports: list[CommunityReport] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    tasks: list[TaskAssignment] = field(default_factory=list)
    summary: str = ""
    topic_ids: list[str] = field(default_factory=list)
    pending_events: list[object] = field(default_factory=list, repr=False)

    @property
    def closed(self) -> bool:
        return self.status == "held"

    def hold(
        self,
        *,
        attendees: list[str],
        community_reports: list[CommunityReport],
        comments: list[Comment],
        tasks: list[TaskAssignment],
        summary: str,
        topic_ids: list[str],
    ) -> None:
        """Close the activity day with its minutes; once held it is immutable."""
        if self.closed:
            raise DomainError(f"activity day {self.meeting_id} is already held and cannot change")
        if not summary.strip():
            raise DomainError("the deputy head's summary (item 4) is missing")
        self.attendees = list(attendees)
        self.community_reports = list(community_reports)
        self.comments = list(comments)
        self.tasks = list(tasks)
        self.summary = summary
        self.topic_ids = list(topic_ids)
        self.status = "held"
        self.pending_events.append(events.ActivityDayHeld(district=self.district, meeting_id=self.meeting_id))
