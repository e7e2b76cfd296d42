"""Waiting for the issues service's answers to many bulletin requests at once.

The issues service answers each `report-requested` with a `supervision-snapshot` carrying the
request's id; a report waits for its own answer to be in the read model. On a Monday run
thousands of reports wait together, so they share one poller: one query per tick for every
request still waiting (not one per report), and each waiter is released as soon as its own
answer is stored — a report never waits for another report's answer. Answers this process's
own read model stores release their waiters at once (`arrived`), without a poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

import structlog

log = structlog.get_logger("fourx.notify.answers")

# (district, request id) pairs → the request ids among them that are answered.
Lookup = Callable[[Iterable[tuple[str, str]]], Awaitable[set[str]]]


class SnapshotAnswers:
    def __init__(self, lookup: Lookup, poll_seconds: float = 0.25):
        self._lookup = lookup
        self._poll_seconds = poll_seconds
        self._waiting: dict[str, tuple[str, list[asyncio.Future[None]]]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def wait(self, district: str, request_id: str, timeout: float) -> bool:
        """True once the answer to `request_id` is stored; False after `timeout` without it."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(request_id, (district, []))[1].append(future)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="notify:snapshot-answers")
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            entry = self._waiting.get(request_id)
            if entry is not None and future in entry[1]:
                entry[1].remove(future)
                if not entry[1]:
                    del self._waiting[request_id]

    def arrived(self, request_ids: Iterable[str]) -> None:
        """Answers this process has just stored: their waiters go on at once (the poll is for
        answers another replica's read model stored)."""
        for rid in request_ids:
            for future in self._waiting.pop(rid, (None, []))[1]:
                if not future.done():
                    future.set_result(None)

    async def _poll(self) -> None:
        while self._waiting:
            pending = [(district, rid) for rid, (district, _) in self._waiting.items()]
            try:
                answered = await self._lookup(pending)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the waiters' timeouts bound the wait; keep asking
                log.warning("looking for supervision snapshots failed; asking again", error=repr(exc))
                answered = set()
            for rid in answered:
                for future in self._waiting.pop(rid, (None, []))[1]:
                    if not future.done():
                        future.set_result(None)
            if self._waiting:
                await asyncio.sleep(self._poll_seconds)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
