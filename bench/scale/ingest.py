"""Part 1, ingest: notify's read model consuming E events, against a raw aiokafka + PyMongo
consumer doing the same job on the same broker and store, and the store's own ceiling.

The read model writes two kinds of documents: each event (`events`) and, for an item's
events, its item projection (`items`, one unordered bulk of `$min`/`$max` upserts per batch:
what makes a bulletin independent of history). "The same documents" is both; the baselines
are measured with both (the figures of the `scale:` line) and with the events alone.

- *store ceiling*: `insert_many` of exactly the documents notify's `EventStore` writes (they
  are captured from the real `record_events` → `EventStore.add_many` path, without Kafka),
  in batches of notify's `batch_max_records`, into a fresh collection with the read model's
  indexes (`EventStore.create_indexes`); then each batch's projection writes
  (`projection_writes`, computed by notify's own `item_updates`). Only the writes are timed.
- *raw*: one consumer, `getmany` of up to the same batch size, `json.loads`, the same
  document (dated by notify's own `dating` rule), `insert_many(ordered=False)`, the same
  projection writes (looked up by event id, computed before), commit.
- *notify*: the notify service itself (`NotifyService`, its batch subscriber and handler),
  from start until its read model holds all E events.
Each gets a fresh database; all run against the store `provide()` started.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from fourx_notify.adapters.event_store import EventStore, dues_of
from fourx_notify.bootstrap import NotifyService, NotifySettings
from fourx_notify.domain.stats import dating
from fourx_notify.adapters.projections import ITEMS, item_updates
from fourx_notify.service_layer.handlers import record_events, to_stored
from fourx_platform.kafka import KafkaSettings, ReceivedEvent, decode_record
from fourx_platform.mongo import MongoSettings, open_client
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from fourx_local.seed import GeneratedEvent

from bench.scale.offline import offline

BATCH = NotifySettings().batch_max_records


class _Inserted:
    def __init__(self, n: int):
        self.inserted_count = n
        self.upserted_ids = {i: None for i in range(n)}   # as if every raise created its item


class CapturedStore:
    """A stand-in database for `EventStore`: keeps the event documents it would write (the
    writes to its projections, `items` and `directories`, are dropped)."""

    def __init__(self, name: str = "events", docs: list[dict[str, Any]] | None = None) -> None:
        self.name = name
        self.docs: list[dict[str, Any]] = [] if docs is None else docs

    def __getitem__(self, name: str) -> "CapturedStore":
        return CapturedStore(name, self.docs)

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> _Inserted:
        if self.name == "events":
            self.docs.extend(r._doc for r in requests)
        return _Inserted(len(requests))

    async def update_one(self, *args: Any, **kwargs: Any) -> None:
        return None


async def notify_documents(events: Iterable[GeneratedEvent]) -> list[dict[str, Any]]:
    """The documents notify's read model stores for these events, by its own code path."""
    received = []
    for e in events:
        envelope, payload = decode_record(e.type, e.value, e.key)
        received.append(ReceivedEvent(envelope, payload, e.type, 0, 0))
    captured = CapturedStore()
    await record_events(received, EventStore(captured))  # type: ignore[arg-type]
    return captured.docs


def raw_document(value: bytes) -> dict[str, Any]:
    """The raw baseline's document for a record: the read model's fields, no validation."""
    body = json.loads(value)
    moment = datetime.fromisoformat(body["time"])
    occurred_on, week = dating(body["type"], body["data"], moment)
    doc = {"_id": body["id"], "type": body["type"], "district": body["district"], "time": moment,
           "occurred_on": occurred_on.isoformat(), "week": week, "data": body["data"]}
    if dues := dues_of(body["type"], body["data"]):
        doc["dues"] = dues
    return doc


def _chunks(events: Iterable[GeneratedEvent], size: int) -> Iterator[list[GeneratedEvent]]:
    it = iter(events)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def projection_writes(events: Iterable[GeneratedEvent]) -> dict[str, list[UpdateOne]]:
    """The item projection's writes notify makes for each event, by its own code
    (`item_updates`), keyed by event id: what the raw baseline writes beside each document so
    that it does the read model's work — the same documents — and not only half of it."""
    writes: dict[str, list[UpdateOne]] = {}
    for e in events:
        envelope, payload = decode_record(e.type, e.value, e.key)
        stored = to_stored(ReceivedEvent(envelope, payload, e.type, 0, 0))
        if ops := item_updates([stored]):
            writes[stored.id] = ops
    return writes


@dataclass
class Ceiling:
    documents: int = 0
    events_seconds: float = 0.0       # insert_many of the event documents
    projection_seconds: float = 0.0   # the items projection's writes (unordered bulk)

    @property
    def events_rate(self) -> float:
        return self.documents / self.events_seconds

    @property
    def read_model_rate(self) -> float:
        return self.documents / (self.events_seconds + self.projection_seconds)


async def store_ceiling(mongo: MongoSettings, events: Iterable[GeneratedEvent],
                        writes: dict[str, list[UpdateOne]]) -> Ceiling:
    """The store alone, no Kafka: notify's event documents by `insert_many` in its batches,
    and then the same batches' projection writes, each timed, with its indexes."""
    client = open_client(mongo)
    try:
        db = client[f"bench_store_{uuid.uuid4().hex[:6]}"]
        await EventStore(db).create_indexes()
        collection, items = db["events"], db[ITEMS]
        ceiling = Ceiling()
        for chunk in _chunks(events, BATCH):
            docs = await notify_documents(chunk)
            started = time.perf_counter()
            await collection.insert_many(docs, ordered=False)
            ceiling.events_seconds += time.perf_counter() - started
            if ops := [op for d in docs for op in writes.get(d["_id"], ())]:
                started = time.perf_counter()
                await items.bulk_write(ops, ordered=False)
                ceiling.projection_seconds += time.perf_counter() - started
            ceiling.documents += len(docs)
        return ceiling
    finally:
        await client.close()


async def raw_ingest(kafka: KafkaSettings, mongo: MongoSettings, topics: list[str], expected: int,
                     writes: dict[str, list[UpdateOne]] | None = None) -> float:
    """Seconds for a raw consumer group to store `expected` events (same documents, indexes),
    with their projection writes when `writes` is given (else the event documents only)."""
    client = open_client(mongo)
    db = client[f"bench_raw_{uuid.uuid4().hex[:6]}"]
    await EventStore(db).create_indexes()
    collection, items = db["events"], db[ITEMS]
    consumer = AIOKafkaConsumer(*topics, **kafka.client_options(), group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=BATCH)
    started = time.perf_counter()
    await consumer.start()
    try:
        stored = 0
        while stored < expected:
            batches = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            docs = [raw_document(r.value) for records in batches.values() for r in records if r.value is not None]
            if docs:
                try:
                    await collection.insert_many(docs, ordered=False)
                except BulkWriteError:
                    pass  # duplicates of a redelivery
                if writes and (ops := [op for d in docs for op in writes.get(d["_id"], ())]):
                    await items.bulk_write(ops, ordered=False)
                await consumer.commit()
                stored += len(docs)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await client.close()


async def notify_ingest(kafka: KafkaSettings, mongo: MongoSettings, expected: int,
                        timeout: float) -> tuple[float, dict[str, str]]:
    """Seconds for the notify service, started fresh, to hold `expected` events in its read
    model, and its settings (database, consumer group): the Monday run goes on from this read
    model rather than filling a second one. Progress is watched on the broker (its group's
    committed offsets, which it commits only after storing a batch: notify's own
    `ConsumerProgress`), not by counting the store, which would load the store being measured;
    the count is checked once at the end."""
    settings = {"database": f"bench_notify_{uuid.uuid4().hex[:6]}",
                "consumer_group": f"fourx-notify-bench-{uuid.uuid4().hex[:6]}"}
    service = offline(NotifyService(kafka, mongo, NotifySettings(**settings, schedule_every_seconds=0)))
    started = time.perf_counter()
    await service.start()
    try:
        if not await service.progress.caught_up(timeout):
            raise TimeoutError(f"notify did not consume every event in {timeout:.0f}s")
        elapsed = time.perf_counter() - started
        stored = await service.runtime.db["events"].count_documents({})
        if stored < expected:
            raise RuntimeError(f"notify's read model holds {stored} of {expected} events")
        return elapsed, settings
    finally:
        await service.stop()
