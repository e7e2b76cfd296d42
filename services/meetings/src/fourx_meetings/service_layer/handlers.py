"""Use cases of the meetings service: plain async functions over the abstract UnitOfWork
(service_layer/unit_of_work.py), so they run on MongoDB in the service and on in-memory fakes
in unit tests.

Every command is safe to replay: ids are derived from the command when the caller gives
none, an identical second call changes nothing and publishes nothing, and concurrent writers
are serialised by the aggregate's version (fourx_platform.versioned: the use case runs again
on fresh state)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fourx_contracts.envelope import deterministic_id
from fourx_contracts.vocabulary import UNIT_KIND_LABELS, label
from fourx_platform.outbound import OutboundPolicy
from fourx_platform.versioned import ConcurrencyConflict, retry_on_conflict

from fourx_meetings.adapters import integration
from fourx_meetings.adapters.roster import parse_roster
from fourx_meetings.domain import events, roles
from fourx_meetings.domain.activities import Activity, Outcome
from fourx_meetings.domain.calendar import activity_day_date, meeting_id_for
from fourx_meetings.domain.directory import Directory, parse_directory
from fourx_meetings.domain.errors import DomainError, Invalid, NotFound
from fourx_meetings.domain.model import ActivityDay, Comment, CommunityReport, TaskAssignment, UnitRef
from fourx_meetings.domain.roles import Actor
from fourx_meetings.domain.suggestions import Suggestion, SupervisionRequest
from fourx_meetings.domain.supervision import report_form, supervision_facts
from fourx_meetings.service_layer.unit_of_work import UnitOfWork

# --- directory --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportDirectory:
    district: str
    text: str
    correlationid: str | None = None
    # An Excel roster instead of the text (then `text` is ignored): adapters/roster.py.
    roster: bytes | None = None
    # The outbound-channel rules (dev mode, webhook allowlist); strict unless the caller says.
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)


async def import_directory(cmd: ImportDirectory, uow: UnitOfWork) -> tuple[Directory, int, bool]:
    """Validate (DirectoryInvalid with lines), store, publish the whole snapshot. Importing
    content identical to what is stored publishes nothing. Returns (directory, version, changed)."""
    # Off the event loop: a large file takes seconds to read, and the loop serves everyone.
    if cmd.roster is not None:
        directory = await asyncio.to_thread(parse_roster, cmd.roster, cmd.outbound)
    else:
        directory = await asyncio.to_thread(parse_directory, cmd.text, cmd.outbound)

    async def run() -> tuple[Directory, int, bool]:
        _, version, stored_hash = await uow.directories.get(cmd.district)
        if stored_hash == directory.content_hash():
            return directory, version, False
        changed = [events.DirectoryChanged(cmd.district, version + 1)]
        outgoing = integration.integration_events(directory, changed, cmd.correlationid)
        new_version = await uow.directories.save(cmd.district, directory, version, outgoing)
        return directory, new_version, True

    result = await retry_on_conflict(run)
    if result[2]:
        uow.committed()
    return result


async def _directory(uow: UnitOfWork, district: str) -> Directory:
    directory, _, _ = await uow.directories.get(district)
    if directory is None:
        raise DomainError(f"{district} 尚未导入组织名录，请先导入", code="directory.missing")
    return directory


# --- scheduling -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleActivityDay:
    district: str
    year: int
    month: int
    venue: str | None = None
    correlationid: str | None = None


async def schedule_activity_day(cmd: ScheduleActivityDay, uow: UnitOfWork,
                                default_venue: str = "") -> tuple[ActivityDay, bool]:
    """Schedule the month's activity day once. The meeting id is derived from the month, so
    replicas and repeated triggers find it already there (insert-if-absent); returns (day, created)."""
    meeting_id = meeting_id_for(cmd.year, cmd.month)
    existing, _ = await uow.activity_days.get(cmd.district, meeting_id)
    if existing is not None:
        return existing, False
    directory, _, _ = await uow.directories.get(cmd.district)
    venue = cmd.venue or (directory.venue if directory else "") or default_venue
    day = ActivityDay.schedule(cmd.district, cmd.year, cmd.month, activity_day_date(cmd.year, cmd.month), venue)
    try:
        await uow.activity_days.save(day, 0, integration.day_events(day, cmd.correlationid))
    except ConcurrencyConflict:  # another replica (or request) scheduled it a moment ago
        existing, _ = await uow.activity_days.get(cmd.district, meeting_id)
        return existing, False
    day.pending_events.clear()
    uow.committed()
    return day, True


async def schedule_due_months(uow: UnitOfWork, today: date, default_venue: str = "") -> int:
    """The periodic job: this month's and next month's activity day for every district with a
    directory. Safe to run on every replica at once. Returns how many it created."""
    months = [(today.year, today.month), (today.year + today.month // 12, today.month % 12 + 1)]
    created = 0
    for district in await uow.directories.districts():
        for year, month in months:
            _, new = await schedule_activity_day(ScheduleActivityDay(district, year, month), uow, default_venue)
            created += new
    return created


# --- changes to one activity day ---------------------------------------------------------------
async def _change_day(uow: UnitOfWork, district: str, meeting_id: str, correlationid: str | None,
                      change: Callable[[ActivityDay, Directory], bool]) -> tuple[ActivityDay, bool]:
    """Load, apply, save with the events it raised; nothing saved when nothing changed."""
    directory = await _directory(uow, district)

    async def run() -> tuple[ActivityDay, bool]:
        day, version = await uow.activity_days.get(district, meeting_id)
        if day is None:
            raise NotFound(f"{district} 没有集中活动日 {meeting_id}", code="activity_day.not_found")
        if not change(day, directory):
            return day, False
        await uow.activity_days.save(day, version, integration.day_events(day, correlationid))
        day.pending_events.clear()
        return day, True

    day, changed = await retry_on_conflict(run)
    if changed:
        uow.committed()
    return day, changed


@dataclass(frozen=True)
class ProposeTopic:
    district: str
    meeting_id: str
    title: str
    actor: Actor
    today: date
    topic_id: str | None = None
    correlationid: str | None = None


async def propose_topic(cmd: ProposeTopic, uow: UnitOfWork) -> tuple[ActivityDay, str, bool]:
    topic_id_holder: list[str] = []

    def change(day: ActivityDay, directory: Directory) -> bool:
        kind, unit_id = roles.proposer_unit(directory, cmd.actor)
        topic_id = cmd.topic_id or "tp-" + deterministic_id("topic", cmd.district, cmd.meeting_id,
                                                              kind, unit_id, cmd.title)[:13]
        topic_id_holder[:] = [topic_id]
        return day.propose_topic(topic_id, cmd.title, UnitRef(kind, unit_id), cmd.actor.person_id, cmd.today)

    day, changed = await _change_day(uow, cmd.district, cmd.meeting_id, cmd.correlationid, change)
    return day, topic_id_holder[0], changed


@dataclass(frozen=True)
class SelectTopic:
    district: str
    meeting_id: str
    topic_id: str
    actor: Actor
    correlationid: str | None = None


async def select_topic(cmd: SelectTopic, uow: UnitOfWork) -> tuple[ActivityDay, bool]:
    def change(day: ActivityDay, directory: Directory) -> bool:
        roles.check_office(directory, cmd.actor)
        return day.select_topic(cmd.topic_id)

    return await _change_day(uow, cmd.district, cmd.meeting_id, cmd.correlationid, change)


@dataclass(frozen=True)
class RecordReport:
    district: str
    meeting_id: str
    community_id: str
    last_month: str
    next_month: str
    actor: Actor


async def record_report(cmd: RecordReport, uow: UnitOfWork) -> tuple[ActivityDay, bool]:
    """Item 1. The report keeps the community's supervision items as they stood (closed loop)."""
    day, _ = await uow.activity_days.get(cmd.district, cmd.meeting_id)
    form = await community_report_form(cmd.district, cmd.meeting_id, cmd.community_id, uow) if day else None
    items = tuple(form["supervision_items"]) if form else ()

    def change(day: ActivityDay, directory: Directory) -> bool:
        roles.check_report(directory, cmd.actor, cmd.community_id)
        return day.record_report(CommunityReport(cmd.community_id, cmd.last_month, cmd.next_month,
                                                 cmd.actor.person_id, items))

    return await _change_day(uow, cmd.district, cmd.meeting_id, None, change)


@dataclass(frozen=True)
class RecordComment:
    district: str
    meeting_id: str
    community_id: str
    text: str
    actor: Actor


async def record_comment(cmd: RecordComment, uow: UnitOfWork) -> tuple[ActivityDay, bool]:
    """Item 2."""
    def change(day: ActivityDay, directory: Directory) -> bool:
        roles.check_comment(directory, cmd.actor, cmd.community_id)
        return day.record_comment(Comment(cmd.community_id, cmd.actor.person_id, cmd.text))

    return await _change_day(uow, cmd.district, cmd.meeting_id, None, change)


@dataclass(frozen=True)
class AssignTask:
    district: str
    meeting_id: str
    title: str
    assigned_to: UnitRef
    due_date: date
    actor: Actor
    task_id: str | None = None


async def assign_task(cmd: AssignTask, uow: UnitOfWork) -> tuple[ActivityDay, str, bool]:
    """Item 3."""
    task_id = cmd.task_id or "tk-" + deterministic_id("task", cmd.district, cmd.meeting_id, cmd.title,
                                                      cmd.assigned_to.kind, cmd.assigned_to.id)[:13]

    def change(day: ActivityDay, directory: Directory) -> bool:
        roles.check_task(directory, cmd.actor, cmd.assigned_to.kind, cmd.assigned_to.id)
        if cmd.due_date < day.date:
            raise Invalid("due_date", f"{cmd.due_date} 早于集中活动日 {day.date}")
        return day.assign_task(TaskAssignment(task_id, cmd.title, cmd.assigned_to, cmd.due_date, cmd.actor.person_id))

    day, changed = await _change_day(uow, cmd.district, cmd.meeting_id, None, change)
    return day, task_id, changed


@dataclass(frozen=True)
class RecordSummary:
    district: str
    meeting_id: str
    text: str
    actor: Actor


async def record_summary(cmd: RecordSummary, uow: UnitOfWork) -> tuple[ActivityDay, bool]:
    """Item 4."""
    def change(day: ActivityDay, directory: Directory) -> bool:
        roles.check_summary(directory, cmd.actor)
        return day.record_summary(cmd.text, cmd.actor.person_id)

    return await _change_day(uow, cmd.district, cmd.meeting_id, None, change)


@dataclass(frozen=True)
class CloseActivityDay:
    district: str
    meeting_id: str
    actor: Actor
    today: date
    attendees: list[str] = field(default_factory=list)
    correlationid: str | None = None


async def close_activity_day(cmd: CloseActivityDay, uow: UnitOfWork) -> tuple[ActivityDay, bool]:
    """Refused (CloseRefused) while anything is missing; publishes `meeting-held` once."""
    def change(day: ActivityDay, directory: Directory) -> bool:
        roles.check_close(directory, cmd.actor)
        return day.close(list(directory.communities), cmd.attendees, cmd.today)

    return await _change_day(uow, cmd.district, cmd.meeting_id, cmd.correlationid, change)


# --- the closed loop --------------------------------------------------------------------------
async def community_report_form(district: str, meeting_id: str, community_id: str,
                                uow: UnitOfWork) -> dict[str, Any]:
    day, _ = await uow.activity_days.get(district, meeting_id)
    if day is None:
        raise NotFound(f"{district} 没有集中活动日 {meeting_id}", code="activity_day.not_found")
    directory = await _directory(uow, district)
    community = directory.community(community_id)
    if community is None:
        raise NotFound(f"组织名录中没有社区 {community_id}", code="community.not_found")
    previous = await uow.activity_days.previous(district, day.date)
    items = await uow.supervision.for_community(district, community_id)
    form = report_form(items, community_id, previous.date if previous else None)
    recorded = day.reports.get(community_id)
    return {**form, "meeting_id": meeting_id, "community_name": community.name,
            "recorded": None if recorded is None else
            {"last_month": recorded.last_month, "next_month": recorded.next_month, "by": recorded.by}}


SUPERVISION_TOPICS = ("issue-raised", "progress-recorded", "issue-resolved", "issue-overdue")


async def apply_supervision_event(district: str, topic: str, event_id: str, data: dict[str, Any],
                                  uow: UnitOfWork) -> bool:
    """Idempotent by event id; returns False for a duplicate."""
    return await uow.supervision.apply(district, data["issue_id"], event_id, supervision_facts(topic, data))


# --- X activities -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordActivity:
    district: str
    kind: str
    date: date
    title: str
    participants: list[str]
    outcomes: list[Outcome]
    record: dict[str, Any]
    actor: Actor
    meeting_id: str | None = None
    activity_id: str | None = None
    correlationid: str | None = None


async def record_activity(cmd: RecordActivity, uow: UnitOfWork) -> tuple[Activity, bool]:
    directory = await _directory(uow, cmd.district)
    roles.check_office(directory, cmd.actor)
    if cmd.meeting_id is not None:
        day, _ = await uow.activity_days.get(cmd.district, cmd.meeting_id)
        if day is None:
            raise NotFound(f"{cmd.district} 没有集中活动日 {cmd.meeting_id}", code="activity_day.not_found")
    for i, outcome in enumerate(cmd.outcomes):
        if not directory.has_unit(outcome.responsible.kind, outcome.responsible.id):
            raise Invalid(f"outcomes.{i}.responsible", f"组织名录中没有{label(UNIT_KIND_LABELS, outcome.responsible.kind)} "
                                                        f"{outcome.responsible.id}")
    activity_id = cmd.activity_id or "act-" + deterministic_id("activity", cmd.district, cmd.kind,
                                                               cmd.date.isoformat(), cmd.title)[:13]
    for i, observed in enumerate(cmd.record.get("observations") or []):
        unit = observed["unit"]
        if not directory.has_unit(unit["kind"], unit["id"]):
            raise Invalid(f"record.observations.{i}.unit", f"组织名录中没有{label(UNIT_KIND_LABELS, unit['kind'])} "
                                                           f"{unit['id']}")
    secretaries = frozenset(p.person_id for p in directory.people if "community_secretary" in p.roles)
    activity = Activity.hold(district=cmd.district, activity_id=activity_id, kind=cmd.kind, date=cmd.date,
                             title=cmd.title, participants=cmd.participants, outcomes=cmd.outcomes,
                             record=cmd.record, meeting_id=cmd.meeting_id, secretaries=secretaries)
    existing = await uow.activities.get(cmd.district, activity_id)
    if existing is not None:
        existing.ensure_replay_of(activity)
        return existing, False
    try:
        await uow.activities.add(activity, integration.activity_events(activity, cmd.correlationid))
    except ConcurrencyConflict:
        existing = await uow.activities.get(cmd.district, activity_id)
        existing.ensure_replay_of(activity)
        return existing, False
    activity.pending_events.clear()
    uow.committed()
    return activity, True


# --- suggestions (意见建议, the linkage mechanism) ---------------------------------------------------
@dataclass(frozen=True)
class MakeSuggestion:
    district: str
    title: str
    text: str
    actor: Actor
    today: date
    meeting_id: str | None = None
    suggestion_id: str | None = None
    correlationid: str | None = None


async def make_suggestion(cmd: MakeSuggestion, uow: UnitOfWork) -> tuple[Suggestion, bool]:
    """Any member hands a suggestion to the office, in their own unit's name, dated today."""
    directory = await _directory(uow, cmd.district)
    kind, unit_id = roles.proposer_unit(directory, cmd.actor)
    if cmd.meeting_id is not None:
        day, _ = await uow.activity_days.get(cmd.district, cmd.meeting_id)
        if day is None:
            raise NotFound(f"{cmd.district} 没有集中活动日 {cmd.meeting_id}", code="activity_day.not_found")
    suggestion_id = cmd.suggestion_id or "sug-" + deterministic_id(
        "suggestion", cmd.district, cmd.actor.person_id, cmd.title, cmd.text)[:13]
    suggestion = Suggestion.make(district=cmd.district, suggestion_id=suggestion_id, title=cmd.title, text=cmd.text,
                                 made_by=cmd.actor.person_id, unit=UnitRef(kind, unit_id), made_on=cmd.today,
                                 meeting_id=cmd.meeting_id)
    existing, _ = await uow.suggestions.get(cmd.district, suggestion_id)
    if existing is not None:
        existing.ensure_replay_of(suggestion)
        return existing, False
    try:
        await uow.suggestions.save(suggestion, 0, integration.suggestion_events(suggestion, cmd.correlationid))
    except ConcurrencyConflict:
        existing, _ = await uow.suggestions.get(cmd.district, suggestion_id)
        existing.ensure_replay_of(suggestion)
        return existing, False
    suggestion.pending_events.clear()
    uow.committed()
    return suggestion, True


@dataclass(frozen=True)
class DecideSuggestion:
    district: str
    suggestion_id: str
    actor: Actor
    today: date
    adopt: bool
    requirement: str = ""
    reason: str = ""
    supervision: SupervisionRequest | None = None
    correlationid: str | None = None


async def decide_suggestion(cmd: DecideSuggestion, uow: UnitOfWork) -> tuple[Suggestion, bool]:
    """The office adopts (into a work requirement, and maybe a supervision item) or declines."""
    directory = await _directory(uow, cmd.district)
    roles.check_office(directory, cmd.actor)
    sup = cmd.supervision
    if sup is not None and not directory.has_unit(sup.responsible.kind, sup.responsible.id):
        raise Invalid("supervision.responsible", f"组织名录中没有{label(UNIT_KIND_LABELS, sup.responsible.kind)} "
                                                 f"{sup.responsible.id}")

    async def attempt() -> tuple[Suggestion, bool]:
        suggestion, version = await uow.suggestions.get(cmd.district, cmd.suggestion_id)
        if suggestion is None:
            raise NotFound(f"{cmd.district} 没有意见建议 {cmd.suggestion_id}", code="suggestion.not_found")
        if cmd.adopt:
            changed = suggestion.adopt(requirement=cmd.requirement, by=cmd.actor.person_id, today=cmd.today,
                                       supervision=sup)
        else:
            changed = suggestion.decline(reason=cmd.reason, by=cmd.actor.person_id, today=cmd.today)
        if changed:
            await uow.suggestions.save(suggestion, version, integration.suggestion_events(suggestion, cmd.correlationid))
            suggestion.pending_events.clear()
            uow.committed()
        return suggestion, changed

    return await retry_on_conflict(attempt)
