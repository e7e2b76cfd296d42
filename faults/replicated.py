"""Kafka helpers the broker and cluster cases share: topics created replicated before any
service starts (`ensure_topics` then finds them and leaves them be), and a full read of
topics from the beginning to reconcile against.

Invariant of `create_topics`: every catalog topic and its DLQ exists with `replication`
replicas and `min.insync.replicas` = `min_insync`, the compacted ones compacted, exactly as
`fourx_contracts.kafka.ensure_topics` would create them but for the replication settings.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from fourx_contracts.events import COMPACTED_TOPICS, TOPICS, dlq_topic


async def create_topics(bootstrap: str, partitions: int, replication: int, min_insync: int,
                        topics: Iterable[str] = TOPICS, with_dlq: bool = True) -> list[str]:
    wanted: list[NewTopic] = []
    for topic in topics:
        configs = {"min.insync.replicas": str(min_insync)}
        if topic in COMPACTED_TOPICS:
            configs["cleanup.policy"] = "compact"
        wanted.append(NewTopic(topic, partitions, replication, topic_configs=configs))
        if with_dlq:
            wanted.append(NewTopic(dlq_topic(topic), partitions, replication,
                                   topic_configs={"min.insync.replicas": str(min_insync)}))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="fourx-faults-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        return [t.name for t in missing]
    finally:
        await admin.close()


async def read_all(bootstrap: str, topics: Iterable[str], timeout: float = 60.0) -> list[Any]:
    """Every record of `topics` up to their end offsets as of now (no consumer group)."""
    topics = list(topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed")
    await consumer.start()
    try:
        parts: list[TopicPartition] = []
        for topic in topics:
            for p in consumer.partitions_for_topic(topic) or await _partitions(consumer, topic):
                parts.append(TopicPartition(topic, p))
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        todo = {tp for tp in parts if end[tp] > 0}
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while todo and time.monotonic() < deadline:
            for tp, batch in (await consumer.getmany(*todo, timeout_ms=500)).items():
                records.extend(r for r in batch if r.offset < end[tp])
                if batch and batch[-1].offset + 1 >= end[tp]:
                    todo.discard(tp)
            for tp in list(todo):  # compaction or transaction markers leave gaps at the end
                if await consumer.position(tp) >= end[tp]:
                    todo.discard(tp)
        if todo:
            raise TimeoutError(f"could not read {sorted(map(str, todo))} to their end within {timeout:.0f}s")
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(20):
        await consumer._client.force_metadata_update()  # noqa: SLF001 (no public refresh in aiokafka)
        found = consumer.partitions_for_topic(topic)
        if found:
            return found
        await asyncio.sleep(0.25)
    raise RuntimeError(f"topic {topic} has no partitions in the metadata")


async def send_events(bootstrap: str, events: Iterable[Any]) -> None:
    """Publish CloudEvents as the contract says (topic = type, key = district), acks=all and
    idempotent, each acknowledged before this returns."""
    from aiokafka import AIOKafkaProducer
    from fourx_contracts.envelope import CONTENT_TYPE

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(event.type, event.to_json_bytes(), key=event.district.encode(),
                                         headers=[("content-type", CONTENT_TYPE.encode())])
    finally:
        await producer.stop()
