"""Kafka subscribers of the notify service."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from fourx_contracts.events import TOPICS, ReportRequested
from fourx_platform.kafka import ReceivedEvent, subscribe_event_batches, subscribe_events
from fourx_platform.loops import poll_until

from fourx_notify.service_layer import handlers

if TYPE_CHECKING:
    from fourx_notify.bootstrap import NotifyService

log = structlog.get_logger("fourx.notify")

EVENTS_GROUP = "fourx-notify"
REPORTS_GROUP = "fourx-notify-reports"
READ_MODEL_TOPICS = tuple(t for t in TOPICS if t != "report-requested")


async def wait_for_read_model(service: "NotifyService", district: str, week: str) -> None:
    """A report counts every event sent before it was asked for, whatever topic it travelled
    on, and what those events caused in other services moments later: wait until the read
    model's consumer has passed every record that existed, then until the district's stored
    events stop changing for `settle_seconds`. Bounded by `catch_up_seconds` in all."""
    settings = service.settings
    deadline = time.monotonic() + settings.catch_up_seconds
    store = service.event_store()
    if not await service.progress.caught_up(settings.catch_up_seconds):
        log.warning("read model still behind; publishing the bulletin with what is stored",
                    district=district, week=week)
        return
    stored = await store.count(district)
    while time.monotonic() + settings.settle_seconds < deadline:
        await asyncio.sleep(settings.settle_seconds)
        await service.progress.caught_up(max(deadline - time.monotonic(), 0))
        now_stored = await store.count(district)
        if now_stored == stored:
            return
        stored = now_stored


async def wait_for_snapshot(service: "NotifyService", district: str, week: str, request_id: str) -> bool:
    """The issues service answers every bulletin request with the week's lights and league
    (`supervision-snapshot`, carrying the request's id). Wait until that answer is in the read
    model, at most `snapshot_wait_seconds`; False if it did not come (the bulletin then shows
    the latest snapshot of the week, or says that none was given)."""
    store = service.event_store()

    async def answered() -> bool:
        found = await store.snapshot(district, week, request_id)
        return found is not None and found.get("request_id") == request_id

    if await poll_until(answered, service.settings.snapshot_wait_seconds):
        return True
    log.warning("no supervision snapshot for this request; the bulletin shows what is stored",
                district=district, week=week, request_id=request_id)
    return False


def register(service: "NotifyService") -> None:
    async def on_events(batch: list[ReceivedEvent]) -> None:
        # Stored first (one bulk write), then the immediate notices: a failure in between
        # redelivers the batch, the store skips what it has, the deliveries are keyed.
        await handlers.record_events(batch, service.event_store(), service.settings.time_zone)
        created = await handlers.notify_at_once(
            batch, service.event_store(), service.deliveries(),
            max_age=timedelta(hours=service.settings.immediate_max_age_hours))
        if created:
            service.kick_delivery()
            service.kick_relay()

    async def on_report_requested(received: ReceivedEvent) -> None:
        request: ReportRequested = received.payload  # type: ignore[assignment]
        await wait_for_read_model(service, received.envelope.district, request.week)
        await wait_for_snapshot(service, received.envelope.district, request.week, received.envelope.id)
        await handlers.publish_bulletin(
            handlers.PublishBulletin(district=received.envelope.district, week=request.week,
                                     request_id=received.envelope.id,
                                     correlationid=received.envelope.correlationid),
            service.event_store(), service.bulletins(), service.deliveries(), service.after_bulletin,
            service.settings.public_url,
        )

    subscribe_event_batches(service.runtime.broker, READ_MODEL_TOPICS, group_id=EVENTS_GROUP, handler=on_events,
                            max_records=service.settings.batch_max_records)
    subscribe_events(service.runtime.broker, ["report-requested"], group_id=REPORTS_GROUP,
                     handler=on_report_requested)
