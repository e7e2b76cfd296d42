"""Kafka plumbing every service shares: a broker with safe defaults, event publishing per
the contract, at-least-once subscribers that move bad records to `<topic>.dlq`, topic setup.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic_settings import BaseSettings, SettingsConfigDict

from fourx_contracts.envelope import CONTENT_TYPE, CloudEvent, InvalidEvent
from fourx_contracts.events import COMPACTED_TOPICS, TOPICS, Payload, dlq_topic, validate_payload

log = structlog.get_logger("fourx.kafka")


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap: str = "127.0.0.1:9092"
    partitions: int = 6


def create_broker(settings: KafkaSettings, client_id: str) -> KafkaBroker:
    """aiokafka's producer defaults to acks=1 without idempotence: a leader crash can lose or
    duplicate records. Every fourx producer waits for all replicas and is idempotent."""
    return KafkaBroker(
        settings.bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        graceful_timeout=15.0,
        # One INFO line per record drowns the logs an ops team reads; keep them at DEBUG.
        log_level=logging.DEBUG,
    )


@dataclass(frozen=True)
class ReceivedEvent:
    """A record that passed validation: its envelope, its typed payload and where it came from."""

    envelope: CloudEvent
    payload: Payload
    topic: str
    partition: int
    offset: int


EventHandler = Callable[[ReceivedEvent], Awaitable[None]]


def decode_record(topic: str, value: bytes | None) -> tuple[CloudEvent, Payload]:
    envelope = CloudEvent.from_json_bytes(value)
    return envelope, validate_payload(envelope, topic)


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    # FastStream would json-decode the body before our handler runs and fail on garbage;
    # we decode ourselves so a bad record can be moved to the DLQ instead.
    return message.body


def _at_least_once(group_id: str) -> dict[str, Any]:
    """Subscriber options that replace FastStream's unsafe Kafka defaults (auto-commit before
    handling, `latest`): commit after the handler returned, start a new group at the beginning,
    and decode bodies ourselves so bad records can be moved to the DLQ."""
    return {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "decoder": _raw_body,
        # A bulletin or a bulk write may take a while; don't drop out of the group for it.
        "max_poll_interval_ms": 600_000,
    }


def subscribe_events(
    broker: KafkaBroker,
    topics: Iterable[str],
    *,
    group_id: str,
    handler: EventHandler,
) -> None:
    """Subscribe `handler` to `topics` with at-least-once delivery.

    The offset is committed only after the handler returned, so a crash redelivers (handlers
    are idempotent by event id). A record that is not a valid event is published to
    `<topic>.dlq` with the error in its headers and then skipped, so it never blocks its
    partition; any other exception rewinds the partition and the record is tried again.
    """
    topics = tuple(topics)

    async def on_record(body: bytes, msg: KafkaMessage) -> None:
        record = msg.raw_message
        try:
            envelope, payload = decode_record(record.topic, record.value)
        except InvalidEvent as exc:
            await send_to_dlq(broker, record, str(exc), group_id)
            return
        await handler(ReceivedEvent(envelope, payload, record.topic, record.partition, record.offset))

    on_record.__name__ = f"{group_id}_events"
    broker.subscriber(*topics, **_at_least_once(group_id))(on_record)


BatchHandler = Callable[[list[ReceivedEvent]], Awaitable[None]]


def subscribe_event_batches(
    broker: KafkaBroker,
    topics: Iterable[str],
    *,
    group_id: str,
    handler: BatchHandler,
    max_records: int = 500,
    batch_timeout_ms: int = 200,
) -> None:
    """The batch variant of `subscribe_events`, for consumers that write in bulk.

    `handler` gets every valid event of a poll (up to `max_records`, any mix of topics and
    partitions) at once. Same guarantees: offsets are committed only after it returned; an
    exception rewinds every partition of the batch to its first record and the whole batch
    is tried again (so the handler must be idempotent by event id); invalid records go to
    `<topic>.dlq` once the valid ones are handled, and never block their partition.
    """
    topics = tuple(topics)

    async def on_batch(body: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        valid: list[ReceivedEvent] = []
        invalid: list[tuple[Any, str]] = []
        for record in records:
            try:
                envelope, payload = decode_record(record.topic, record.value)
            except InvalidEvent as exc:
                invalid.append((record, str(exc)))
                continue
            valid.append(ReceivedEvent(envelope, payload, record.topic, record.partition, record.offset))
        if valid:
            await handler(valid)
        for record, error in invalid:
            await send_to_dlq(broker, record, error, group_id)

    on_batch.__name__ = f"{group_id}_event_batches"
    broker.subscriber(*topics, batch=True, max_records=max_records, batch_timeout_ms=batch_timeout_ms,
                      **_at_least_once(group_id))(on_batch)


async def send_to_dlq(broker: KafkaBroker, record: Any, error: str, group_id: str) -> None:
    headers = {
        "dlq-error": error[:4000],
        "dlq-topic": record.topic,
        "dlq-partition": str(record.partition),
        "dlq-offset": str(record.offset),
        "dlq-group": group_id,
    }
    for key, value in record.headers or ():
        headers.setdefault(f"original-{key}", value.decode(errors="replace") if isinstance(value, bytes) else str(value))
    log.warning("record moved to DLQ", topic=record.topic, partition=record.partition,
                offset=record.offset, error=error)
    await broker.publish(record.value or b"", dlq_topic(record.topic), key=record.key, headers=headers)


async def publish_event(broker: KafkaBroker, event: CloudEvent) -> None:
    """One topic per event type, key = district, value = structured-mode CloudEvent JSON."""
    await broker.publish(
        event.to_json_bytes(),
        event.type,
        key=event.district.encode(),
        headers={"content-type": CONTENT_TYPE},
        correlation_id=event.correlationid,
    )


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str] = TOPICS) -> list[str]:
    """Create the catalog's topics and their DLQs where missing; returns what was created."""
    wanted: list[NewTopic] = []
    for topic in topics:
        configs = {"cleanup.policy": "compact"} if topic in COMPACTED_TOPICS else {}
        wanted.append(NewTopic(topic, settings.partitions, 1, topic_configs=configs))
        wanted.append(NewTopic(dlq_topic(topic), settings.partitions, 1))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="fourx-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another replica created them first
        return [t.name for t in missing]
    finally:
        await admin.close()
