"""Integration events: the payloads of `shared/spec/events.md` (v1), one model per topic.

These are the wire contract, not domain objects: services map their own domain events onto
them at the edge. Fields may be added (extra fields are accepted); none is renamed or removed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fourx_contracts.envelope import CloudEvent, InvalidEvent, _short

IsoWeek = Annotated[str, Field(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")]
UnitKind = Literal["district", "street", "community", "department"]
Role = Literal[
    "community_secretary", "street_secretary", "street_deputy_secretary", "street_org_member",
    "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "org_deputy_head",
    "party_office",
]
ActivityKind = Literal[
    "experience_sharing", "collective_diagnosis", "case_teaching", "study_visit", "site_observation",
]


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow")


class Unit(Payload):
    kind: UnitKind
    id: str


# --- directory -------------------------------------------------------------------------
class Street(Payload):
    street_id: str
    name: str


class Community(Payload):
    community_id: str
    street_id: str
    name: str


class Department(Payload):
    department_id: str
    name: str


class Person(Payload):
    person_id: str
    name: str
    roles: list[str]
    unit: Unit
    channels: list[Any] = Field(default_factory=list)


class DirectoryUpdated(Payload):
    version: int | str
    streets: list[Street]
    communities: list[Community]
    departments: list[Department]
    people: list[Person]


# --- meetings ---------------------------------------------------------------------------
class MeetingScheduled(Payload):
    meeting_id: str
    kind: str
    date: date
    venue: str
    topic_deadline: date | datetime


class TopicProposed(Payload):
    topic_id: str
    meeting_id: str
    title: str
    proposed_by: Unit


class TopicSelected(Payload):
    topic_id: str
    meeting_id: str
    title: str


class CommunityReport(Payload):
    community_id: str
    last_month: str
    next_month: str


class Comment(Payload):
    community_id: str
    by: str
    text: str


class TaskAssignment(Payload):
    task_id: str
    title: str
    assigned_to: Unit
    due_date: date


class MeetingHeld(Payload):
    meeting_id: str
    kind: str
    date: date
    attendees: list[str]
    community_reports: list[CommunityReport]
    comments: list[Comment]
    tasks: list[TaskAssignment]
    summary: str
    topic_ids: list[str]


class Outcome(Payload):
    title: str
    responsible: Unit
    due_date: date


class ActivityHeld(Payload):
    activity_id: str
    meeting_id: str | None
    kind: ActivityKind
    date: date
    title: str
    participants: list[str]
    outcomes: list[Outcome]


# --- issues -----------------------------------------------------------------------------
class IssueSource(Payload):
    kind: Literal["meeting_task", "diagnosis", "community", "inspection"]
    ref: str


class IssueRaised(Payload):
    issue_id: str
    title: str
    description: str
    source: IssueSource
    responsible: Unit
    owner: str | None
    due_date: date
    street_id: str | None
    community_id: str | None


class ProgressRecorded(Payload):
    issue_id: str
    week: IsoWeek
    note: str
    percent: int = Field(ge=0, le=100)


class IssueResolved(Payload):
    issue_id: str
    resolved_on: date
    resolution: str


class IssueOverdue(Payload):
    issue_id: str
    due_date: date
    days_overdue: int = Field(ge=0)


class InspectionHeld(Payload):
    inspection_id: str
    date: date
    kind: Literal["site_observation", "visit_talk", "field_supervision"]
    units: list[Unit]
    findings: Any


class NoticeIssued(Payload):
    notice_id: str
    issue_id: str
    to: Unit
    to_person: str | None
    reason: str
    issued_on: date
    respond_by: date


class InterviewScheduled(Payload):
    interview_id: str
    issue_id: str
    person_id: str
    reason: str
    scheduled_for: date | datetime


# --- reports ----------------------------------------------------------------------------
class ReportRequested(Payload):
    week: IsoWeek


class ReportStats(Payload):
    meetings_held: int = 0
    activities_held: int = 0
    topics_proposed: int = 0
    topics_selected: int = 0
    tasks_assigned: int = 0
    issues_raised: int = 0
    issues_resolved: int = 0
    issues_overdue: int = 0
    open_issues: int = 0
    progress_records: int = 0
    inspections_held: int = 0
    notices_issued: int = 0
    interviews_scheduled: int = 0


class ReportPublished(Payload):
    report_id: str
    week: IsoWeek
    stats: ReportStats
    recipients: int
    formats: list[str]
    url: str | None


class NotificationSent(Payload):
    notification_id: str
    recipient_id: str
    channel: str
    ref: str
    status: Literal["delivered", "failed"]
    attempts: int = Field(ge=0)


# --- the catalog --------------------------------------------------------------------------
CATALOG: dict[str, type[Payload]] = {
    "directory-updated": DirectoryUpdated,
    "meeting-scheduled": MeetingScheduled,
    "topic-proposed": TopicProposed,
    "topic-selected": TopicSelected,
    "meeting-held": MeetingHeld,
    "activity-held": ActivityHeld,
    "issue-raised": IssueRaised,
    "progress-recorded": ProgressRecorded,
    "issue-resolved": IssueResolved,
    "issue-overdue": IssueOverdue,
    "inspection-held": InspectionHeld,
    "notice-issued": NoticeIssued,
    "interview-scheduled": InterviewScheduled,
    "report-requested": ReportRequested,
    "report-published": ReportPublished,
    "notification-sent": NotificationSent,
}
TOPICS: tuple[str, ...] = tuple(CATALOG)
COMPACTED_TOPICS = frozenset({"directory-updated"})


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def validate_payload(event: CloudEvent, topic: str | None = None) -> Payload:
    """The typed payload of an event, or InvalidEvent saying which field is wrong."""
    if topic is not None and event.type != topic:
        raise InvalidEvent(f"event type {event.type!r} does not belong on topic {topic!r}")
    model = CATALOG.get(event.type)
    if model is None:
        raise InvalidEvent(f"unknown event type {event.type!r}")
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise InvalidEvent(f"data of {event.type} is invalid: {_short(exc)}") from exc
