"""Kafka subscribers of the issues service: tasks, outcomes and adopted suggestions become supervision items; a
bulletin request (`report-requested`) is answered with the week's lights and league table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fourx_contracts.events import ActivityHeld, DirectoryUpdated, MeetingHeld, ReportRequested, SuggestionDecided
from fourx_platform.kafka import ReceivedEvent, subscribe_events

from fourx_issues.service_layer import handlers

if TYPE_CHECKING:
    from fourx_issues.bootstrap import IssuesService

GROUP = "fourx-issues"
TOPICS = ("meeting-held", "activity-held", "directory-updated", "report-requested", "suggestion-decided")


def register(service: "IssuesService") -> None:
    async def on_event(received: ReceivedEvent) -> None:
        # Idempotent without an inbox: every item's id derives from its source task/outcome,
        # so a redelivered event finds its items already stored and raises nothing new.
        district, payload = received.envelope.district, received.payload
        uow = service.unit_of_work()
        if isinstance(payload, MeetingHeld):
            await handlers.on_meeting_held(district, payload, received.envelope.correlationid, uow)
        elif isinstance(payload, ActivityHeld):
            await handlers.on_activity_held(district, payload, received.envelope.correlationid, uow)
        elif isinstance(payload, SuggestionDecided):
            await handlers.on_suggestion_decided(district, payload, received.envelope.correlationid, uow)
        elif isinstance(payload, DirectoryUpdated):
            await handlers.on_directory_updated(district, payload, uow)
        elif isinstance(payload, ReportRequested):
            await handlers.publish_snapshot(uow, district, payload.week, today=service.clock.today(),
                                            request_id=received.envelope.id,
                                            correlationid=received.envelope.correlationid)

    subscribe_events(service.runtime.broker, TOPICS, group_id=GROUP, handler=on_event)
