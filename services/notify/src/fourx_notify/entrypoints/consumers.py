"""Kafka subscribers of the notify service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from fourx_contracts.events import TOPICS, ReportRequested
from fourx_contracts.kafka import ReceivedEvent, subscribe_events

from fourx_notify.service_layer import handlers

if TYPE_CHECKING:
    from fourx_notify.bootstrap import NotifyService

log = structlog.get_logger("fourx.notify")

EVENTS_GROUP = "fourx-notify"
REPORTS_GROUP = "fourx-notify-reports"
READ_MODEL_TOPICS = tuple(t for t in TOPICS if t != "report-requested")


def register(service: "NotifyService") -> None:
    async def on_event(received: ReceivedEvent) -> None:
        await handlers.record_events([received], service.event_store())

    async def on_report_requested(received: ReceivedEvent) -> None:
        request: ReportRequested = received.payload  # type: ignore[assignment]
        # The report must count every event sent before it was asked for, whatever topic
        # it travelled on: wait until the read model's consumer has passed them.
        if not await service.progress.caught_up(service.settings.catch_up_seconds):
            log.warning("read model still behind; publishing the bulletin with what is stored",
                        district=received.envelope.district, week=request.week)
        await handlers.publish_bulletin(
            handlers.PublishBulletin(district=received.envelope.district, week=request.week,
                                     request_id=received.envelope.id,
                                     correlationid=received.envelope.correlationid),
            service.event_store(), service.bulletins(), service.kick_relay, service.settings.public_url,
        )

    subscribe_events(service.runtime.broker, READ_MODEL_TOPICS, group_id=EVENTS_GROUP, handler=on_event)
    subscribe_events(service.runtime.broker, ["report-requested"], group_id=REPORTS_GROUP,
                     handler=on_report_requested)
