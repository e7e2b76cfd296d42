"""c6: consumer-group rebalances mid-workload — every service goes from 1 to 3 replicas and back
to 1 (the extra ones stopped with SIGTERM) — then a SIGTERM in the middle of a notify batch.

Rebalances move partitions between replicas while records are in flight: a record handled by
one replica and committed by none is handled again by the next (dropped by event id), and the
scheduled jobs every replica runs at start (the activity days of this and next month) must
not publish a fact twice. The batch: a burst of valid events for one district is produced
straight to Kafka; once notify's read model holds some but not all of them, the notify
process gets SIGTERM (a graceful stop, as an orchestrator scales down) and is started again;
the burst must end up stored exactly once. HTTP clients use any live replica.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from fourx_contracts.envelope import new_event
from fourx_platform.mongo import MongoSettings, open_client
from fourx_local.stack import SERVICES

from faults.drill import at, drill
from faults.harness import Stack
from faults.reconcile import NOTIFY_DB
from faults.result import CaseResult
from faults.workload import Ledger, Workload, districts

log = logging.getLogger("faults")

CASE = "c6 rebalance 1→3→1, SIGTERM mid notify batch"
BURST_DISTRICT = "c6-burst"
BURST = 3000


async def produce_burst(stack: Stack, ledger: Ledger) -> None:
    """BURST valid `topic-proposed` events for one district, pipelined, each in the ledger."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = []
        for i in range(BURST):
            topic_id = f"burst-{i}"
            event = new_event(type="topic-proposed", source="/services/meetings", district=BURST_DISTRICT, subject=topic_id,
                              data={"topic_id": topic_id, "meeting_id": "ad-2027-01", "title": f"议题 {i}",
                                    "proposed_by": {"kind": "community", "id": "c-1"}},
                              time=datetime.now(UTC))
            sent.append(await producer.send("topic-proposed", event.to_json_bytes(), key=BURST_DISTRICT.encode()))
        await asyncio.gather(*sent)
        now = time.monotonic()
        for i in range(BURST):
            ledger.expect("topic-proposed", BURST_DISTRICT, f"burst-{i}", now)
    finally:
        await producer.stop()
    log.info("burst of %d events produced for %s", BURST, BURST_DISTRICT)


async def sigterm_mid_batch(stack: Stack, timeout: float = 120.0) -> None:
    """SIGTERM notify once its read model holds part of the burst; start it again."""
    client = open_client(MongoSettings(uri=stack.mongo_uri))
    try:
        events = client[NOTIFY_DB]["events"]
        deadline = time.monotonic() + timeout
        stored = 0
        while time.monotonic() < deadline:
            stored = await events.count_documents({"district": BURST_DISTRICT})
            if stored > 0:
                break
            await asyncio.sleep(0.05)
        if stored == BURST:
            log.warning("notify stored the whole burst before it could be interrupted")
        log.info("notify holds %d of %d burst events: SIGTERM", stored, BURST)
        for replica in stack.live("notify"):
            took = await stack.kill(replica, signal.SIGTERM)
            log.info("%s stopped %.1fs after SIGTERM; holds %d", replica.name, took,
                     await events.count_documents({"district": BURST_DISTRICT}))
            await stack.restart(replica)
    finally:
        await client.close()


async def run(workdir: Path) -> CaseResult:
    async with Stack(workdir) as stack:
        await stack.start()
        workload = Workload(stack, districts("c6", 6), days=3, pace=0.1)

        async def fault() -> None:
            await at(workload, 0.15)
            log.info("scaling every service to 3 replicas")
            await asyncio.gather(*(stack.scale(s, 3) for s in SERVICES))
            await at(workload, 0.55)
            log.info("scaling every service back to 1 replica (SIGTERM)")
            await asyncio.gather(*(stack.scale(s, 1) for s in SERVICES))
            await produce_burst(stack, workload.ledger)
            await sigterm_mid_batch(stack)

        return await drill(CASE, stack, workload, fault, stall_bound=60.0, also=[BURST_DISTRICT])
