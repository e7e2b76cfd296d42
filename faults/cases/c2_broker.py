"""c2: the broker dies mid-workload.

(i) One broker, as `make up` runs it, is SIGKILLed once 30 % of the workload was accepted,
stays dead `DOWN_S`, and is started again on the same data folder and ports.
(ii) On a 3-node KRaft cluster (every topic at replication 3, `min.insync.replicas` 2) the
node leading `issue-raised` partition 0 is SIGKILLed mid-publish and started again
`DOWN_S` later on its data folder. Two nodes keep an in-sync majority, so the acks=all,
idempotent producers go on once the partitions moved.

Commands only touch the store, so they go on being accepted while Kafka is away; the outbox
relays publish when it is back, and the chain meetings → issues → notify resumes. Holds when
nothing accepted is lost or doubled on Kafka or in any consumer's store. A broker fault
involves every district, so all are bystanders: `max delay` is the worst time from a
command's 2xx to its fact in notify's read model, and a district is stalled beyond
`STALL_BOUND_S`. The row adds the single broker's downtime, the cluster's failover time
(leader killed → a survivor leads) and when the restarted node was back in the ISR.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from fourx_local.kafka import kill_now

from faults.cluster import ClusterStack, elected_leader
from faults.drill import at, drill
from faults.harness import Stack
from faults.result import CaseResult
from faults.workload import Workload, districts

log = logging.getLogger("faults")

CASE = "c2 broker restart / leader killed"
DOWN_S = 3.0
STALL_BOUND_S = 90.0
DISTRICTS, DAYS = 4, 2


async def run(workdir: Path) -> CaseResult:
    started = time.monotonic()
    single, restart = await _single_broker(workdir / "single")
    cluster, timings = await _cluster(workdir / "cluster")
    rows = [single, cluster]
    for r in rows:
        log.info("c2 phase: %s", r)
    workload = (f"(i) 1 broker down {restart:.0f} s: {single.workload}; "
                f"(ii) 3 nodes, leader killed, {timings}: {cluster.workload}; {time.monotonic() - started:.0f} s")
    return CaseResult(CASE, workload, sum(r.lost for r in rows), sum(r.doubled for r in rows),
                      sum(r.stalled for r in rows), max(r.max_delay_s for r in rows),
                      error="; ".join(r.error for r in rows if r.error) or None)


async def _single_broker(workdir: Path) -> tuple[CaseResult, float]:
    downtime = [0.0]
    async with Stack(workdir) as stack:
        await stack.start()
        workload = Workload(stack, districts("c2a", DISTRICTS), days=DAYS, pace=0.05)

        async def fault() -> None:
            await at(workload, 0.3)
            assert stack.kafka_proc is not None
            log.info("SIGKILL the broker (pid %d) for %.0f s", stack.kafka_proc.pid, DOWN_S)
            await asyncio.to_thread(kill_now, stack.kafka_proc)
            killed = time.monotonic()
            await asyncio.sleep(DOWN_S)
            await stack.start_kafka()              # the same KafkaBroker: data folder and ports
            downtime[0] = time.monotonic() - killed
            log.info("broker back after %.1f s", downtime[0])

        result = await drill(CASE + " (i)", stack, workload, fault, stall_bound=STALL_BOUND_S)
    return result, downtime[0]


async def _cluster(workdir: Path) -> tuple[CaseResult, str]:
    timings: dict[str, float] = {}
    async with ClusterStack(workdir) as stack:
        began = time.monotonic()
        await stack.start_kafka()
        timings["cluster start"] = time.monotonic() - began
        cluster = stack.cluster
        assert cluster is not None
        victim = await elected_leader(cluster, "issue-raised", 0)
        stack.services_bootstrap = next(n.address for n in cluster.members if n.node_id != victim)
        await stack.start()                        # store, topics (found), services
        workload = Workload(stack, districts("c2b", DISTRICTS), days=DAYS, pace=0.05)

        async def fault() -> None:
            await at(workload, 0.3)
            leader = await cluster.leader_of("issue-raised", 0)
            log.info("SIGKILL node %d, leader of issue-raised/0", leader)
            await asyncio.to_thread(cluster.kill, leader)
            killed = time.monotonic()
            while await cluster.leader_of("issue-raised", 0) in (leader, -1) and time.monotonic() - killed < 60:
                await asyncio.sleep(0.1)
            timings["failover"] = time.monotonic() - killed
            await asyncio.sleep(max(0.0, DOWN_S - timings["failover"]))
            await asyncio.to_thread(cluster.start_node, leader)
            await cluster.wait_ready()
            while leader not in (await cluster.partition_state("issue-raised", 0))[1]:
                if time.monotonic() - killed > 120:
                    break
                await asyncio.sleep(0.25)
            timings["back in ISR"] = time.monotonic() - killed

        result = await drill(CASE + " (ii)", stack, workload, fault, stall_bound=STALL_BOUND_S)
    return result, ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
