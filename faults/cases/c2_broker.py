"""c2: the broker dies mid-workload.

(i) One broker (as `make up` runs it) is SIGKILLed while districts send commands, stays down
`DOWN_S`, and is started again on the same data folder and ports.
(ii) On a 3-node KRaft cluster (topics at replication 3, `min.insync.replicas` 2) the node
leading `issue-raised` partition 0 is SIGKILLed mid-publish; it is started again after the
workload. The two survivors keep an in-sync majority, so acks=all producers go on.

The issues and notify services run as their own processes; the workload raises supervision
items and records progress over HTTP (`faults.counted`). Commands only touch the store, so
they keep being accepted while Kafka is away; the outbox relays publish once it is back.

Holds when every accepted fact is on Kafka and in notify's read model exactly once (lost 0,
doubled 0). In a broker fault every district is involved, so `max delay` is the worst time
from a command's 2xx to its event in notify's read model over all districts, and a district
is stalled when its facts had not all arrived `SETTLE_S` after the workload ended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fourx_contracts.kafka import KafkaSettings, ensure_topics
from fourx_local.kafka import KafkaBroker, KafkaCluster, kill_now
from fourx_local.process import ManagedProcess, free_port
from fourx_local.store import SecantusServer

from faults import counted, procs
from faults.replicated import create_topics
from faults.result import CaseResult

CASE = "c2 broker restart / leader killed"
DISTRICTS = 4
ITEMS = 10               # per district: 10 items + 10 progress records = 20 commands
PACE_S = 0.3
DOWN_S = 3.0             # (i) how long the single broker stays dead before it is started again
SETTLE_S = 120.0
PARTITIONS = 3

log = logging.getLogger("faults")


async def run(workdir: Path) -> CaseResult:
    started = time.monotonic()
    single = await _single_broker(workdir / "single")
    cluster = await _cluster(workdir / "cluster")
    rows = [single, cluster]
    (workdir / "c2-phases.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    workload = (f"(i) 1 broker SIGKILL {single.get('down_s', 0):.0f} s + restart: {single['workload']}; "
                f"(ii) 3 nodes, leader {cluster['killed']} SIGKILL (failover {cluster.get('failover_s', 0)} s): "
                f"{cluster['workload']}; "
                f"{time.monotonic() - started:.0f} s")
    return CaseResult(CASE, workload, sum(r["lost"] for r in rows), sum(r["doubled"] for r in rows),
                      sum(r["stalled"] for r in rows), max(r["max_delay_s"] for r in rows))


async def _single_broker(workdir: Path) -> dict:
    broker = KafkaBroker(workdir / "kafka", free_port(), free_port(), partitions=PARTITIONS)
    kafka: list[ManagedProcess] = [await asyncio.to_thread(broker.start)]
    info: dict = {"phase": "single broker restart"}

    async def fault() -> None:
        await asyncio.to_thread(kill_now, kafka[0])
        killed = time.monotonic()
        await asyncio.sleep(DOWN_S)
        kafka[0] = await asyncio.to_thread(broker.start)        # same data folder, same ports
        info["down_s"] = round(time.monotonic() - killed, 1)

    try:
        await ensure_topics(KafkaSettings(bootstrap=broker.bootstrap, partitions=PARTITIONS))
        info.update(await _drill(workdir, broker.bootstrap, fault))
        return info
    finally:
        await asyncio.to_thread(kafka[0].stop)


async def _cluster(workdir: Path) -> dict:
    cluster = KafkaCluster(workdir / "kafka", nodes=3, partitions=PARTITIONS)
    info: dict = {"phase": "3-node cluster, leader killed"}
    try:
        began = time.monotonic()
        await asyncio.to_thread(cluster.start)
        await cluster.wait_ready()
        info["cluster_start_s"] = round(time.monotonic() - began, 1)
        # Replicated before any service starts; the services' ensure_topics then leaves them be.
        await create_topics(cluster.bootstrap, PARTITIONS, cluster.replication, cluster.min_insync)
        # FastStream takes a bootstrap string as one host (`create_broker` does not split the
        # list yet), so the services get one node: not the one that will be killed. Clients
        # learn every broker from the metadata; only a fresh start needs its bootstrap node.
        leader = await _elected(cluster, "issue-raised", 0)
        services_bootstrap = next(n.address for n in cluster.members if n.node_id != leader)
        victim: list[int] = []

        async def fault() -> None:
            leader = await cluster.leader_of("issue-raised", 0)
            victim.append(leader)
            await asyncio.to_thread(cluster.kill, leader)
            killed = time.monotonic()
            # Kafka's failover: until the controller moved the partition to a survivor.
            while await cluster.leader_of("issue-raised", 0) in (leader, -1):
                if time.monotonic() - killed > 60:
                    break
                await asyncio.sleep(0.1)
            info["failover_s"] = round(time.monotonic() - killed, 1)

        async def heal() -> None:
            if victim:
                began = time.monotonic()
                await asyncio.to_thread(cluster.start_node, victim[0])
                await cluster.wait_ready()
                # Back on its own data folder, it catches up and rejoins the ISR.
                while victim[0] not in (await cluster.partition_state("issue-raised", 0))[1]:
                    if time.monotonic() - began > 90:
                        break
                    await asyncio.sleep(0.25)
                info["rejoined_isr_s"] = round(time.monotonic() - began, 1)

        info.update(await _drill(workdir, services_bootstrap, fault, heal, reconcile_with=cluster.bootstrap))
        info["killed"] = f"node {victim[0]}" if victim else "none"
        return info
    finally:
        await asyncio.to_thread(cluster.stop)


async def _elected(cluster: KafkaCluster, topic: str, partition: int) -> int:
    for _ in range(60):
        leader = await cluster.leader_of(topic, partition)
        if leader > 0:
            return leader
        await asyncio.sleep(0.25)
    raise RuntimeError(f"{topic}/{partition} has no leader")


async def _drill(workdir: Path, bootstrap: str, fault: Callable[[], Awaitable[None]],
                 heal: Callable[[], Awaitable[None]] | None = None, reconcile_with: str | None = None) -> dict:
    """Store, issues and notify around `bootstrap`; the workload, `fault` once a third of it
    was accepted, `heal` after it; then the reconciliation."""
    store = SecantusServer(workdir / "store", free_port())
    store_proc = await asyncio.to_thread(store.start)
    services: list[ManagedProcess] = []
    try:
        env = {"KAFKA_BOOTSTRAP": bootstrap, "KAFKA_PARTITIONS": str(PARTITIONS), "MONGO_URI": store.uri}
        urls = {}
        for name in ("issues", "notify"):
            port = free_port()
            urls[name] = f"http://127.0.0.1:{port}"
            services.append(procs.spawn(name, port, env, workdir / "logs" / f"{name}.log"))
        for proc, url in zip(services, urls.values()):
            await procs.healthy(url, proc)

        districts = [f"{workdir.name}-d{i}" for i in range(1, DISTRICTS + 1)]
        ledger = counted.Ledger()
        total = DISTRICTS * ITEMS * 2
        async with counted.Watcher(store.uri, districts) as watcher:
            work = asyncio.create_task(counted.run(urls["issues"], districts, ITEMS, PACE_S, ledger))
            while ledger.commands < total // 3 and not work.done():
                await asyncio.sleep(0.05)
            fault_at = time.monotonic()
            await fault()
            await work
            if heal is not None:
                await heal()
            arrived = await watcher.until_all(ledger, SETTLE_S)
            result = await counted.reconcile(reconcile_with or bootstrap, store.uri, ledger, watcher)
        if not arrived:
            result.notes.append(f"not everything arrived within {SETTLE_S:.0f} s of the workload's end")
        (workdir / "notes.txt").write_text("\n".join(result.notes))
        return {"workload": f"{ledger.commands} commands, {len(districts)} districts, {len(ledger.accepted)} facts",
                "retried_requests": ledger.retries, "fault_after_s": round(fault_at - min(ledger.accepted.values()), 1),
                "lost": result.lost, "doubled": result.doubled, "stalled": result.stalled,
                "max_delay_s": result.max_delay_s, "notes": result.notes[:20]}
    finally:
        for proc in services:
            await asyncio.to_thread(proc.stop)
        await asyncio.to_thread(store_proc.stop)
