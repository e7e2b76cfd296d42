"""Kafka subscribers of the notify service.

The read model: every topic but `report-requested`, in batches, one bulk write each.

Reports: `report-requested` in batches too, and the batch's reports are produced at once
(a Monday run asks for thousands together), under these rules:
- A report counts every event sent before it was asked for: before any report of the batch
  is made, the read model's consumer passes every record that existed then — one shared
  check (`ConsumerProgress.caught_up_shared`) for the whole batch, not a wait per report.
- It shows the issues service's answer to its own request (`supervision-snapshot`): each
  report waits for its own answer (`SnapshotAnswers`, one query per tick for all of them),
  at most `snapshot_wait_seconds`; once it is there, one more shared catch-up takes in what
  the issues service sent before answering (items it raised moments before).
- At most `report_concurrency` bulletins are built at a time; one district's reports of a
  batch are made one after another, in the order they were asked for (its 第N期 numbers).
- The delivery worker gives way while a batch is being made: bulletins first, then their
  deliveries (`DeliveryWorker`).
- Failures keep the platform's policy: if any report of the batch fails, the batch fails,
  and `subscribe_event_batches` applies its reports one by one under the failure policy — a
  report that cannot be produced goes to the DLQ after bounded retries; the others are made
  again (idempotent: same request → same event id, same number, no second delivery).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from fourx_contracts.events import TOPICS, ReportRequested
from fourx_platform.failures import is_transient
from fourx_platform.kafka import ReceivedEvent, subscribe_event_batches

from fourx_notify.service_layer import handlers

if TYPE_CHECKING:
    from fourx_notify.bootstrap import NotifyService

log = structlog.get_logger("fourx.notify")

EVENTS_GROUP = "fourx-notify"
REPORTS_GROUP = "fourx-notify-reports"   # `<consumer_group>-reports`
# Every topic but notify's own: `report-requested` has its own subscriber, and notify's
# outputs (`report-published`, `notification-sent`) count in no bulletin and are kept where
# they are made (bulletins, deliveries). Storing them again cost a Monday run ~88 writes per
# district (its deliveries' outcomes) and every later bulletin as many reads of its week.
OWN_OUTPUTS = ("report-requested", "report-published", "notification-sent")
READ_MODEL_TOPICS = tuple(t for t in TOPICS if t not in OWN_OUTPUTS)
# What a report waits for the read model to pass: every topic a bulletin reads.
PROGRESS_TOPICS = READ_MODEL_TOPICS


async def wait_for_read_model(service: "NotifyService") -> bool:
    """Until the read model's consumer has passed every record that existed when called
    (shared with every report waiting at the same moment), at most `catch_up_seconds`."""
    if await service.progress.caught_up_shared(service.settings.catch_up_seconds):
        return True
    log.warning("read model still behind; publishing bulletins with what is stored")
    return False


async def wait_for_snapshot(service: "NotifyService", district: str, week: str, request_id: str) -> bool:
    """The issues service answers every bulletin request with the week's lights and league
    (`supervision-snapshot`, carrying the request's id). Wait until that answer is in the read
    model, at most `snapshot_wait_seconds`; False if it did not come (the bulletin then shows
    the latest snapshot of the week, or says that none was given)."""
    if await service.answers.wait(district, request_id, service.settings.snapshot_wait_seconds):
        return True
    log.warning("no supervision snapshot for this request; the bulletin shows what is stored",
                district=district, week=week, request_id=request_id)
    return False


async def produce_report(service: "NotifyService", received: ReceivedEvent, gate: asyncio.Semaphore) -> None:
    request: ReportRequested = received.payload  # type: ignore[assignment]
    district, request_id = received.envelope.district, received.envelope.id
    if await wait_for_snapshot(service, district, request.week, request_id):
        await wait_for_read_model(service)  # what the issues service sent before its answer
    async with gate:
        await handlers.publish_bulletin(
            handlers.PublishBulletin(district=district, week=request.week, request_id=request_id,
                                     correlationid=received.envelope.correlationid),
            service.event_store(), service.bulletins(), service.deliveries(), service.after_bulletin,
            service.settings.public_url,
        )


async def produce_reports(service: "NotifyService", batch: list[ReceivedEvent]) -> None:
    """Every report of the batch, concurrently (bounded); raises if any failed. A request
    whose bulletin is already stored is not made again: the same request published twice
    (every replica's relay may pass over a fresh claim's outbox before it is cleared) or
    redelivered after its bulletin was stored, whose `report-published` is in its outbox."""
    made = await service.bulletins().made_for([(r.envelope.district, r.payload.week, r.envelope.id)  # type: ignore[union-attr]
                                               for r in batch])
    batch = [r for r in {r.envelope.id: r for r in batch}.values() if r.envelope.id not in made]
    if not batch:
        return
    await wait_for_read_model(service)
    gate = asyncio.Semaphore(max(1, service.settings.report_concurrency))
    by_district: dict[str, list[ReceivedEvent]] = {}
    for received in sorted(batch, key=lambda r: (r.topic, r.partition, r.offset)):
        by_district.setdefault(received.envelope.district, []).append(received)

    async def district_reports(requests: list[ReceivedEvent]) -> None:
        for received in requests:
            await produce_report(service, received, gate)

    results = await asyncio.gather(*(district_reports(r) for r in by_district.values()), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        log.warning("reports failed in a batch", failed=len(failures), reports=len(batch), error=repr(failures[0]))
        # A transient failure first: the platform retries the batch; else it goes one by one.
        raise next((f for f in failures if is_transient(f)), failures[0])


def register(service: "NotifyService") -> None:
    async def on_events(batch: list[ReceivedEvent]) -> None:
        # Stored first (one bulk write), then the immediate notices: a failure in between
        # redelivers the batch, the store skips what it has, the deliveries are keyed.
        await handlers.record_events(batch, service.event_store(), service.settings.time_zone)
        service.answers.arrived(r.payload.request_id for r in batch  # type: ignore[union-attr]
                                if r.envelope.type == "supervision-snapshot" and r.payload.request_id)
        created = await handlers.notify_at_once(
            batch, service.event_store(), service.deliveries(),
            max_age=timedelta(hours=service.settings.immediate_max_age_hours))
        if created:
            service.kick_delivery()
            service.kick_relay()

    async def on_report_requests(batch: list[ReceivedEvent]) -> None:
        service.reports_in_progress += 1
        try:
            await produce_reports(service, batch)
        finally:
            service.reports_in_progress -= 1
            service.reports_ended_at = time.monotonic()
            service.kick_delivery()   # it gave way while the bulletins were made

    group = service.settings.consumer_group
    subscribe_event_batches(service.runtime.broker, READ_MODEL_TOPICS, group_id=group, handler=on_events,
                            max_records=service.settings.batch_max_records)
    subscribe_event_batches(service.runtime.broker, ["report-requested"], group_id=f"{group}-reports",
                            handler=on_report_requests, max_records=service.settings.report_batch_max_records)
