"""Part 2, publish: the outbox relay draining E pending events against raw pipelined aiokafka
publish of the same events with the same producer settings (acks=all, idempotent).

The pending entries sit in aggregate documents as the services keep them (`_outbox`): the
events of one aggregate (their CloudEvent `subject`) within a stretch of the stream share a
document, in their order. The relay is the services' own (`ServiceRuntime.outbox_relay`'s
shape: `OutboxRelay(send=send_event on a create_broker broker)`), drained pass after pass
until nothing is pending. Optionally also the relay publishing one entry at a time and
waiting for each (what it did before), for the comparison.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from fourx_platform.kafka import KafkaSettings, create_broker, publish_event, send_event
from fourx_platform.mongo import MongoSettings, open_client
from fourx_platform.outbox import OUTBOX_FIELD, WINDOW, OutboxRelay
from pymongo import UpdateOne

from fourx_local.seed import GeneratedEvent
from fourx_local.seed.sinks import publish as raw_publish

CHUNK = 10_000  # events grouped into aggregate documents per stretch of the stream


async def fill_outbox(mongo: MongoSettings, events: Iterable[GeneratedEvent]) -> tuple[str, int, int]:
    """(database name, entries, documents): a fresh outbox holding these events as pending."""
    name = f"bench_outbox_{uuid.uuid4().hex[:6]}"
    client = open_client(mongo)
    entries = documents = 0
    try:
        collection = client[name]["aggregates"]
        it = iter(events)
        for stretch in itertools.count():
            chunk = list(itertools.islice(it, CHUNK))
            if not chunk:
                break
            docs: dict[str, dict[str, Any]] = {}
            for e in chunk:
                body = json.loads(e.value)
                doc_id = f"{e.district}/{e.subject}#{stretch}"
                docs.setdefault(doc_id, {"_id": doc_id, "state": "stored", OUTBOX_FIELD: []})[OUTBOX_FIELD].append(body)
            await collection.insert_many(list(docs.values()), ordered=False)
            entries += len(chunk)
            documents += len(docs)
        return name, entries, documents
    finally:
        await client.close()


async def drain(kafka: KafkaSettings, mongo: MongoSettings, database: str, expected: int, pipelined: bool) -> float:
    """Seconds for the relay to publish every pending entry of the outbox."""
    client = open_client(mongo)
    broker = create_broker(kafka, client_id="bench-relay")
    await broker.start()
    try:
        collection = client[database]["aggregates"]
        if pipelined:
            relay = OutboxRelay([collection], send=lambda e: send_event(broker, e))
        else:
            relay = OutboxRelay([collection], lambda e: publish_event(broker, e))
        started = time.perf_counter()
        sent = 0
        while sent < expected:
            done = await relay.publish_pending()
            if done == 0:
                raise RuntimeError(f"the relay published {sent} of {expected} entries and stopped")
            sent += done
        return time.perf_counter() - started
    finally:
        await broker.stop()
        await client.close()


async def removal_ceiling(mongo: MongoSettings, database: str, window: int = WINDOW) -> tuple[int, float]:
    """(entries, seconds) to remove every pending entry with the relay's own writes — one
    `$pull` per document, in bulk per window of entries — and no Kafka: the store's share."""
    client = open_client(mongo)
    try:
        collection = client[database]["aggregates"]
        pending = [(d["_id"], [e["id"] for e in d[OUTBOX_FIELD]])
                   async for d in collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {f"{OUTBOX_FIELD}.id": 1})]
        started, entries, batch, in_batch = time.perf_counter(), 0, [], 0
        for doc_id, ids in pending:
            batch.append(UpdateOne({"_id": doc_id}, {"$pull": {OUTBOX_FIELD: {"id": {"$in": ids}}}}))
            in_batch += len(ids)
            if in_batch >= window:
                await collection.bulk_write(batch, ordered=False)
                entries, batch, in_batch = entries + in_batch, [], 0
        if batch:
            await collection.bulk_write(batch, ordered=False)
        return entries + in_batch, time.perf_counter() - started
    finally:
        await client.close()


async def raw(kafka: KafkaSettings, events: Iterable[GeneratedEvent]) -> tuple[int, float]:
    started = time.perf_counter()
    count = await raw_publish(events, kafka)
    return count, time.perf_counter() - started
