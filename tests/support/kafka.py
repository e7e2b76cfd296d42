"""Test helpers that talk to Kafka with the raw client, outside any service."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fourx_platform.kafka import KafkaSettings
from fourx_contracts.producers import expected_source


def source_of(topic: str) -> str:
    """The `source` consumers accept on `topic`: its producer's (tests stand in for it)."""
    return expected_source(topic) or "/tests"


def client_options(kafka: KafkaSettings | str) -> dict[str, Any]:
    """aiokafka options for these settings (a principal's), or for a bare bootstrap address."""
    return kafka.client_options() if isinstance(kafka, KafkaSettings) else {"bootstrap_servers": kafka}


class EventTap:
    """Reads topics from the beginning (no consumer group) and keeps every record."""

    def __init__(self, kafka: KafkaSettings | str, topics: Iterable[str]):
        self._consumer = AIOKafkaConsumer(*topics, **client_options(kafka), auto_offset_reset="earliest",
                                          enable_auto_commit=False, group_id=None)
        self.records: list[Any] = []

    async def __aenter__(self) -> "EventTap":
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def _poll(self) -> None:
        batches = await self._consumer.getmany(timeout_ms=200)
        for records in batches.values():
            self.records.extend(records)

    def events(self, topic: str, district: str | None = None) -> list[dict]:
        out = []
        for r in self.records:
            if r.topic != topic or r.value is None:  # a tombstone on a compacted topic is no event
                continue
            try:
                body = json.loads(r.value)
            except ValueError:
                continue
            if district is None or body.get("district") == district:
                out.append(body)
        return out

    async def wait_for(self, predicate: Callable[["EventTap"], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s; saw {len(self.records)} records")
            await self._poll()

    async def settle(self, seconds: float = 1.5) -> None:
        """Keep reading for a while, to see that nothing more arrives."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self._poll()


async def produce(kafka: KafkaSettings | str, topic: str, value: bytes | None, key: bytes | None,
                  headers: list[tuple[str, bytes]] | None = None) -> None:
    producer = AIOKafkaProducer(**client_options(kafka), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def sleep_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.2)
