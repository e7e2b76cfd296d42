"""Transactional outbox without multi-document transactions.

An aggregate's pending integration events are written inside its own document, in the same
single-document write as its state (atomic in any MongoDB). The relay publishes them and
then removes them. A crash between the two publishes again: consumers drop the duplicate by
event id. Nothing is published that was not stored, nothing stored is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.asynchronous.collection import AsyncCollection

from fourx_contracts.envelope import CloudEvent

OUTBOX_FIELD = "_outbox"
log = structlog.get_logger("fourx.outbox")


def outbox_push(events: Sequence[CloudEvent]) -> dict[str, Any]:
    """The `$push` clause that stores events beside the state in the same update."""
    return {"$push": {OUTBOX_FIELD: {"$each": [e.model_dump(mode="json") for e in events]}}}


Publish = Callable[[CloudEvent], Awaitable[None]]


class OutboxSettings(BaseSettings):
    """`FOURX_OUTBOX_HOLD_SECONDS`: for fault drills only (`make faults`, case c5). The relay
    publishes nothing for this long after it starts, so "state stored, event not yet
    published" can be held open and the process killed in it. Default 0: no hold."""

    model_config = SettingsConfigDict(env_prefix="FOURX_OUTBOX_", extra="ignore")

    hold_seconds: float = 0.0


class OutboxRelay:
    def __init__(self, collections: Sequence[AsyncCollection], publish: Publish, poll_seconds: float = 1.0,
                 hold_seconds: float = 0.0):
        self._collections = list(collections)
        self._publish = publish
        self._poll = poll_seconds
        self._hold = hold_seconds
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Publish now instead of at the next poll (called after a write)."""
        self._wake.set()

    async def publish_pending(self) -> int:
        sent = 0
        for collection in self._collections:
            cursor = collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1})
            async for doc in cursor:
                ids = []
                for item in doc[OUTBOX_FIELD]:
                    await self._publish(CloudEvent.model_validate(item))
                    ids.append(item["id"])
                await collection.update_one(
                    {"_id": doc["_id"]}, {"$pull": {OUTBOX_FIELD: {"id": {"$in": ids}}}}
                )
                sent += len(ids)
        return sent

    async def run(self) -> None:
        if self._hold > 0:
            log.warning("outbox relay held (fault drill)", seconds=self._hold)
            await asyncio.sleep(self._hold)
        while True:
            self._wake.clear()
            try:
                await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker or store is away: keep the events, try again
                log.exception("outbox relay failed; will retry")
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll)
            except TimeoutError:
                pass
