"""One drill: a workload and a fault run side by side, then everything settles and is reconciled.

`stalled` counts bystander districts (those the fault is not about; for a fault of a whole
service or of the store, every district) whose work did not reach the end of its journey
(notify's read model) within `stall_bound` seconds of being accepted, or whose script broke
off; `max_delay_s` is the worst such delay among bystanders.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable

from faults.harness import Stack
from faults.reconcile import Applied, Reconciliation, delays, reconcile
from faults.result import CaseResult
from faults.workload import Workload

log = logging.getLogger("faults")


async def drill(case: str, stack: Stack, workload: Workload, fault: Callable[[], Awaitable[None]], *,
                bystanders: Iterable[str] | None = None, stall_bound: float = 60.0,
                settle_timeout: float = 120.0, extra_check: Callable[[Reconciliation], Awaitable[None]] | None = None,
                also: Iterable[str] = ()) -> CaseResult:
    """`also`: districts the workload does not drive but the fault feeds (events produced
    straight to Kafka, written into the same ledger); reconciled like the others."""
    bystanders = list(workload.districts if bystanders is None else bystanders)
    watched = [*workload.districts, *also]
    started = time.monotonic()
    async with Applied(stack, watched) as applied:
        work = asyncio.create_task(workload.run())
        try:
            await fault()
        finally:
            await work  # never raises: a broken-off district is recorded in workload.failures
        log.info("%s: workload and fault done after %.0fs; settling", case, time.monotonic() - started)
        facts = list(workload.ledger.facts.values())
        missing = await applied.wait_for(facts, settle_timeout)
        deadline = time.monotonic() + 30.0
        while True:
            result = await reconcile(stack, workload.ledger, watched)
            # meetings' read model or the issues service may trail notify by a moment.
            if not result.lost or time.monotonic() > deadline:
                break
            await asyncio.sleep(2.0)
        if extra_check is not None:
            await extra_check(result)
        result.log()
    worst = delays(workload.ledger, applied, bystanders)
    stalled = sorted(d for d in bystanders if worst[d] > stall_bound or d in workload.failures)
    finite = [v for d, v in worst.items() if math.isfinite(v)]
    if stalled:
        log.warning("%s: stalled districts %s (never-arrived facts: %d)", case, stalled, len(missing))
    log.info("%s: lost %d, doubled %d, republished ids %d, stalled %d, max delay %.1fs (%.0fs in all)",
             case, len(result.lost), len(result.doubled), result.republished, len(stalled),
             max(finite, default=0.0), time.monotonic() - started)
    return CaseResult(case=case, workload=workload.describe(), lost=len(result.lost), doubled=len(result.doubled),
                      stalled=len(stalled), max_delay_s=max(finite, default=0.0))


async def at(workload: Workload, fraction: float) -> None:
    """Wait until `fraction` of the workload's commands were accepted (or it ended)."""
    while workload.ledger.progress() < fraction and not workload.done:
        await asyncio.sleep(0.1)
    if workload.done:
        log.warning("the workload ended before %.0f%%: the fault fires late", fraction * 100)
