"""Domain events → integration events (CloudEvents of the contract).

Every domain event type has exactly one entry in `MAPPERS`; an event without one raises
UnmappedEvent instead of being dropped, so a new domain event cannot silently go unpublished
(tests/unit/meetings/test_integration_mapping.py checks the table against domain/events.py).

Every event id is derived from what caused it (event_id, in the producer's namespace), so a replayed command, a
relay that publishes twice or a second replica doing the same job yields the same id."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from fourx_contracts.envelope import CloudEvent, caused_event
from fourx_contracts.events import (
    ActivityHeld,
    Comment,
    CommunityReport,
    DirectoryUpdated,
    MeetingHeld,
    MeetingScheduled,
    Observation,
    Outcome,
    SuggestionDecided,
    SuggestionMade,
    SuggestionSupervision,
    TaskAssignment,
    TopicProposed,
    TopicSelected,
    Unit,
)
from fourx_contracts.mapping import Mapper, UnmappedEvent, map_events  # noqa: F401 (UnmappedEvent: re-exported)

from fourx_meetings.domain import events
from fourx_meetings.domain.activities import Activity
from fourx_meetings.domain.directory import Directory
from fourx_meetings.domain.model import ActivityDay
from fourx_meetings.domain.suggestions import Suggestion

SOURCE = "/services/meetings"


# (type, district, subject, data, cause, correlationid): the id derives from the cause
_event = partial(caused_event, SOURCE)


def directory_updated(district: str, directory: Directory, version: int, correlationid: str | None) -> CloudEvent:
    data = DirectoryUpdated(version=version, **directory.to_snapshot())
    return _event("directory-updated", district, district, data, (str(version),), correlationid)


def meeting_scheduled(day: ActivityDay, correlationid: str | None) -> CloudEvent:
    data = MeetingScheduled(meeting_id=day.meeting_id, kind="activity_day", date=day.date, venue=day.venue,
                            topic_deadline=day.topic_deadline,
                            # additive: why the date is what it is
                            first_friday=day.first_friday,
                            calendar_confirmed=day.calendar_confirmed)
    return _event("meeting-scheduled", day.district, day.meeting_id, data, (day.meeting_id,), correlationid)


def topic_proposed(day: ActivityDay, topic_id: str, correlationid: str | None) -> CloudEvent:
    topic = day.topic(topic_id)
    data = TopicProposed(topic_id=topic.topic_id, meeting_id=day.meeting_id, title=topic.title,
                         proposed_by=Unit(kind=topic.proposed_by.kind, id=topic.proposed_by.id),
                         proposer=topic.proposer, proposed_on=topic.proposed_on)
    return _event("topic-proposed", day.district, topic_id, data, (day.meeting_id, topic_id), correlationid)


def topic_selected(day: ActivityDay, topic_id: str, correlationid: str | None) -> CloudEvent:
    topic = day.topic(topic_id)
    data = TopicSelected(topic_id=topic.topic_id, meeting_id=day.meeting_id, title=topic.title)
    return _event("topic-selected", day.district, topic_id, data, (day.meeting_id, topic_id), correlationid)


def meeting_held(day: ActivityDay, correlationid: str | None) -> CloudEvent:
    data = MeetingHeld(
        meeting_id=day.meeting_id,
        kind="activity_day",
        date=day.date,
        venue=day.venue,
        attendees=day.attendees,
        community_reports=[CommunityReport(community_id=r.community_id, last_month=r.last_month,
                                           next_month=r.next_month, by=r.by,
                                           supervision_items=list(r.supervision_items))
                           for r in day.reports.values()],
        comments=[Comment(community_id=c.community_id, by=c.by, text=c.text) for c in day.comments.values()],
        tasks=[TaskAssignment(task_id=t.task_id, title=t.title, due_date=t.due_date, by=t.by,
                              assigned_to=Unit(kind=t.assigned_to.kind, id=t.assigned_to.id))
               for t in day.tasks],
        summary=day.summary,
        topic_ids=[t.topic_id for t in day.selected_topics],
    )
    # Holding a meeting happens once: the id is derived from it, so a replay is dropped.
    return _event("meeting-held", day.district, day.meeting_id, data, (day.meeting_id,), correlationid)


def activity_held(activity: Activity, correlationid: str | None) -> CloudEvent:
    data = ActivityHeld(
        activity_id=activity.activity_id, meeting_id=activity.meeting_id, kind=activity.kind,
        date=activity.date, title=activity.title, participants=activity.participants,
        outcomes=[Outcome(title=o.title, due_date=o.due_date,
                          responsible=Unit(kind=o.responsible.kind, id=o.responsible.id))
                  for o in activity.outcomes],
        record=activity.record,
        # additive (v1.3): what the outcome figures count
        destinations=list(activity.figures.destinations), visitors=activity.figures.visitors,
        speakers=list(activity.figures.speakers),
        observations=[Observation(unit=Unit(kind=o.unit.kind, id=o.unit.id), comment=o.comment)
                      for o in activity.figures.observations],
    )
    return _event("activity-held", activity.district, activity.activity_id, data, (activity.activity_id,),
                  correlationid)


def suggestion_made(s: Suggestion, correlationid: str | None) -> CloudEvent:
    data = SuggestionMade(suggestion_id=s.suggestion_id, title=s.title, text=s.text, made_by=s.made_by,
                          unit=Unit(kind=s.unit.kind, id=s.unit.id), made_on=s.made_on, meeting_id=s.meeting_id)
    return _event("suggestion-made", s.district, s.suggestion_id, data, (s.suggestion_id,), correlationid)


def suggestion_decided(s: Suggestion, correlationid: str | None) -> CloudEvent:
    sup = s.supervision
    data = SuggestionDecided(
        suggestion_id=s.suggestion_id, decision=s.status, decided_on=s.decided_on, decided_by=s.decided_by,
        requirement=s.requirement, reason=s.reason,
        supervision=None if sup is None else SuggestionSupervision(
            title=sup.title, responsible=Unit(kind=sup.responsible.kind, id=sup.responsible.id),
            due_date=sup.due_date))
    # Decided once: the id derives from the suggestion, so a replay is dropped.
    return _event("suggestion-decided", s.district, s.suggestion_id, data, (s.suggestion_id, "decided"),
                  correlationid)


MAPPERS: dict[type, Mapper] = {
    events.DirectoryChanged: lambda directory, e, c: directory_updated(e.district, directory, e.version, c),
    events.ActivityDayScheduled: lambda day, e, c: meeting_scheduled(day, c),
    events.TopicProposed: lambda day, e, c: topic_proposed(day, e.topic_id, c),
    events.TopicSelected: lambda day, e, c: topic_selected(day, e.topic_id, c),
    events.ActivityDayHeld: lambda day, e, c: meeting_held(day, c),
    events.ActivityHeld: lambda activity, e, c: activity_held(activity, c),
    events.SuggestionMade: lambda suggestion, e, c: suggestion_made(suggestion, c),
    events.SuggestionDecided: lambda suggestion, e, c: suggestion_decided(suggestion, c),
}


def integration_events(aggregate: Any, raised: Iterable[object], correlationid: str | None) -> list[CloudEvent]:
    """The integration events for what `aggregate` raised, in order (UnmappedEvent for a type
    missing from MAPPERS)."""
    return map_events(MAPPERS, aggregate, raised, correlationid)


def day_events(day: ActivityDay, correlationid: str | None) -> list[CloudEvent]:
    return integration_events(day, day.pending_events, correlationid)


def activity_events(activity: Activity, correlationid: str | None) -> list[CloudEvent]:
    return integration_events(activity, activity.pending_events, correlationid)


def suggestion_events(suggestion: Suggestion, correlationid: str | None) -> list[CloudEvent]:
    return integration_events(suggestion, suggestion.pending_events, correlationid)
