"""How far a consumer group has got, so a report waits for every event sent before it.

`caught_up` takes the topics' end offsets when called and waits for the group's commits to
pass them. `caught_up_shared` is the same for many callers at once (a Monday run's 2,800
reports): a caller joins the next check that starts after it asked — a check that was already
running took its end offsets too early for it — so there is one check in flight, not one
per report, and each caller still waits for everything that existed when it asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fourx_platform.kafka import KafkaSettings
from fourx_platform.loops import poll_until


class ConsumerProgress:
    def __init__(self, kafka: KafkaSettings, group_id: str, topics: Iterable[str]):
        """As notify's principal: it may describe the topics and its own groups (access.py)."""
        self._group_id = group_id
        self._topics = tuple(topics)
        self._consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False,
                                          client_id=f"{group_id}-progress")
        self._admin = AIOKafkaAdminClient(**kafka.client_options(), client_id=f"{group_id}-progress")
        self._shared = SharedCheck(self.caught_up)

    async def start(self) -> None:
        await self._consumer.start()
        await self._admin.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self) -> list[TopicPartition]:
        """Every partition of the watched topics, asked of the cluster now. (The consumer's own
        metadata only knows topics that existed when it started, and it has no subscription
        to refresh it: relying on it saw no partitions at all on a fresh broker.)"""
        described = await self._admin.describe_topics(list(self._topics))
        found = [
            TopicPartition(topic["topic"], p["partition"])
            for topic in described
            for p in topic["partitions"]
        ]
        missing = set(self._topics) - {tp.topic for tp in found}
        if missing:
            raise RuntimeError(f"topics without partitions in the cluster: {sorted(missing)}")
        return found

    async def caught_up(self, timeout: float) -> bool:
        """Wait until the group has committed past every record that existed when called."""
        partitions = await self.partitions()
        ends = {tp: end for tp, end in (await self._consumer.end_offsets(partitions)).items() if end > 0}

        async def passed() -> bool:
            committed = await self._admin.list_consumer_group_offsets(self._group_id, partitions=list(ends))
            return all(tp in committed and committed[tp] is not None and committed[tp].offset >= end
                       for tp, end in ends.items())

        return await poll_until(passed, timeout)

    async def caught_up_shared(self, timeout: float) -> bool:
        """`caught_up` for many callers: one check at a time, each caller answered by the
        first check that began after it asked."""
        return await self._shared(timeout)


class SharedCheck:
    """One check in flight for many callers; a caller is answered by the first check that
    began after it asked (one already running may have looked too early for it)."""

    def __init__(self, check: Callable[[float], Awaitable[bool]]):
        self._check = check
        self._lock = asyncio.Lock()
        self.started = 0                                # checks begun so far
        self._finished: tuple[int, bool] = (0, False)   # (number of the last finished check, its answer)

    async def __call__(self, timeout: float) -> bool:
        asked_after = self.started
        async with self._lock:
            finished, answer = self._finished
            if finished > asked_after:
                return answer   # began after this caller asked: it covers it
            self.started += 1
            number = self.started
            answer = await self._check(timeout)
            self._finished = (number, answer)
            return answer
