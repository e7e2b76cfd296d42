"""Consumer lag of a service's own consumer groups, and whether it moves.

Lag is a partition's end offset minus the group's committed offset (what a restart would
redeliver from; the log start when the group never committed there). A partition is
*stalled* while it has lag and its committed offset has not moved: a consumer held on a
record (a transient failure is retried in place for up to the policy's window, holding the
partition), or no consumer at all. `LagTracker` remembers since when each committed offset
stood still (pure, unit-tested); `LagSampler` reads the offsets from the cluster, as the
service's own principal (it may describe its topics and its own groups).

Every replica samples the whole group, not only the partitions it holds: a replica cannot
tell a stuck partition of its sibling from one nobody holds, and both need an operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from fourx_platform.kafka import KafkaSettings

Key = tuple[str, str, int]   # group, topic, partition


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int
    stalled_seconds: float   # how long the committed offset has stood still with lag (0: moving or none)

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


@dataclass(frozen=True)
class Reading:
    group: str
    topic: str
    partition: int
    committed: int
    end: int


class LagTracker:
    """Since when each partition's committed offset has stood still while it had lag."""

    def __init__(self) -> None:
        self._since: dict[Key, tuple[int, float]] = {}   # key → (committed offset, since)

    def observe(self, readings: Iterable[Reading], now: float) -> list[PartitionLag]:
        """The partitions of this sample; one missing from it is forgotten."""
        seen: dict[Key, tuple[int, float]] = {}
        rows = []
        for r in readings:
            key = (r.group, r.topic, r.partition)
            before = self._since.get(key)
            lagging = r.end > r.committed
            since = before[1] if before is not None and before[0] == r.committed and lagging else now
            seen[key] = (r.committed, since)
            rows.append(PartitionLag(r.group, r.topic, r.partition, r.committed, r.end,
                                     now - since if lagging else 0.0))
        self._since = seen
        return sorted(rows, key=lambda p: (p.group, p.topic, p.partition))


def consumer_groups(broker: Any) -> dict[str, tuple[str, ...]]:
    """The consumer groups a FastStream broker's subscribers join, and their topics."""
    groups: dict[str, set[str]] = {}
    for subscriber in broker.subscribers:
        group = getattr(subscriber, "group_id", None)
        if group:
            groups.setdefault(group, set()).update(getattr(subscriber, "topic_names_for_subscribe", ()))
    return {group: tuple(sorted(topics)) for group, topics in groups.items()}


class LagSampler:
    """Reads committed, start and end offsets; its clients start at the first sample."""

    def __init__(self, kafka: KafkaSettings, client_id: str):
        self._kafka = kafka
        self._client_id = client_id
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(**self._kafka.client_options(), client_id=self._client_id)
            consumer = AIOKafkaConsumer(**self._kafka.client_options(), group_id=None, enable_auto_commit=False,
                                        client_id=self._client_id)
            await admin.start()
            try:
                await consumer.start()
            except BaseException:
                await admin.close()
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def _topic_partitions(self, admin: AIOKafkaAdminClient, topics: Iterable[str]) -> list[TopicPartition]:
        # Partitions are asked of the cluster (the consumer without a subscription has no
        # metadata for them), once per topic: a topic's partition count is set at creation.
        missing = [t for t in topics if t not in self._partitions]
        if missing:
            for described in await admin.describe_topics(missing):
                found = [TopicPartition(described["topic"], p["partition"]) for p in described["partitions"]]
                if found:
                    self._partitions[described["topic"]] = found
        return [tp for t in topics for tp in self._partitions.get(t, ())]

    async def sample(self, groups: Mapping[str, Iterable[str]]) -> list[Reading]:
        if not groups:
            return []
        admin, consumer = await self._clients()
        wanted = {group: await self._topic_partitions(admin, topics) for group, topics in groups.items()}
        everything = sorted({tp for tps in wanted.values() for tp in tps})
        if not everything:
            return []
        ends = await consumer.end_offsets(everything)
        starts = await consumer.beginning_offsets(everything)
        readings = []
        for group, partitions in wanted.items():
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            for tp in partitions:
                meta = committed.get(tp)
                # Never committed (or below the log start, deleted by retention): the group
                # would start from the log start (auto_offset_reset=earliest).
                offset = max(meta.offset if meta is not None else -1, starts[tp])
                readings.append(Reading(group, tp.topic, tp.partition, offset, ends[tp]))
        return readings

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()
        self._admin = self._consumer = None
