"""Optimistic concurrency for one-document aggregates, the same in every service.

Invariant: a document carries a `version` field. Inserting writes version 1; an update names
the version it read and moves it on by one, with the outgoing events pushed onto its outbox
in the same single-document write. A writer that read an older version matches nothing and
gets ConcurrencyConflict; the use case then runs again on fresh state (`retry_on_conflict`).
So of two writers that read the same version, exactly one wins, and no change is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from fourx_contracts.envelope import CloudEvent
from fourx_platform.failures import TransientError
from fourx_platform.outbox import OUTBOX_FIELD, outbox_entries, outbox_push

VERSION_FIELD = "version"
ATTEMPTS = 5
T = TypeVar("T")


class ConcurrencyConflict(TransientError):
    """Someone else changed the document since it was read; reload and try again. Transient,
    so a consumer's failure policy retries a conflict that outlasted the use case's own tries."""

    def __init__(self, doc_id: str):
        self.doc_id = doc_id
        super().__init__(f"{doc_id} 刚被他人修改，请稍后重试")


async def insert_versioned(collection: AsyncCollection, doc_id: str, state: dict[str, Any],
                           outgoing: Sequence[CloudEvent]) -> int:
    """Store a new document at version 1 with its events; ConcurrencyConflict (nothing
    written) when one with this id exists already."""
    try:
        await collection.insert_one({"_id": doc_id, **state, VERSION_FIELD: 1,
                                     OUTBOX_FIELD: outbox_entries(outgoing)})
    except DuplicateKeyError as exc:
        raise ConcurrencyConflict(doc_id) from exc
    return 1


async def update_versioned(collection: AsyncCollection, doc_id: str, version: int, state: dict[str, Any],
                           outgoing: Sequence[CloudEvent]) -> int:
    """Compare-and-set at `version`: `$set` the state and push the events; returns the new
    version, or raises ConcurrencyConflict (nothing written) when the stored one moved on."""
    update: dict[str, Any] = {"$set": {**state, VERSION_FIELD: version + 1}}
    if outgoing:
        update.update(outbox_push(outgoing))
    result = await collection.update_one({"_id": doc_id, VERSION_FIELD: version}, update)
    if result.matched_count != 1:
        raise ConcurrencyConflict(doc_id)
    return version + 1


async def write_versioned(collection: AsyncCollection, doc_id: str, version: int, state: dict[str, Any],
                          outgoing: Sequence[CloudEvent]) -> int:
    """Insert when `version` is 0 (nothing was read), else update at `version`."""
    if version == 0:
        return await insert_versioned(collection, doc_id, state, outgoing)
    return await update_versioned(collection, doc_id, version, state, outgoing)


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run `attempt` — load, change, save — again while its save meets a ConcurrencyConflict,
    at most `attempts` times in all; the last conflict is raised. Each run must load afresh."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for n in range(1, attempts + 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if n == attempts:
                raise
    raise AssertionError("unreachable")
