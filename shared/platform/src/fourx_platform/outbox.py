"""Transactional outbox without multi-document transactions.

An aggregate's pending integration events are written inside its own document, in the same
single-document write as its state (atomic in any MongoDB). The relay publishes them and
then removes them. A crash between the two publishes again: consumers drop the duplicate by
event id. Nothing is published that was not stored, nothing stored is lost.

Pipelined: the relay hands each entry to the producer (`send`: queued, not yet acknowledged)
and awaits the acknowledgements of a window of entries together, so the broker confirms
whole batches instead of one record per round trip; while one window's acknowledgements are
awaited and its entries removed, the next window is sent. Invariants that keeps:
- an entry leaves `_outbox` only after the broker acknowledged it (acks=all), and the
  acknowledged entries of a window leave in one bulk write;
- a document's entries are sent in their order, on one idempotent producer, so each topic
  partition (key = district) holds them in that order;
- with a plain `publish` (awaited per entry) instead of `send`, the same code runs one
  entry at a time.

One event that can never be published (the broker refuses it as too large, or it is not a
valid event any more) must not hold back every other aggregate's: under the same failure
policy as the consumers, a transient failure (the broker is away) ends the pass — after the
window in flight is settled, its acknowledged entries removed — and is tried again; a
permanent one is tried `max_attempts` times across passes, then the entry is moved from
`_outbox` to `_outbox_failed` in the same document (with the error) and logged, and the
relay goes on. An operator re-queues it by moving it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from fourx_contracts.envelope import CloudEvent
from fourx_platform.failures import FailurePolicy, is_transient
from fourx_platform.loops import every
from fourx_platform.tracing import stamped

OUTBOX_FIELD = "_outbox"
FAILED_FIELD = "_outbox_failed"
log = structlog.get_logger("fourx.outbox")


def outbox_entries(events: Sequence[CloudEvent]) -> list[dict[str, Any]]:
    """Events as outbox entries, each with the trace context it was stored in (`tracing.stamped`):
    the relay publishes it later, outside that context, and the trace goes on from there."""
    return [stamped(e).model_dump(mode="json") for e in events]


def outbox_push(events: Sequence[CloudEvent]) -> dict[str, Any]:
    """The `$push` clause that stores events beside the state in the same update."""
    return {"$push": {OUTBOX_FIELD: {"$each": outbox_entries(events)}}}


Publish = Callable[[CloudEvent], Awaitable[None]]
# Queue the event on the producer; the awaitable returned completes when the broker acknowledged it.
Send = Callable[[CloudEvent], Awaitable[Awaitable[Any]]]
WINDOW = 1000  # entries in flight before their acknowledgements are awaited together


def _one_at_a_time(publish: Publish) -> Send:
    async def send(event: CloudEvent) -> Awaitable[Any]:
        await publish(event)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)  # published and acknowledged already
        return done
    return send


async def _succeeded(task: asyncio.Task[Any]) -> bool:
    await asyncio.wait([task])
    return not task.cancelled() and task.exception() is None


class OutboxSettings(BaseSettings):
    """`FOURX_OUTBOX_HOLD_SECONDS`: for fault drills only (`make faults`, case c5). The relay
    publishes nothing for this long after it starts, so "state stored, event not yet
    published" can be held open and the process killed in it. Default 0: no hold."""

    model_config = SettingsConfigDict(env_prefix="FOURX_OUTBOX_", extra="ignore")

    hold_seconds: float = 0.0


class OutboxRelay:
    def __init__(self, collections: Sequence[AsyncCollection], publish: Publish | None = None,
                 poll_seconds: float = 1.0, hold_seconds: float = 0.0, policy: FailurePolicy | None = None,
                 *, send: Send | None = None, window: int = WINDOW):
        if (publish is None) == (send is None):
            raise ValueError("give the relay either `publish` (one at a time) or `send` (pipelined)")
        self._collections = list(collections)
        self._send = send or _one_at_a_time(publish)  # type: ignore[arg-type]
        self._window = max(1, window)
        self._poll = poll_seconds
        self._hold = hold_seconds
        self._max_attempts = (policy or FailurePolicy.from_settings()).max_attempts
        self._failures: dict[str, int] = {}   # event id → permanent failures so far (this process)
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Publish now instead of at the next poll (called after a write)."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """One pass over every pending entry; returns how many the broker acknowledged."""
        sent = 0
        for collection in self._collections:
            sent += await self._drain(collection)
        return sent

    async def _drain(self, collection: AsyncCollection) -> int:
        """One pass over a collection, window after window: while one window's acknowledgements
        are awaited and its entries removed (`_settle`, in the background), the next window is
        sent. At most two windows are open; a window is settled only after the one before it."""
        windows: list[asyncio.Task[int]] = []
        in_flight: list[tuple[Any, dict[str, Any], Awaitable[Any]]] = []
        cursor = collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1})
        try:
            async for doc in cursor:
                for item in doc[OUTBOX_FIELD]:
                    try:
                        ack = await self._send(CloudEvent.model_validate(item))
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        if is_transient(exc):
                            raise  # the broker is away: every other entry would fail alike
                        await self._failed(collection, doc["_id"], item, exc)
                        continue
                    in_flight.append((doc["_id"], item, ack))
                if len(in_flight) >= self._window:
                    if windows and not await _succeeded(windows[-1]):
                        break  # the window before met a transient failure: send no more
                    windows.append(asyncio.create_task(self._settle(collection, in_flight)))
                    in_flight = []
        except asyncio.CancelledError:
            for window in windows:
                window.cancel()
            raise
        except Exception:
            # Keep what the broker acknowledged, then end the pass with the failure.
            await asyncio.gather(*windows, self._settle(collection, in_flight), return_exceptions=True)
            raise
        finally:
            await cursor.close()  # also when the pass ended early
        results = await asyncio.gather(*windows, self._settle(collection, in_flight), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(results)  # type: ignore[arg-type]

    async def _settle(self, collection: AsyncCollection,
                      in_flight: list[tuple[Any, dict[str, Any], Awaitable[Any]]]) -> int:
        """Await the acknowledgements of the entries in flight, remove the acknowledged ones
        (one bulk write), count permanent failures; raise the first transient one after."""
        if not in_flight:
            return 0
        results = await asyncio.gather(*(ack for _, _, ack in in_flight), return_exceptions=True)
        acked: dict[Any, list[Any]] = {}
        transient: BaseException | None = None
        for (doc_id, item, _), result in zip(in_flight, results):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                if is_transient(result):
                    transient = transient or result
                else:
                    await self._failed(collection, doc_id, item, result)  # type: ignore[arg-type]
                continue
            acked.setdefault(doc_id, []).append(item.get("id"))
        if acked:
            await collection.bulk_write(
                [UpdateOne({"_id": doc_id}, {"$pull": {OUTBOX_FIELD: {"id": {"$in": ids}}}})
                 for doc_id, ids in acked.items()], ordered=False)
        if transient is not None:
            raise transient
        return sum(len(ids) for ids in acked.values())

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


def _event_time(item: dict[str, Any]) -> datetime | None:
    value = item.get("time")
    try:
        at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)  # the store's are UTC


async def pending_summary(collection: AsyncCollection) -> tuple[int, datetime | None]:
    """How many entries wait in the collection's outbox, and the CloudEvent `time` of the
    oldest (for metrics and readiness; the same query the relay runs)."""
    count, oldest = 0, None
    cursor = collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {f"{OUTBOX_FIELD}.time": 1})
    try:
        async for doc in cursor:
            for item in doc.get(OUTBOX_FIELD) or ():
                count += 1
                at = _event_time(item)
                if at is not None and (oldest is None or at < oldest):
                    oldest = at
    finally:
        await cursor.close()
    return count, oldest
