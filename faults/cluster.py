"""The drill stack on a 3-node KRaft cluster instead of one broker (case c2).

Invariants: every catalog topic (and DLQ) exists with replication 3 and
`min.insync.replicas` 2 before any service starts (the services' own `ensure_topics` then
finds them), the services are told the same (`KAFKA_REPLICATION`, `KAFKA_MIN_INSYNC_REPLICAS`),
and `close()` stops the three nodes as well as what `Stack` stops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fourx_platform.kafka import KafkaSettings, ensure_topics
from fourx_local.kafka import KafkaCluster

from faults.harness import Stack

log = logging.getLogger("faults")


@dataclass
class ClusterStack(Stack):
    nodes: int = 3
    cluster: KafkaCluster | None = None
    # FastStream reads a bootstrap string as one host (`create_broker` passes
    # KafkaSettings.bootstrap unsplit), so services get one node's address. Clients learn
    # every broker from the metadata; only a fresh start needs that node up.
    services_bootstrap: str = ""

    async def start_kafka(self) -> None:
        if self.cluster is None:
            self.cluster = KafkaCluster(self.workdir / "kafka", nodes=self.nodes, partitions=self.partitions)
        log.info("starting a %d-node Kafka cluster", self.nodes)
        await asyncio.to_thread(self.cluster.start)
        await self.cluster.wait_ready()
        self.kafka = self.cluster  # type: ignore[assignment]  (Stack only reads .bootstrap)
        await ensure_topics(self.kafka_settings())

    def kafka_settings(self) -> KafkaSettings:
        assert self.cluster is not None
        return KafkaSettings(bootstrap=self.cluster.bootstrap, partitions=self.partitions,
                             replication=self.cluster.replication, min_insync_replicas=self.cluster.min_insync)

    def _replica_env(self) -> dict[str, str]:
        assert self.cluster is not None
        env = super()._replica_env()
        env["KAFKA_BOOTSTRAP"] = self.services_bootstrap or self.cluster.members[0].address
        env["KAFKA_REPLICATION"] = str(self.cluster.replication)
        env["KAFKA_MIN_INSYNC_REPLICAS"] = str(self.cluster.min_insync)
        return env

    async def close(self) -> None:
        await super().close()
        if self.cluster is not None:
            await asyncio.to_thread(self.cluster.stop)


async def elected_leader(cluster: KafkaCluster, topic: str, partition: int = 0, timeout_s: float = 30.0) -> int:
    for _ in range(int(timeout_s / 0.25)):
        leader = await cluster.leader_of(topic, partition)
        if leader > 0:
            return leader
        await asyncio.sleep(0.25)
    raise RuntimeError(f"{topic}/{partition} has no leader")
