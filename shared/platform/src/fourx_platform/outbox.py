"""Transactional outbox without multi-document transactions.

An aggregate's pending integration events are written inside its own document, in the same
single-document write as its state (atomic in any MongoDB). The relay publishes them and
then removes them. A crash between the two publishes again: consumers drop the duplicate by
event id. Nothing is published that was not stored, nothing stored is lost.

One event that can never be published (the broker refuses it as too large, or it is not a
valid event any more) must not hold back every other aggregate's: under the same failure
policy as the consumers, a transient failure (the broker is away) ends the pass and is tried
again; a permanent one is tried `max_attempts` times across passes, then the entry is moved
from `_outbox` to `_outbox_failed` in the same document (with the error) and logged, and the
relay goes on. An operator re-queues it by moving it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.asynchronous.collection import AsyncCollection

from fourx_contracts.envelope import CloudEvent
from fourx_platform.failures import FailurePolicy, is_transient
from fourx_platform.loops import every

OUTBOX_FIELD = "_outbox"
FAILED_FIELD = "_outbox_failed"
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
                 hold_seconds: float = 0.0, policy: FailurePolicy | None = None):
        self._collections = list(collections)
        self._publish = publish
        self._poll = poll_seconds
        self._hold = hold_seconds
        self._max_attempts = (policy or FailurePolicy.from_settings()).max_attempts
        self._failures: dict[str, int] = {}   # event id → permanent failures so far (this process)
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
                    try:
                        await self._publish(CloudEvent.model_validate(item))
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        if is_transient(exc):
                            raise  # the broker is away: every other entry would fail alike
                        await self._failed(collection, doc["_id"], item, exc)
                        continue
                    ids.append(item.get("id"))
                if ids:
                    await collection.update_one(
                        {"_id": doc["_id"]}, {"$pull": {OUTBOX_FIELD: {"id": {"$in": ids}}}}
                    )
                sent += len(ids)
        return sent

    async def _failed(self, collection: AsyncCollection, doc_id: Any, item: dict[str, Any], exc: Exception) -> None:
        event_id = str(item.get("id"))
        attempts = self._failures.get(event_id, 0) + 1
        self._failures[event_id] = attempts
        log.error("outbox entry cannot be published", collection=collection.name, document=str(doc_id),
                  event_id=event_id, type=item.get("type"), attempts=attempts, error=repr(exc))
        if attempts < self._max_attempts:
            return
        parked = {"event": item, "error": repr(exc)[:2000], "error_class": type(exc).__qualname__,
                  "attempts": attempts, "failed_at": datetime.now(UTC)}
        # One update: the entry leaves the outbox and lands beside it, never both or neither.
        await collection.update_one({"_id": doc_id, f"{OUTBOX_FIELD}.id": item.get("id")},
                                    {"$pull": {OUTBOX_FIELD: {"id": item.get("id")}},
                                     "$push": {FAILED_FIELD: parked}})
        self._failures.pop(event_id, None)

    async def run(self) -> None:
        if self._hold > 0:
            log.warning("outbox relay held (fault drill)", seconds=self._hold)
            await asyncio.sleep(self._hold)
        # The broker or store being away fails a pass: the events stay, the next pass tries again.
        await every(self._poll, self.publish_pending, wake=self._wake, name="outbox-relay")
