"""Events put on Kafka by a case itself, as an outside producer would (ops, another system):
per the contract (topic = type, key = district, structured-mode CloudEvent), acks=all and
idempotent, each acknowledged before `send_events` returns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from fourx_contracts.envelope import CONTENT_TYPE


async def send_events(bootstrap: str, events: Iterable[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(event.type, event.to_json_bytes(), key=event.district.encode(),
                                         headers=[("content-type", CONTENT_TYPE.encode())])
    finally:
        await producer.stop()
