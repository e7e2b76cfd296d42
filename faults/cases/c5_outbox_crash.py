"""c5: a crash between a state write and its publish (the outbox): published exactly once after
the restart.

The meetings service runs with its relay held (`FOURX_OUTBOX_HOLD_SECONDS`, a drill-only knob
in `fourx_platform.outbox`): commands are accepted and their events stored in the aggregates'
documents, and nothing is published. Checked: none of those facts is on Kafka yet (the
reconciliation must call every one of them lost — which also shows it can see a loss).

- A: the service is killed (SIGKILL) in that state and restarted normally: every stored event
  is published, and applied downstream, once.
- B: the same, but the restarted relay is killed again as soon as its first event reaches
  Kafka (mid-pass: some events published, their documents not yet cleared), then restarted:
  the same ids are published again (allowed, at-least-once) and nothing is doubled or lost.

Every district is involved in the fault (its events wait for the restart by design), so no
district is a bystander: stalled and max delay are not measured here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from faults.drill import drill
from faults.harness import ProcessStartError, Replica, Stack
from faults.reconcile import reconcile
from faults.result import CaseResult
from faults.workload import Workload, districts

log = logging.getLogger("faults")

CASE = "c5 crash between state write and publish"
HOLD = {"FOURX_OUTBOX_HOLD_SECONDS": "3600"}
RELEASE = {"FOURX_OUTBOX_HOLD_SECONDS": "0"}
MEETINGS_TOPICS = ("directory-updated", "meeting-scheduled", "topic-proposed", "topic-selected", "meeting-held")


async def _until_done(workload: Workload) -> None:
    while not workload.done:
        await asyncio.sleep(0.1)


async def _held(stack: Stack, workload: Workload) -> int:
    """Everything accepted is stored and nothing published: all the facts are 'lost' now."""
    result = await reconcile(stack, workload.ledger, workload.districts)
    log.info("relay held: %d facts accepted, %d not on Kafka or downstream", len(workload.ledger.facts),
             len(result.lost))
    return len(workload.ledger.facts) - len(result.lost)   # facts that leaked out despite the hold


async def _end_offsets(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> int:
    return sum((await consumer.end_offsets(partitions)).values())


async def _restart_and_kill_mid_pass(stack: Stack, meetings: Replica, after: int = 8) -> None:
    """Restart with the relay released and SIGKILL it once `after` events reached Kafka: past
    the one-event directory documents, inside an activity day's (several events per document,
    cleared together once all are published)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in MEETINGS_TOPICS for p in range(stack.partitions)]
        before = await _end_offsets(consumer, partitions)
        starting = asyncio.create_task(stack.restart(meetings, RELEASE))
        deadline = time.monotonic() + 90
        while await _end_offsets(consumer, partitions) < before + after and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        os.killpg(meetings.proc.pid, signal.SIGKILL)  # at once: waiting for the exit comes after
        reached = await _end_offsets(consumer, partitions)
        await stack.kill(meetings, signal.SIGKILL)
        log.info("relay killed mid-pass: %d records had reached Kafka", reached - before)
        try:
            await starting
        except ProcessStartError:
            pass  # killed before it answered /health: that was the point
    finally:
        await consumer.stop()


async def run(workdir: Path) -> CaseResult:
    async with Stack(workdir) as stack:
        await stack.start()
        meetings = stack.live("meetings")[0]

        async def phase(name: str, mid_pass: bool) -> CaseResult:
            await stack.kill(meetings, signal.SIGKILL)
            await stack.restart(meetings, HOLD)
            workload = Workload(stack, districts(f"c5{name}", 6), days=2, pace=0.02, follow_up=False)

            async def fault() -> None:
                await _until_done(workload)
                if leaked := await _held(stack, workload):
                    raise RuntimeError(f"{leaked} facts reached Kafka while the relay was held: no drill")
                await stack.kill(meetings, signal.SIGKILL)
                if mid_pass:
                    await _restart_and_kill_mid_pass(stack, meetings)
                await stack.restart(meetings, RELEASE)

            return await drill(f"{CASE} ({name})", stack, workload, fault, bystanders=[])

        a = await phase("a", mid_pass=False)
        b = await phase("b", mid_pass=True)
        return CaseResult(case=CASE, workload=f"A: {a.workload}; B (killed mid-pass): {b.workload}",
                          lost=a.lost + b.lost, doubled=a.doubled + b.doubled,
                          stalled=a.stalled + b.stalled, max_delay_s=max(a.max_delay_s, b.max_delay_s))
