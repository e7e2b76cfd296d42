"""c3: the store (SecantusDB, its own process) is stopped mid-workload for 10 s and started
again on the same port and data folder.

While it is away: HTTP commands fail or time out (the client retries them), the relays keep
their events (nothing is published that was not stored), consumers meet a transient failure
and retry with backoff without parking anything in a DLQ. Once it is back every district
must flow again, with nothing lost or doubled. The store is stopped with SIGTERM (a clean
shutdown): what is measured is fourx riding out an absent store, not the dev store's
durability under SIGKILL (`FAULTS_STORE_SIGNAL=KILL` tries that instead).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

from fourx_contracts.events import TOPICS, dlq_topic

from faults.drill import at, drill
from faults.harness import Stack
from faults.reconcile import Reconciliation, read_all
from faults.result import CaseResult
from faults.workload import Workload, districts

log = logging.getLogger("faults")

CASE = "c3 store stopped 10 s"
DOWN_SECONDS = 10.0


async def run(workdir: Path) -> CaseResult:
    sig = signal.SIGKILL if os.environ.get("FAULTS_STORE_SIGNAL", "").upper() == "KILL" else signal.SIGTERM
    async with Stack(workdir) as stack:
        await stack.start()
        workload = Workload(stack, districts("c3", 6), days=3, pace=0.05)

        async def fault() -> None:
            await at(workload, 0.3)
            log.info("stopping the store (%s) for %.0fs", sig.name, DOWN_SECONDS)
            await stack.stop_store(sig)
            await asyncio.sleep(DOWN_SECONDS)
            await stack.start_store()

        async def nothing_parked(result: Reconciliation) -> None:
            # An absent store is transient: retried, never a reason to park a good event.
            for r in await read_all(stack.bootstrap, [dlq_topic(t) for t in TOPICS]):
                body = r.body or {}
                if body.get("district", "").startswith("c3-"):
                    result.miss((r.topic, body["district"], str(body.get("id"))),
                                f"parked in a DLQ: {r.headers.get('dlq-error', '')[:200]}")

        return await drill(CASE, stack, workload, fault, stall_bound=60.0, extra_check=nothing_parked)
