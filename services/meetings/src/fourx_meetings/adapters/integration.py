"""Domain events → integration events (CloudEvents of the contract)."""

from __future__ import annotations

from fourx_contracts.envelope import CloudEvent, deterministic_id, new_event
from fourx_contracts.events import Comment, CommunityReport, MeetingHeld, TaskAssignment, Unit

from fourx_meetings.domain import events
from fourx_meetings.domain.model import ActivityDay

SOURCE = "/services/meetings"


def meeting_held(day: ActivityDay, correlationid: str | None) -> CloudEvent:
    data = MeetingHeld(
        meeting_id=day.meeting_id,
        kind="activity_day",
        date=day.date,
        attendees=day.attendees,
        community_reports=[CommunityReport(**vars(r)) for r in day.community_reports],
        comments=[Comment(**vars(c)) for c in day.comments],
        tasks=[
            TaskAssignment(task_id=t.task_id, title=t.title, due_date=t.due_date,
                           assigned_to=Unit(kind=t.assigned_to.kind, id=t.assigned_to.id))
            for t in day.tasks
        ],
        summary=day.summary,
        topic_ids=day.topic_ids,
    )
    return new_event(
        type="meeting-held", source=SOURCE, district=day.district, subject=day.meeting_id, data=data,
        # Holding a meeting happens once: the id is derived from it, so a replay is dropped.
        id=deterministic_id("meeting-held", day.district, day.meeting_id),
        correlationid=correlationid,
    )


def to_integration_events(day: ActivityDay, correlationid: str | None) -> list[CloudEvent]:
    out = []
    for event in day.pending_events:
        if isinstance(event, events.ActivityDayHeld):
            out.append(meeting_held(day, correlationid))
    return out
