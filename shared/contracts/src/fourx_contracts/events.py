"""Integration events: the payloads of `shared/spec/events.md` (v1.1), one model per topic.

These are the wire contract, not domain objects: services map their own domain events onto
them at the edge. Fields may be added; none is renamed or removed.

Invariants:
- Every field a fourx service sends is declared here with its type. The additive fields
  (v1.1, "Additive fields") are optional — default None or empty — so other producers need
  not send them, but a bad value fails validation and the record goes to the DLQ instead of
  reaching a handler. `new_event` refuses a payload that carries an undeclared field, so a
  producer cannot drift past this catalog again.
- Fields other producers add and we do not declare are accepted (`extra="allow"`, forward
  compatibility) and kept, but no fourx handler reads them.

The additive fields, by topic (the `# additive` comments below mark them in the models):
  directory-updated   district_name, venue; people[].channels as a tagged union
                      ({"kind": "email", "address"}, {"kind": "webhook", "url"},
                      {"kind": "inbox"} or "in_app", {"kind": "sms", "number"}; other kinds kept)
  meeting-scheduled   first_friday, calendar_confirmed
  topic-proposed      proposer (person id), proposed_on
  meeting-held        venue; community_reports[].by, .supervision_items; tasks[].by
  activity-held       record
  issue-raised        raised_on, co_units
  progress-recorded   seq (the item's record number: orders records within a week)
  issue-resolved      claimed_on
  notice-issued       number (督办〔YYYY〕第N号)
  interview-scheduled at (HH:MM), place, interviewer (person id): when the office schedules it
  report-published    number (第N期), title, content_hash (sha256 hex of the Markdown)

New topic (v1.2, additive: a new topic, no field of an old one changed):
  supervision-snapshot  (producer issues) week, as_of, request_id, items[] (issue_id, status, light,
                      reason, reason_text, percent, on_time), league.streets[] / .communities[]
                      (unit_id, rank, items, closed, decided, on_time, overdue, notices,
                      closure_rate, on_time_rate). The issues service answers every
                      `report-requested` with one, so the bulletin shows its lights and ranks.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from fourx_contracts.envelope import CloudEvent, InvalidEvent, _short
# The names (and their Chinese labels) are defined once, in vocabulary.py; re-exported here.
from fourx_contracts.vocabulary import (ActivityKind, InspectionKind, ItemStatus, LightColour,  # noqa: F401
                                        LightReason, ReportedStatus, Role, SourceKind, UnitKind)

IsoWeek = Annotated[str, Field(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")]


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


class EmailChannel(Payload):
    kind: Literal["email"]
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class WebhookChannel(Payload):
    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://\S+$")


class InboxChannel(Payload):
    # The meetings service writes "in_app"; the spec says "inbox": the same channel.
    kind: Literal["inbox", "in_app"]


class SmsChannel(Payload):
    kind: Literal["sms"]
    number: str = Field(min_length=1)


class OtherChannel(Payload):
    """A kind a newer producer may add: kept (forward compatibility), never sent to."""

    kind: str = Field(min_length=1)


_CHANNEL_TAGS = {"email": "email", "webhook": "webhook", "inbox": "inbox", "in_app": "inbox", "sms": "sms"}


def _channel_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return _CHANNEL_TAGS.get(kind, "other") if isinstance(kind, str) else "other"


# A known kind must carry its own fields (an email without an address is invalid).
Channel = Annotated[
    Annotated[EmailChannel, Tag("email")] | Annotated[WebhookChannel, Tag("webhook")]
    | Annotated[InboxChannel, Tag("inbox")] | Annotated[SmsChannel, Tag("sms")]
    | Annotated[OtherChannel, Tag("other")],
    Discriminator(_channel_tag),
]


class Person(Payload):
    person_id: str
    name: str
    roles: list[str]
    unit: Unit
    channels: list[Channel] = Field(default_factory=list)  # additive: typed entries


class DirectoryUpdated(Payload):
    version: int | str
    streets: list[Street]
    communities: list[Community]
    departments: list[Department]
    people: list[Person]
    district_name: str | None = None  # additive
    venue: str | None = None  # additive: where the activity days are held


# --- meetings ---------------------------------------------------------------------------
class MeetingScheduled(Payload):
    meeting_id: str
    kind: str
    date: date
    venue: str
    topic_deadline: date | datetime
    first_friday: date | None = None  # additive: the rule's day before holidays moved it
    calendar_confirmed: bool | None = None  # additive: False when the holiday calendar was guessed


class TopicProposed(Payload):
    topic_id: str
    meeting_id: str
    title: str
    proposed_by: Unit
    proposer: str | None = None  # additive: the person id who proposed it
    proposed_on: date | None = None  # additive


class TopicSelected(Payload):
    topic_id: str
    meeting_id: str
    title: str


class ReportedProgress(Payload):
    week: IsoWeek
    percent: int | None = Field(None, ge=0, le=100)
    note: str | None = None


class ReportedItem(Payload):
    """A supervision item as the community's report form showed it when the report was recorded."""

    issue_id: str
    title: str = ""
    status: ReportedStatus
    due_date: date | None = None
    responsible: Unit | None = None
    progress: ReportedProgress | None = None
    resolved_on: date | None = None
    days_overdue: int | None = Field(None, ge=0)


class CommunityReport(Payload):
    community_id: str
    last_month: str
    next_month: str
    by: str | None = None  # additive: the secretary's person id
    supervision_items: list[ReportedItem] = Field(default_factory=list)  # additive: the closed loop


class Comment(Payload):
    community_id: str
    by: str
    text: str


class TaskAssignment(Payload):
    task_id: str
    title: str
    assigned_to: Unit
    due_date: date
    by: str | None = None  # additive: the person id who assigned it


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
    venue: str | None = None  # additive


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
    record: dict[str, Any] | None = None  # additive: what the kind requires (problem, presenter, ...)


# --- issues -----------------------------------------------------------------------------
class IssueSource(Payload):
    kind: SourceKind
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
    raised_on: date | None = None  # additive: `stats` count the item on this local date
    co_units: list[Unit] = Field(default_factory=list)  # additive: units that help the responsible one


class ProgressRecorded(Payload):
    issue_id: str
    week: IsoWeek
    note: str
    percent: int = Field(ge=0, le=100)
    # additive: the item's record number, 1, 2, 3, ... in the order recorded. Two records
    # with the same content are two facts; the higher seq of a week is its latest record.
    seq: int | None = Field(None, ge=1)


class IssueResolved(Payload):
    issue_id: str
    resolved_on: date
    resolution: str
    claimed_on: date | None = None  # additive: the day the unit claimed it (resolved_on: verified)


class IssueOverdue(Payload):
    issue_id: str
    due_date: date
    days_overdue: int = Field(ge=0)


class InspectionHeld(Payload):
    inspection_id: str
    date: date
    kind: InspectionKind
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
    number: str | None = Field(None, pattern=r"^督办〔\d{4}〕第\d+号$")  # additive


class InterviewScheduled(Payload):
    interview_id: str
    issue_id: str
    person_id: str
    reason: str
    scheduled_for: date | datetime
    at: time | None = None  # additive: the hour the office set (HH:MM), with `scheduled_for` a date
    place: str | None = None  # additive: where the interview is held
    interviewer: str | None = None  # additive: the person id who holds it


class SnapshotItem(Payload):
    """One supervision item as the issues service judges it on the snapshot's `as_of` day."""

    issue_id: str
    status: ItemStatus
    light: LightColour | None  # None: closed (verified), no light
    reason: LightReason | None  # which rule gave the light (None with no light)
    reason_text: str = ""  # the reason in words people read (Chinese), with its figures
    percent: int = Field(0, ge=0, le=100)  # the latest week's record
    on_time: bool | None = None  # decided items: closed with the resolution claimed by the due date


class LeagueRow(Payload):
    """One street's or community's row of the league table (排名表), in the issues service's order."""

    unit_id: str
    rank: int = Field(ge=1)
    items: int = Field(ge=0)
    closed: int = Field(ge=0)
    decided: int = Field(ge=0)
    on_time: int = Field(ge=0)
    overdue: int = Field(ge=0)
    notices: int = Field(ge=0)
    closure_rate: float | None = Field(None, ge=0, le=1)
    on_time_rate: float | None = Field(None, ge=0, le=1)


class League(Payload):
    streets: list[LeagueRow] = Field(default_factory=list)
    communities: list[LeagueRow] = Field(default_factory=list)


class SupervisionSnapshot(Payload):
    """The lights and the league table of one district, as of one day, for one week's bulletin
    (new topic, v1.2, producer issues). The issues service owns these rules; a consumer
    renders what it is told and computes none of it."""

    week: IsoWeek
    as_of: date  # the day the lights and the league are judged on: min(issues' today, the week's Sunday)
    request_id: str | None = None  # the `report-requested` id it answers (None: published unasked)
    items: list[SnapshotItem] = Field(default_factory=list)
    league: League = Field(default_factory=League)


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
    number: int | None = Field(None, ge=1)  # additive: 第N期 of the district's year
    title: str | None = None  # additive
    content_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")  # additive: sha256 of the Markdown


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
    "supervision-snapshot": SupervisionSnapshot,
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
