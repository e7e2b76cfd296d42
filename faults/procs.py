"""The processes a broker or channel case starts itself: a service as its own OS process
(`uvicorn --factory`, as `make up` runs it), and waiting for its `/health`.

Invariant: every process is started in a session of its own (`ManagedProcess.spawn`), so
stopping or SIGKILLing it by pid takes nothing else with it."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
from fourx_local.process import ManagedProcess, ProcessStartError

FACTORIES = {
    "meetings": "fourx_meetings.bootstrap:create_app",
    "issues": "fourx_issues.bootstrap:create_app",
    "notify": "fourx_notify.bootstrap:create_app",
}
# No periodic jobs in a drill: nothing but the workload adds events.
QUIET = {"ISSUES_CHECK_INTERVAL_SECONDS": "0", "NOTIFY_SCHEDULE_ENABLED": "false", "PYTHONUNBUFFERED": "1"}


def spawn(service: str, port: int, env: dict[str, str], log: Path) -> ManagedProcess:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", FACTORIES[service], "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]
    return ManagedProcess.spawn(service, cmd, log, env={**QUIET, **env})


async def healthy(url: str, proc: ManagedProcess, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if not proc.alive():
                raise ProcessStartError(f"{proc.name} exited while starting:\n{proc.tail(30)}")
            try:
                if (await http.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise ProcessStartError(f"{proc.name} was not healthy at {url} within {timeout:.0f}s:\n{proc.tail(30)}")
