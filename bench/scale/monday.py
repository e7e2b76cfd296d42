"""Part 3 of `make bench-scale`: the Monday run. Every district's bulletin for the generated
week is asked for at once, as the Monday 08:00 schedule does (`scheduler.run_due`: one claim
per district, the requests through the claims' outbox), and timed until the last district's
`report-published` is on Kafka: read from the topic (every partition, assigned, no group), not
by polling the store being measured — a scan of the week's bulletins every 0.2 s loaded the
store more with every district.

Real notify code (`NotifyService`, its consumers, relay and delivery worker) on the project's
own Kafka and store, with its own database and consumer group. The issues service's part —
answering each request with a `supervision-snapshot` — is played by a stand-in that answers
at once with an empty snapshot, so the figure is notify's (the issues service's own time to
judge a district's items is not in it). First on one notify process; then the same run again
(its bulletins, claims and deliveries removed) with 3 replicas in one consumer group — in this
one Python process, so on one core: the replicas show that the run splits and stays exactly
once, not a speed-up.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fourx_contracts.envelope import event_id, new_event
from fourx_contracts.events import SupervisionSnapshot
from fourx_platform.kafka import KafkaSettings
from fourx_platform.mongo import MongoSettings

from fourx_notify.adapters import deliveries, reports
from fourx_notify.bootstrap import NotifyService, NotifySettings
from fourx_notify.domain.stats import week_bounds
from fourx_notify.entrypoints.scheduler import run_due

from bench.scale.busy import StoreMeter
from bench.scale.offline import offline

ISSUES = "/services/issues"
DRAIN_NOTE_SECONDS = 20.0


class SnapshotStandIn:
    """Answers every `report-requested` at once with an empty `supervision-snapshot` carrying
    its request id (what the issues service does, without judging any item)."""

    def __init__(self, kafka: KafkaSettings):
        self._kafka = kafka
        self._task: asyncio.Task[None] | None = None
        self.answered = 0

    async def __aenter__(self) -> "SnapshotStandIn":
        self._consumer = AIOKafkaConsumer("report-requested", **self._kafka.client_options(),
                                          group_id=f"bench-standin-{uuid.uuid4().hex[:6]}",
                                          auto_offset_reset="latest", enable_auto_commit=False)
        self._producer = AIOKafkaProducer(**self._kafka.client_options(), acks="all", enable_idempotence=True)
        await self._consumer.start()
        await self._producer.start()
        while not self._consumer.assignment():   # joined: requests from now on are seen
            await self._consumer.getmany(timeout_ms=100)
        for tp in self._consumer.assignment():
            await self._consumer.seek_to_end(tp)
        self._task = asyncio.create_task(self._answer())
        return self

    async def _answer(self) -> None:
        import json
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=1000)
            sent = []
            for records in batches.values():
                for r in records:
                    request = json.loads(r.value)
                    week = request["data"]["week"]
                    data = SupervisionSnapshot(week=week, as_of=week_bounds(week)[1], request_id=request["id"])
                    answer = new_event(type="supervision-snapshot", source=ISSUES, district=request["district"],
                                       id=event_id(ISSUES, "bench-snapshot", request["id"]), data=data,
                                       correlationid=request.get("correlationid"))
                    sent.append(await self._producer.send("supervision-snapshot", answer.to_json_bytes(),
                                                          key=r.key))
            if sent:
                await asyncio.gather(*sent)
                self.answered += len(sent)

    async def __aexit__(self, *exc: Any) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()
        await self._producer.stop()


class PublishedTap:
    """The districts whose `report-published` for the week reached Kafka since the tap opened.
    Every partition of the topic is assigned by number (the topics were made with
    `kafka.partitions`), and the start is fixed before the run begins."""

    def __init__(self, kafka: KafkaSettings, week: str):
        self._kafka, self._week = kafka, week
        self.districts: set[str] = set()

    async def __aenter__(self) -> "PublishedTap":
        self._consumer = AIOKafkaConsumer(**self._kafka.client_options(), enable_auto_commit=False)
        await self._consumer.start()
        partitions = [TopicPartition("report-published", p) for p in range(self._kafka.partitions)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for tp in partitions:
            await self._consumer.position(tp)   # resolved now: what comes after is the run's
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        import json
        while True:
            for records in (await self._consumer.getmany(timeout_ms=200, max_records=1000)).values():
                for r in records:
                    body = json.loads(r.value)
                    if body["data"]["week"] == self._week:
                        self.districts.add(body["district"])

    async def __aexit__(self, *exc: Any) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()


async def _pending_deliveries(service: NotifyService) -> int:
    return await service.runtime.db[deliveries.COLLECTION].count_documents({"status": deliveries.PENDING})


async def _timed_run(replicas: list[NotifyService], districts: int, week: str, now: datetime,
                     timeout: float, meter: StoreMeter, notes: dict[str, str], label: str,
                     kafka: KafkaSettings) -> float:
    """Seconds until every district's `report-published` is on Kafka; then, as a note, how
    many deliveries were made and sent in the next `DRAIN_NOTE_SECONDS`, and how busy the
    store was."""
    async with PublishedTap(kafka, week) as tap:
        mark = meter.start()
        started = time.perf_counter()
        claims = await asyncio.gather(*(run_due(r, now) for r in replicas))   # every replica's schedule fires
        claimed = sum(len(c) for c in claims)
        if claimed != districts:
            raise RuntimeError(f"{claimed} claims for {districts} districts")
        deadline = time.monotonic() + timeout
        shown = time.monotonic()
        while len(tap.districts) < districts:
            if time.monotonic() - shown > 10:   # progress, for a long run
                shown = time.monotonic()
                print(f"  {label}: {len(tap.districts)} of {districts} bulletins on Kafka after "
                      f"{time.perf_counter() - started:.0f}s", flush=True)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{label}: {len(tap.districts)} of {districts} in {timeout:.0f}s")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
    busy = meter.since(mark)
    per = f"; {busy.cpu / districts * 1000:.1f} store CPU-ms per bulletin" if busy.cpu is not None else ""
    notes[f"{label}, store"] = f"{busy.note()}{per}"
    # The deliveries gave way to the bulletins; what they do after (not in the figure, bounded).
    drained = time.perf_counter()
    await asyncio.sleep(DRAIN_NOTE_SECONDS)
    db = replicas[0].runtime.db
    queued = await db[deliveries.FANOUT_QUEUE].count_documents({})
    made = await db[deliveries.COLLECTION].count_documents({})
    left = await _pending_deliveries(replicas[0])
    notes[f"{label}, deliveries"] = (
        f"{time.perf_counter() - drained:.0f}s after the last bulletin: {made:,} deliveries made "
        f"({districts - queued} of {districts} bulletins' fan-outs), {made - left:,} of them sent or refused")
    return elapsed


async def monday(kafka: KafkaSettings, admin: KafkaSettings, mongo: MongoSettings, districts: int, events: int,
                 start_monday: datetime, timeout: float = 1800.0, meter: StoreMeter | None = None,
                 read_model: dict[str, str] | None = None) -> tuple[float, float | None, dict[str, str]]:
    """(seconds with one notify, seconds with three, notes) for the week starting `start_monday`.
    `read_model`: the settings (database, consumer group) of a notify read model already
    filled with these events (the ingest part's), else a fresh one is filled first."""
    meter = meter or StoreMeter(None)
    week = f"{start_monday.isocalendar()[0]}-W{start_monday.isocalendar()[1]:02d}"
    now = (start_monday + timedelta(days=7)).replace(hour=0, minute=5, tzinfo=UTC)   # next Monday 08:05 Shanghai
    settings = dict(read_model or {"database": f"bench_monday_{uuid.uuid4().hex[:6]}",
                                   "consumer_group": f"fourx-notify-bench-{uuid.uuid4().hex[:6]}"},
                    schedule_every_seconds=0)
    first = offline(NotifyService(kafka, mongo, NotifySettings(**settings)))
    replicas = [first]
    notes: dict[str, str] = {}
    await first.start()
    try:
        # Watched on the broker (the group's committed offsets), not by counting the store.
        fill = time.perf_counter()
        if not await first.progress.caught_up(timeout):
            raise TimeoutError(f"notify's read model did not take in every event within {timeout:.0f}s")
        stored = await first.runtime.db["events"].count_documents({})
        if stored < events:
            raise RuntimeError(f"notify's read model holds {stored:,} of {events:,} events")
        then = "the ingest part's read model, then " if read_model else ""
        notes["monday, read model"] = (f"{events:,} events, consumed by notify ({then}"
                                       f"{time.perf_counter() - fill:.0f}s before the run)")
        async with SnapshotStandIn(admin) as stand_in:
            one = await _timed_run(replicas, districts, week, now, timeout, meter, notes, "monday", admin)
            # The same run on three replicas: the week's bulletins, claims and deliveries go.
            for name in (reports.COLLECTION, reports.TEXTS, reports.CLAIMS, reports.NUMBERS, deliveries.COLLECTION,
                         deliveries.BODIES, deliveries.FANOUTS, deliveries.FANOUT_QUEUE):
                await first.runtime.db[name].drop()
            for _ in range(2):
                replica = offline(NotifyService(kafka, mongo, NotifySettings(**settings)))
                await replica.start()
                replicas.append(replica)
            await asyncio.sleep(5)   # let the group settle on three members
            limit = max(120.0, 3 * one)
            try:
                three: float | None = await _timed_run(replicas, districts, week, now, limit, meter, notes,
                                                       "monday ×3", admin)
            except TimeoutError as exc:
                three = None
                notes["monday, 3 replicas"] = f"did not finish within {limit:.0f}s ({exc})"
            notes["monday, snapshots"] = f"{stand_in.answered:,} requests answered by the stand-in"
        return one, three, notes
    finally:
        for r in replicas:
            await r.stop()
