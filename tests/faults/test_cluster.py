"""The 3-node KRaft cluster keeps an acks=all, idempotent producer whole through a leader's
SIGKILL: every record it was told was written is there, exactly once, and the killed node
comes back on its own data folder.

Starts its own three JVMs (small heaps), so it runs alone; about 30–40 s on 2 cores.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from fourx_platform.kafka import KafkaSettings, ensure_topics
from fourx_local.kafka import KafkaCluster

from faults.cluster import elected_leader
from faults.reconcile import read_all

pytestmark = pytest.mark.integration

N = 3000
TOPIC = "cluster-probe"


async def test_leader_killed_mid_publish_loses_and_doubles_nothing(tmp_path: Path) -> None:
    cluster = KafkaCluster(tmp_path / "cluster", nodes=3, partitions=3)
    try:
        cluster.start()
        await cluster.wait_ready()
        await ensure_topics(KafkaSettings(bootstrap=cluster.bootstrap, partitions=3, replication=cluster.replication,
                                          min_insync_replicas=cluster.min_insync), [TOPIC])
        leader = await elected_leader(cluster, TOPIC)

        producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all", enable_idempotence=True,
                                    linger_ms=5)
        await producer.start()
        try:
            futures = []
            for i in range(N):
                futures.append(await producer.send(TOPIC, str(i).encode(), key=str(i % 7).encode()))
                if i == N // 3:
                    await asyncio.gather(*futures)      # a third is acknowledged before the fault
                    cluster.kill(leader)
                if i % 200 == 0:
                    await asyncio.sleep(0)
            acked = await asyncio.gather(*futures)      # raises if any record was refused
        finally:
            await producer.stop()
        assert len(acked) == N
        assert await cluster.leader_of(TOPIC, 0) not in (leader, -1)

        values = Counter(int(r.value) for r in await read_all(cluster.bootstrap, [TOPIC]))
        assert sorted(values) == list(range(N)), f"lost {N - len(values)}"
        assert [v for v, c in values.items() if c > 1] == []

        started = time.monotonic()
        cluster.start_node(leader)                       # the same data folder and ports
        await cluster.wait_ready(timeout=90)
        assert time.monotonic() - started < 90
    finally:
        cluster.stop()

