"""The one background loop of every service: run a job, wait the interval (or less, when
woken), again, until cancelled. A failing round never ends the loop: the store or the broker
being away is waited out (logged as a warning), anything else is logged with its traceback
and tried again at the next round. And its bounded cousin, `poll_until`: ask until yes or
out of time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

from fourx_platform.failures import is_transient

log = structlog.get_logger("fourx.loops")


async def every(seconds: float | Callable[[], float], job: Callable[[], Awaitable[object]], *,
                wake: asyncio.Event | None = None, name: str = "job") -> None:
    """Run `job` now, then `seconds` after each round ends, or as soon as `wake` is set
    (a write that has something for the job to do need not wait for the next poll).
    `seconds` may be a function, read after each round: a settings change then takes effect
    at the next wait."""
    interval = seconds if callable(seconds) else lambda: seconds
    while True:
        if wake is not None:
            wake.clear()  # before the round: a wake during it means another round at once
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_transient(exc):
                log.warning("background round failed; will retry", job=name, error=repr(exc))
            else:
                log.exception("background round failed; will retry", job=name)
        if wake is None:
            await asyncio.sleep(interval())
            continue
        try:
            await asyncio.wait_for(wake.wait(), interval())
        except TimeoutError:
            pass


async def poll_until(check: Callable[[], Awaitable[bool]], timeout: float, *, seconds: float = 0.1) -> bool:
    """Ask `check` now and every `seconds` until it says yes (True) or `timeout` has passed
    (False). Its failures are the caller's: a bounded wait has nobody else to report to."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(seconds)
