"""Kafka plumbing every service shares: a broker with safe defaults, event publishing per
the contract, at-least-once subscribers that move bad records to `<topic>.dlq`, topic setup.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from contextlib import AbstractContextManager
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from fourx_contracts.envelope import CONTENT_TYPE, CloudEvent, InvalidEvent
from fourx_contracts.events import COMPACTED_TOPICS, TOPICS, Payload, dlq_topic, validate_payload
from fourx_platform.failures import FailurePolicy, GaveUp, TransientError, is_transient
from fourx_platform.logs import event_context
from fourx_contracts.producers import check_provenance
from fourx_platform import tracing

log = structlog.get_logger("fourx.kafka")


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap: str = "127.0.0.1:9092"
    partitions: int = 6
    # A cluster of three keeps every write on two nodes before it is acknowledged (acks=all),
    # so losing one node loses nothing and stops nothing. One node locally.
    replication: int = 1
    min_insync_replicas: int = 1
    # Who this process is to the broker. PLAINTEXT (no authentication) only where the broker
    # accepts it; the local broker and production take SASL_PLAINTEXT / SASL_SSL with SCRAM,
    # one principal per service (README, "Kafka: SASL and ACLs"). KAFKA_SSL_CAFILE names the
    # CA that signed the brokers' certificates for SASL_SSL.
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-256"
    username: str | None = None
    password: SecretStr | None = None
    ssl_cafile: str | None = None

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL")

    def as_principal(self, username: str, password: str) -> "KafkaSettings":
        """The same broker, authenticated as another principal."""
        return self.model_copy(update={"username": username, "password": SecretStr(password)})

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.security_protocol != "SASL_SSL":
            return None
        return ssl.create_default_context(cafile=self.ssl_cafile)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.security_protocol}
        if self.sasl:
            if not self.username or self.password is None:
                raise ValueError(f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_USERNAME "
                                 "and KAFKA_PASSWORD")
            options |= {"sasl_mechanism": self.sasl_mechanism, "sasl_plain_username": self.username,
                        "sasl_plain_password": self.password.get_secret_value(),
                        "ssl_context": self._ssl_context()}
        return options

    def env(self) -> dict[str, str]:
        """These settings as the KAFKA_… variables another process reads."""
        values = self.model_dump(exclude_none=True)
        if self.password is not None:
            values["password"] = self.password.get_secret_value()
        return {f"KAFKA_{name.upper()}": str(value) for name, value in values.items()}

    def faststream_security(self) -> BaseSecurity | None:
        """The same, for FastStream's broker."""
        if not self.sasl:
            return None
        options = self.client_options()
        scram = SASLScram256 if self.sasl_mechanism == "SCRAM-SHA-256" else SASLScram512
        return scram(options["sasl_plain_username"], options["sasl_plain_password"],
                     ssl_context=options["ssl_context"], use_ssl=self.security_protocol == "SASL_SSL")


# The broker refuses a record over `message.max.bytes` (~1 MiB by default). A record near that
# limit grows by its DLQ headers, so the DLQ topics take twice as much and so do our producers.
DLQ_MAX_MESSAGE_BYTES = 2 * 1024 * 1024


def create_broker(settings: KafkaSettings, client_id: str, *, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    """aiokafka's producer defaults to acks=1 without idempotence: a leader crash can lose or
    duplicate records. Every fourx producer waits for all replicas and is idempotent.
    `middlewares`: FastStream broker middlewares (the service's metrics)."""
    return KafkaBroker(
        # FastStream takes a string as one host: a cluster's "a:1,b:2,c:3" must be a list, so
        # a service can start (or restart) while any one node is down.
        settings.bootstrap.split(","),
        client_id=client_id,
        security=settings.faststream_security(),
        # The project creates its topics (ensure_topics, as the admin); a service principal
        # may not, and FastStream's attempt at every subscriber start would only log refusals.
        allow_auto_create_topics=False,
        acks="all",
        enable_idempotence=True,
        max_request_size=DLQ_MAX_MESSAGE_BYTES + 64 * 1024,
        graceful_timeout=15.0,
        # One INFO line per record drowns the logs an ops team reads; keep them at DEBUG.
        log_level=logging.DEBUG,
        # A logger that propagates (FastStream's own print to stdout in a format of their
        # own): its lines take the process's format (fourx_platform.logs).
        logger=logging.getLogger("fourx.faststream"),
        middlewares=tuple(middlewares),
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


class Tombstone(Exception):
    """A null value on a compacted topic: compaction's marker, not an event; skipped."""


def decode_record(topic: str, value: bytes | None, key: bytes | None = None) -> tuple[CloudEvent, Payload]:
    """The event a record carries, or InvalidEvent (→ DLQ) saying why it is none."""
    if value is None and topic in COMPACTED_TOPICS:
        raise Tombstone(topic)
    envelope = CloudEvent.from_json_bytes(value)
    if key is not None and key != envelope.district.encode():
        # Contract: the key is the district. A record keyed for one district that names
        # another is neither district's event.
        raise InvalidEvent(f"record key {key.decode(errors='replace')!r} is not the event's district "
                           f"{envelope.district!r}")
    payload = validate_payload(envelope, topic)
    # The catalog's producer for this topic, and a plausible time (producers.py says why this
    # is a consistency check and the broker's ACLs are what bind a topic to its producer).
    check_provenance(envelope, topic)
    return envelope, payload


async def _received(broker: KafkaBroker, record: Any, group_id: str, policy: FailurePolicy) -> ReceivedEvent | None:
    """The event a record carries; None for a tombstone (skipped) or for a record that is no
    valid event, which is parked in its DLQ at once (one attempt: retrying cannot help)."""
    try:
        envelope, payload = decode_record(record.topic, record.value, record.key)
    except Tombstone:
        return None
    except InvalidEvent as exc:
        await send_to_dlq(broker, record, GaveUp(exc, 1), group_id, policy)
        return None
    return ReceivedEvent(envelope, payload, record.topic, record.partition, record.offset)


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
    policy: FailurePolicy | None = None,
) -> None:
    """Subscribe `handler` to `topics` with at-least-once delivery under the failure policy.

    The offset is committed only after the record was dealt with, so a crash redelivers
    (handlers are idempotent by event id). A record that is not a valid event goes to
    `<topic>.dlq` at once; one the handler keeps failing on goes there after the policy's
    bounded attempts; a transient failure is retried until it passes. No record holds its
    partition for longer than the policy's bound.
    """
    topics = tuple(topics)
    policy = policy or FailurePolicy.from_settings()
    handler = tracing.traced_event(broker, group_id, handler)  # each attempt in a span

    async def on_record(body: bytes, msg: KafkaMessage) -> None:
        record = msg.raw_message
        with _record_context(record, group_id):
            received = await _received(broker, record, group_id, policy)
            if received is None:
                return
            with event_context(received.envelope):
                gave_up = await policy.apply(lambda: handler(received))
                if gave_up is not None:
                    await send_to_dlq(broker, record, gave_up, group_id, policy)

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
    policy: FailurePolicy | None = None,
) -> None:
    """The batch variant of `subscribe_events`, for consumers that write in bulk.

    `handler` gets every valid event of a poll (up to `max_records`, any mix of topics and
    partitions) at once, and must be idempotent by event id. Same guarantees, and a failing
    record is isolated: when the batch fails permanently, its events are applied one by one
    under the policy, so the good ones are stored and only the bad one goes to its DLQ.
    """
    topics = tuple(topics)
    policy = policy or FailurePolicy.from_settings()
    handler = tracing.traced_batch(broker, group_id, handler)  # each attempt in a span per event

    async def on_batch(body: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        valid: list[tuple[Any, ReceivedEvent]] = []
        for record in records:
            with _record_context(record, group_id):
                if (received := await _received(broker, record, group_id, policy)) is not None:
                    valid.append((record, received))
        if not valid:
            return
        # A line about the whole batch names its group and size; one event's, that event.
        with event_context(valid[0][1].envelope if len(valid) == 1 else None, group=group_id, batch=len(valid)):
            try:
                await policy.until_transient_passes(lambda: handler([r for _, r in valid]))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning("batch failed; applying its events one by one", error=str(exc))
        for record, received in valid:
            with _record_context(record, group_id), event_context(received.envelope):
                gave_up = await policy.apply(lambda r=received: handler([r]))
                if gave_up is not None:
                    await send_to_dlq(broker, record, gave_up, group_id, policy)

    on_batch.__name__ = f"{group_id}_event_batches"
    broker.subscriber(*topics, batch=True, max_records=max_records, batch_timeout_ms=batch_timeout_ms,
                      **_at_least_once(group_id))(on_batch)


def _record_context(record: Any, group_id: str) -> AbstractContextManager[None]:
    """Where a record came from, on every log line written while it is handled."""
    return event_context(group=group_id, topic=record.topic, partition=record.partition, offset=record.offset)


def dlq_headers(record: Any, gave_up: GaveUp, group_id: str) -> dict[str, str]:
    headers = {
        "dlq-error": gave_up.message[:4000],
        "dlq-error-class": gave_up.error_class,
        "dlq-group": group_id,
        "dlq-attempts": str(gave_up.attempts),
        "dlq-topic": record.topic,
        "dlq-partition": str(record.partition),
        "dlq-offset": str(record.offset),
    }
    for key, value in record.headers or ():
        headers.setdefault(f"original-{key}", value.decode(errors="replace") if isinstance(value, bytes) else str(value))
    return headers


async def send_to_dlq(broker: KafkaBroker, record: Any, gave_up: GaveUp, group_id: str,
                      policy: FailurePolicy) -> None:
    """Park the record with its original key and value. A failed DLQ publish is transient:
    retried until it goes through, never skipped (the offset is not committed before)."""
    log.warning("record moved to DLQ", topic=record.topic, partition=record.partition, offset=record.offset,
                group=group_id, attempts=gave_up.attempts, error_class=gave_up.error_class, error=gave_up.message)
    headers = dlq_headers(record, gave_up, group_id)

    async def publish() -> None:
        try:
            await broker.publish(record.value or b"", dlq_topic(record.topic), key=record.key, headers=headers)
        except Exception as exc:
            raise TransientError(f"DLQ publish failed: {exc!r}") from exc

    await policy.until_transient_passes(publish)


class EventTooLarge(ValueError):
    """An event over `MAX_EVENT_BYTES`: refused before it is sent (a permanent failure)."""


# Under the broker's default `message.max.bytes` (1,048,588) with room for the key, headers and
# batch overhead. Checked before sending: a record the broker refuses would also leave the
# idempotent producer's sequence numbers out of step, and the next good record would fail with
# OutOfOrderSequenceNumber.
MAX_EVENT_BYTES = 1_000_000


def _checked_value(event: CloudEvent) -> bytes:
    value = event.to_json_bytes()
    if len(value) > MAX_EVENT_BYTES:
        raise EventTooLarge(f"{event.type} {event.id} is {len(value)} bytes; at most {MAX_EVENT_BYTES} may be sent")
    return value


async def publish_event(broker: KafkaBroker, event: CloudEvent) -> None:
    """One topic per event type, key = district, value = structured-mode CloudEvent JSON."""
    await send_event(broker, event, confirm=True)


async def send_event(broker: KafkaBroker, event: CloudEvent, *, confirm: bool = False) -> Any:
    """`publish_event` without waiting for the broker: the record is queued on the producer
    and the returned future completes when the broker acknowledged it (raises if it refused).
    Records queued one after another on one producer keep their order per partition."""
    return await broker.publish(
        _checked_value(event),
        event.type,
        key=event.district.encode(),
        headers={"content-type": CONTENT_TYPE},
        correlation_id=event.correlationid,
        no_confirm=not confirm,
    )


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str] = TOPICS) -> list[str]:
    """Create the catalog's topics and their DLQs where missing; returns what was created."""
    wanted: list[NewTopic] = []
    base = {"min.insync.replicas": str(settings.min_insync_replicas)}
    for topic in topics:
        configs = {**base, "cleanup.policy": "compact"} if topic in COMPACTED_TOPICS else base
        wanted.append(NewTopic(topic, settings.partitions, settings.replication, topic_configs=configs))
        wanted.append(NewTopic(dlq_topic(topic), settings.partitions, settings.replication,
                               topic_configs={**base, "max.message.bytes": str(DLQ_MAX_MESSAGE_BYTES)}))
    admin = AIOKafkaAdminClient(**settings.client_options(), client_id="fourx-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            response = await admin.create_topics(missing)
            # aiokafka returns per-topic errors instead of raising. "Already exists": another
            # replica created it first. Anything else (a principal without CREATE — the
            # services' are not allowed to, the admin creates topics) must not pass silently.
            failed = [(name, code, message) for name, code, message, *_ in response.topic_errors
                      if code not in (0, TopicAlreadyExistsError.errno)]
            if failed:
                raise RuntimeError(
                    f"creating topics as {settings.username or 'an anonymous client'} failed: "
                    + "; ".join(f"{name}: {for_code(code).__name__} {message or ''}".strip()
                                for name, code, message in failed))
        return [t.name for t in missing]
    finally:
        await admin.close()
