"""The live event stream behind `GET /api/events`, and the dev sign-in's view of every
district's directory — both read from Kafka as the `portal` principal (read-only ACLs,
fourx_platform.kafka_acl), without a consumer group and without committing offsets:

- `EventHub`: every catalog topic from the latest offsets; each record goes to the open
  streams of its district (the record key, the CloudEvent's `district`). A browser that falls
  `backlog` events behind is dropped (EventSource reconnects) rather than slowing the others.
- `DirectoryFeed` (dev mode only): the compacted `directory-updated` topic from the start,
  so the picker lists every district's people with their roles as meetings published them.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from fourx_contracts.events import TOPICS
from fourx_platform.kafka import KafkaSettings

log = structlog.get_logger("fourx.portal.events")

DIRECTORY_TOPIC = "directory-updated"
RETRY_SECONDS = 2.0


def _district_of(key: bytes | None, event: dict[str, Any]) -> str | None:
    district = event.get("district")
    if isinstance(district, str) and district:
        return district
    return key.decode("utf-8", "replace") if key else None


class _Reader:
    """One group-less consumer run as a task of the lifespan, restarted while Kafka is away."""

    name = "reader"
    topics: tuple[str, ...] = ()
    offset_reset = "latest"

    def __init__(self, settings: KafkaSettings):
        self.settings = settings
        self.ready = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"portal-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(*self.topics, **self.settings.client_options(), group_id=None,
                                        enable_auto_commit=False, auto_offset_reset=self.offset_reset,
                                        client_id=f"fourx-portal-{self.name}")
            try:
                await consumer.start()
                await self._positioned(consumer)
                self.ready.set()
                log.info("reading events", reader=self.name, topics=len(self.topics))
                async for record in consumer:
                    try:
                        event = json.loads(record.value or b"null")
                    except ValueError:
                        continue  # not a CloudEvent: nothing to show
                    if isinstance(event, dict):
                        self.received(record.key, event)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                self.ready.clear()
                log.warning("event reader interrupted; retrying", reader=self.name, error=repr(exc))
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                await consumer.stop()

    async def _positioned(self, consumer: AIOKafkaConsumer) -> None:
        """Until partitions are assigned and their positions known: only then is a record
        written afterwards certain to be seen."""
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        for partition in consumer.assignment():
            await consumer.position(partition)

    def received(self, key: bytes | None, event: dict[str, Any]) -> None:
        raise NotImplementedError


class EventHub(_Reader):
    name = "events"
    topics = TOPICS

    def __init__(self, settings: KafkaSettings, backlog: int = 1000):
        super().__init__(settings)
        self.backlog = backlog
        self._streams: dict[str, set[asyncio.Queue]] = defaultdict(set)

    def received(self, key: bytes | None, event: dict[str, Any]) -> None:
        district = _district_of(key, event)
        for queue in list(self._streams.get(district or "", ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(district or "", queue)

    def _drop(self, district: str, queue: asyncio.Queue) -> None:
        self._streams[district].discard(queue)
        # Wake the stream so it ends: a None after draining what is queued.
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)

    @asynccontextmanager
    async def stream(self, district: str) -> AsyncIterator[asyncio.Queue]:
        """Events of `district` from now on; None in the queue: the stream fell behind."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=self.backlog)
        self._streams[district].add(queue)
        try:
            yield queue
        finally:
            self._streams[district].discard(queue)
            if not self._streams[district]:
                del self._streams[district]

    def listeners(self, district: str) -> int:
        return len(self._streams.get(district, ()))


class DirectoryFeed(_Reader):
    name = "directory"
    topics = (DIRECTORY_TOPIC,)
    offset_reset = "earliest"

    def __init__(self, settings: KafkaSettings):
        super().__init__(settings)
        self._directories: dict[str, dict[str, Any]] = {}

    def received(self, key: bytes | None, event: dict[str, Any]) -> None:
        district = _district_of(key, event)
        data = event.get("data")
        if district and isinstance(data, dict):
            self._directories[district] = data

    def districts(self) -> list[str]:
        return sorted(self._directories)

    def directory(self, district: str) -> dict[str, Any] | None:
        return self._directories.get(district)

    def all(self) -> Iterable[tuple[str, dict[str, Any]]]:
        return sorted(self._directories.items())

    def cities(self) -> dict[str, list[dict[str, str]]]:
        """city → its districts ({district, name}), by the `city` each latest directory names."""
        found: dict[str, list[dict[str, str]]] = {}
        for district, data in sorted(self._directories.items()):
            city = data.get("city")
            if isinstance(city, str) and city:
                found.setdefault(city, []).append({"district": district,
                                                   "name": data.get("district_name") or district})
        return dict(sorted(found.items()))


def sse_message(event: dict[str, Any]) -> bytes:
    """One CloudEvent as an SSE message: `event:` its type, `id:` its id, `data:` its JSON."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    lines = [f"event: {event.get('type', 'message')}", f"id: {event.get('id', '')}"]
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return ("\n".join(lines) + "\n\n").encode("utf-8")
