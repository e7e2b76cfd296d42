"""Kafka subscribers of the meetings service: the issues service's events feed the closed loop
(each community's report form shows its supervision items)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fourx_platform.kafka import ReceivedEvent, subscribe_events

from fourx_meetings.service_layer import handlers

if TYPE_CHECKING:
    from fourx_meetings.bootstrap import MeetingsService

SUPERVISION_GROUP = "fourx-meetings-supervision"


def register(service: "MeetingsService") -> None:
    async def on_supervision_event(received: ReceivedEvent) -> None:
        await handlers.apply_supervision_event(
            received.envelope.district, received.topic, received.envelope.id,
            received.payload.model_dump(mode="json"), service.unit_of_work())

    subscribe_events(service.runtime.broker, handlers.SUPERVISION_TOPICS, group_id=SUPERVISION_GROUP,
                     handler=on_supervision_event)
