"""c1: each service in turn is killed with SIGKILL mid-workload and restarted on its port.

What may happen: requests in flight get no answer (the client retries them; commands carry
their ids, so a retry is idempotent); a consumer dies before committing (its records are
redelivered to the restarted one and dropped by event id); a relay dies between publishing
and clearing its outbox (the same id is published again). What must not: a lost or doubled
fact, or a district that stops flowing once the service is back.
"""

from __future__ import annotations

import signal
from pathlib import Path

from faults.drill import at, drill
from faults.harness import Stack
from faults.result import CaseResult
from faults.workload import Workload, districts

CASE = "c1 kill -9 each service, restart"


async def run(workdir: Path) -> CaseResult:
    async with Stack(workdir) as stack:
        await stack.start()
        workload = Workload(stack, districts("c1", 6), days=3, pace=0.05)

        async def fault() -> None:
            for fraction, service in ((0.15, "meetings"), (0.4, "issues"), (0.65, "notify")):
                await at(workload, fraction)
                for replica in stack.live(service):
                    await stack.kill(replica, signal.SIGKILL)
                    await stack.restart(replica)

        return await drill(CASE, stack, workload, fault, stall_bound=60.0)
