"""`lag`: how far behind each consumer group is, per topic and partition, and whether it is
moving. Two samples `window` seconds apart: a partition with lag whose committed offset did
not move in between is STUCK (a consumer held on a record, or no consumer at all); one that
moved is catching up. Lag is the end offset minus the committed offset (what a restart would
redeliver from), read without joining the group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from fourx_ops.connection import Connection

OK, MOVING, BEHIND, STUCK = "ok", "moving", "behind", "STUCK"


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int
    moved: bool | None          # None: sampled once (window 0)

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)

    @property
    def state(self) -> str:
        if self.lag == 0:
            return OK
        if self.moved is None:
            return BEHIND
        return MOVING if self.moved else STUCK


Offsets = dict[tuple[str, TopicPartition], int]


async def _committed(admin: AIOKafkaAdminClient, groups: Iterable[str]) -> Offsets:
    found: Offsets = {}
    for group in groups:
        for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
            if meta.offset >= 0:  # -1: the group has the partition but never committed on it
                found[(group, tp)] = meta.offset
    return found


def wanted_group(group: str, prefixes: Iterable[str]) -> bool:
    prefixes = tuple(prefixes)
    return not prefixes or group.startswith(prefixes)


async def lag(connection: Connection, *, window: float = 5.0, groups: Iterable[str] = ()) -> list[PartitionLag]:
    """Every committed partition of every consumer group (or of the groups starting with one
    of `groups`), sampled twice `window` seconds apart; sorted by group, topic, partition."""
    prefixes = tuple(groups)
    admin = AIOKafkaAdminClient(**connection.client_options(), client_id="fourx-ops")
    consumer = AIOKafkaConsumer(**connection.client_options(), group_id=None, enable_auto_commit=False,
                                client_id="fourx-ops")
    await admin.start()
    try:
        await consumer.start()
        listed = await admin.list_consumer_groups()
        names = sorted({g[0] for g in listed if wanted_group(g[0], prefixes) and g[1] in ("consumer", "")})
        before = await _committed(admin, names)
        if window > 0:
            await asyncio.sleep(window)
            after = await _committed(admin, names)
        else:
            after = before
        partitions = sorted({tp for _, tp in after}, key=lambda tp: (tp.topic, tp.partition))
        ends = await consumer.end_offsets(partitions) if partitions else {}
    finally:
        await consumer.stop()
        await admin.close()
    rows = [PartitionLag(group, tp.topic, tp.partition, offset, ends[tp],
                         None if window <= 0 else before.get((group, tp)) != offset)
            for (group, tp), offset in after.items()]
    return sorted(rows, key=lambda r: (r.group, r.topic, r.partition))


def any_stuck(rows: Iterable[PartitionLag]) -> bool:
    return any(r.state == STUCK for r in rows)
