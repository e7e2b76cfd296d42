"""Reading topics the way an operator must: with no consumer group at all (partitions are
assigned by hand and nothing is committed), so watching never joins, rebalances or moves a
service's group, and from where the operator says — the beginning, a moment
(`offsets_for_times`), or now.

Two ways to read: up to the end as it was when reading began (`follow=False`: trace, the DLQ
commands, `watch --no-follow`), or on and on (`follow=True`: `watch`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from fourx_contracts.events import TOPICS
from fourx_ops.connection import Connection
from fourx_ops.records import Seen, dlq_of

BEGINNING = "beginning"
END = "end"
Start = datetime | str   # BEGINNING, END or a UTC moment


def catalog_topics(with_dlqs: bool = True) -> list[str]:
    """Every topic of the catalog, and their DLQs."""
    return [*TOPICS, *(dlq_of(t) for t in TOPICS)] if with_dlqs else list(TOPICS)


class MissingTopics(LookupError):
    """Topics that do not exist, or that this principal may not describe (Kafka shows both alike)."""


class TopicReader:
    """A group-less consumer over `topics` (all their partitions)."""

    def __init__(self, connection: Connection, topics: Iterable[str], *, strict: bool = True):
        self.connection = connection
        self.wanted = list(dict.fromkeys(topics))
        # strict: a topic that is not there is an error (the operator named it); otherwise it
        # is left out (e.g. a DLQ no consumer has used yet, on a broker that auto-creates).
        self.strict = strict
        self.missing: list[str] = []
        self.partitions: list[TopicPartition] = []
        self._consumer = AIOKafkaConsumer(**connection.client_options(), group_id=None, enable_auto_commit=False,
                                          auto_offset_reset="earliest", client_id="fourx-ops")

    async def __aenter__(self) -> "TopicReader":
        await self._consumer.start()
        try:
            # The consumer's public `topics()` fetches the same metadata and drops it; the
            # partitions of topics it is not subscribed to are only in what this returns.
            cluster = await self._consumer._client.fetch_all_metadata()
            visible = cluster.topics()
            self.missing = [t for t in self.wanted if t not in visible]
            if self.missing and self.strict:
                raise MissingTopics(f"no such topic (or {self.connection.username or 'this client'} may not "
                                    f"describe it): {', '.join(self.missing)}")
            for topic in self.wanted:
                if topic in visible:
                    parts = cluster.partitions_for_topic(topic) or set()
                    self.partitions += [TopicPartition(topic, p) for p in sorted(parts)]
            self._consumer.assign(self.partitions)
        except BaseException:
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def seek(self, start: Start) -> None:
        if not self.partitions:
            return
        if start == BEGINNING:
            await self._consumer.seek_to_beginning(*self.partitions)
        elif start == END:
            await self._consumer.seek_to_end(*self.partitions)
        else:
            assert isinstance(start, datetime)
            wanted = {tp: int(start.timestamp() * 1000) for tp in self.partitions}
            found = await self._consumer.offsets_for_times(wanted)
            ends = await self._consumer.end_offsets(self.partitions)
            for tp in self.partitions:
                # None: nothing at or after that moment on this partition, so start at its end.
                at = found.get(tp)
                self._consumer.seek(tp, at.offset if at is not None else ends[tp])

    async def records(self, *, follow: bool, idle_seconds: float = 10.0) -> AsyncIterator[Seen]:
        """The records from where `seek` put each partition. Not following: up to the ends
        the partitions had when this was called (stopping early only if nothing arrives for
        `idle_seconds` while short of them, e.g. the end is a compacted-away offset)."""
        if not self.partitions:
            return
        ends = {} if follow else await self._consumer.end_offsets(self.partitions)
        last_progress = time.monotonic()
        while follow or not await self._caught_up(ends):
            batches = await self._consumer.getmany(timeout_ms=500, max_records=2000)
            if batches:
                last_progress = time.monotonic()
            elif not follow and time.monotonic() - last_progress > idle_seconds:
                return
            for tp_records in batches.values():
                for record in tp_records:
                    yield Seen.from_record(record)

    async def _caught_up(self, ends: dict[TopicPartition, int]) -> bool:
        for tp, end in ends.items():
            if await self._consumer.position(tp) < end:
                return False
        return True


async def read_all(connection: Connection, topics: Iterable[str], start: Start = BEGINNING,
                   *, strict: bool = False) -> list[Seen]:
    """Every record of `topics` from `start` up to their current ends."""
    async with TopicReader(connection, topics, strict=strict) as reader:
        await reader.seek(start)
        return [seen async for seen in reader.records(follow=False)]
