"""Where generated events go: a JSON Lines file (one CloudEvent per line), or Kafka.

Kafka publishing is pipelined: `send()` only queues a record in the producer's batches and
returns a future; the futures of a window of records are awaited together, so the broker
acknowledges whole batches instead of one record per round trip. The producer is the
project's (`acks="all"`, idempotent, the same request size as `create_broker`), so what is
acknowledged is on every in-sync replica, and a retried batch is not written twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fourx_contracts.envelope import CONTENT_TYPE
from fourx_platform.kafka import DLQ_MAX_MESSAGE_BYTES, KafkaSettings

from fourx_local.seed.work import GeneratedEvent

HEADERS = [("content-type", CONTENT_TYPE.encode())]
WINDOW = 5_000


def producer_options(kafka: KafkaSettings) -> dict[str, Any]:
    """aiokafka producer options equal to what `fourx_platform.kafka.create_broker` sets."""
    return {**kafka.client_options(), "acks": "all", "enable_idempotence": True,
            "max_request_size": DLQ_MAX_MESSAGE_BYTES + 64 * 1024}


def write_jsonl(events: Iterable[GeneratedEvent], path: Path) -> int:
    count = 0
    with path.open("wb") as out:
        for event in events:
            out.write(event.value)
            out.write(b"\n")
            count += 1
    return count


async def publish(events: Iterable[GeneratedEvent], kafka: KafkaSettings, window: int = WINDOW,
                  **extra: Any) -> int:
    """Publish every event to its topic (key = district) and return how many the broker
    acknowledged; raises on the first record the broker refused."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(**producer_options(kafka), **extra)
    await producer.start()
    count = 0
    try:
        pending: list[asyncio.Future[Any]] = []
        for event in events:
            pending.append(await producer.send(event.type, event.value, key=event.key, headers=HEADERS))
            if len(pending) >= window:
                await asyncio.gather(*pending)
                count += len(pending)
                pending = []
        await asyncio.gather(*pending)
        return count + len(pending)
    finally:
        await producer.stop()
