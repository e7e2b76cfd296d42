"""Use cases of the meetings service: plain async functions over a unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fourx_meetings.domain.model import ActivityDay, Comment, CommunityReport, TaskAssignment
from fourx_meetings.service_layer.unit_of_work import MongoUnitOfWork


@dataclass(frozen=True)
class HoldActivityDay:
    district: str
    meeting_id: str
    date: date
    venue: str
    attendees: list[str]
    community_reports: list[CommunityReport]
    comments: list[Comment]
    tasks: list[TaskAssignment]
    summary: str
    topic_ids: list[str] = field(default_factory=list)
    correlationid: str | None = None


async def hold_activity_day(cmd: HoldActivityDay, uow: MongoUnitOfWork) -> tuple[ActivityDay, bool]:
    """Record the minutes and close the day. Returns (day, changed); holding an already held
    day again with the same minutes changes nothing and publishes nothing."""
    day = await uow.activity_days.get(cmd.district, cmd.meeting_id)
    if day is not None and day.closed:
        return day, False
    day = uow.track(day or ActivityDay(district=cmd.district, meeting_id=cmd.meeting_id, date=cmd.date, venue=cmd.venue))
    day.hold(
        attendees=cmd.attendees, community_reports=cmd.community_reports, comments=cmd.comments,
        tasks=cmd.tasks, summary=cmd.summary, topic_ids=cmd.topic_ids,
    )
    await uow.commit(cmd.correlationid)
    return day, True
