"""Deliveries: one document per (recipient, channel, source), `_id` = the idempotency key.

Creating one is an insert that skips an `_id` already there, so a redelivered event or a
regenerated bulletin finds the document already there and sends nothing again. The document carries its
own outbox: the `notification-sent` of its outcome is written in the same update that records
the outcome. In-app inbox deliveries are the inbox items themselves; acknowledgement (签收)
is stamped on them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_platform.outbox import OUTBOX_FIELD, outbox_push
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

COLLECTION = "deliveries"
# A bulletin's texts, once per version (report id # content hash): its deliveries name them
# (`body_ref`, and `street` for a street's own first section) instead of carrying a copy each.
BODIES = "delivery_bodies"
# A bulletin version's deliveries and texts as one document, written with the bulletin and
# expanded into `deliveries` and `delivery_bodies` by the delivery worker once the Monday run
# has made its bulletins (`expand_fanouts`): one small write on the bulletin's path instead of
# ~90 indexed inserts (measured on SecantusDB, the largest single write of a bulletin).
FANOUTS = "delivery_fanouts"
# Their ids alone: SecantusDB reads every document of a collection for a `find({}).limit(n)`,
# and the queued ones are large (~180 ms for 2,000 of them, against ~12 ms by `_id $in`).
FANOUT_QUEUE = "delivery_fanout_queue"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DUPLICATE_KEY = 11000
_HIDDEN = {OUTBOX_FIELD: 0, "body": 0, "html": 0}


def body_ref(report_id: str, content_hash: str) -> str:
    """The id of one bulletin version's texts and queued deliveries."""
    return f"{report_id}#{content_hash}"


class DeliveryRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]
        self._bodies = db[BODIES]
        self._fanouts = db[FANOUTS]
        self._queue = db[FANOUT_QUEUE]

    async def save_bodies(self, body_ref: str, markdown: str, html: str | None, streets: dict[str, str]) -> None:
        """The texts of one bulletin version (the same version always has the same texts)."""
        await self._bodies.update_one({"_id": body_ref}, {"$setOnInsert": {
            "markdown": markdown, "html": html, "streets": streets}}, upsert=True)

    async def queue_fanout(self, body_ref: str, district: str, texts: dict[str, Any],
                           docs: list[dict[str, Any]]) -> None:
        """A bulletin version's deliveries and what their texts are made from, kept until the
        delivery worker makes them; then its id in the queue (an id there always has its
        document). The same version queued again changes nothing; queued again after it was
        made, its deliveries are found already there and nothing goes twice."""
        for collection, doc in ((self._fanouts, {"_id": body_ref, "district": district, "texts": texts,
                                                 "deliveries": docs}),
                                (self._queue, {"_id": body_ref})):
            try:
                await collection.insert_one(doc)
            except DuplicateKeyError:
                pass

    async def queued_fanouts(self, limit: int) -> list[dict[str, Any]]:
        ids = [d["_id"] for d in await self._queue.find({}).limit(limit).to_list(None)]
        if not ids:
            return []
        found = {d["_id"]: d for d in await self._fanouts.find({"_id": {"$in": ids}}).to_list(None)}
        for lost in set(ids) - set(found):   # made, and the process stopped before its id left
            await self._queue.delete_one({"_id": lost})
        return [found[i] for i in ids if i in found]

    async def queued_fanout(self, body_ref: str) -> dict[str, Any] | None:
        return await self._fanouts.find_one({"_id": body_ref})

    async def fanout_made(self, body_ref: str) -> None:
        await self._fanouts.delete_one({"_id": body_ref})
        await self._queue.delete_one({"_id": body_ref})

    async def with_bodies(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Deliveries with their text: the ones that name a bulletin's texts get them filled in
        (one query for all of them)."""
        refs = sorted({d["body_ref"] for d in docs if d.get("body") is None and d.get("body_ref")})
        if not refs:
            return docs
        texts = {b["_id"]: b async for b in self._bodies.find({"_id": {"$in": refs}})}
        for d in docs:
            text = texts.get(d.get("body_ref")) if d.get("body") is None else None
            if text is not None:
                d["body"] = (text.get("streets") or {}).get(d.get("street") or "") or text["markdown"]
                d["html"] = text.get("html") if d.get("channel") == "email" else None
        return docs

    async def create_indexes(self) -> None:
        await self._collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self._collection.create_index([("district", ASCENDING), ("recipient_id", ASCENDING),
                                             ("channel", ASCENDING)])
        await self._collection.create_index([("district", ASCENDING), ("ref", ASCENDING)])

    async def create_many(self, docs: list[dict[str, Any]]) -> int:
        """Add the deliveries not yet known; returns how many were new."""
        if not docs:
            return 0
        # Unordered inserts, duplicates skipped: half the store's time of one upsert each
        # (measured on SecantusDB: 17 ms against 37 ms for a bulletin's 90).
        try:
            result = await self._collection.insert_many(docs, ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            if any(err["code"] != DUPLICATE_KEY for err in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))

    async def due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        # The index's own fields only (SecantusDB scans for a third predicate); the leases
        # are filtered here, from twice as many, so a page of leased ones does not starve the rest.
        cursor = self._collection.find(
            {"status": PENDING, "next_attempt_at": {"$lte": now}},
            {OUTBOX_FIELD: 0, "body": 0, "html": 0}).sort("next_attempt_at", ASCENDING).limit(2 * limit)
        return [d async for d in cursor if d["lease_until"] <= now][:limit]

    async def lease(self, key: str, now: datetime, until: datetime) -> dict[str, Any] | None:
        """Take a delivery for one attempt; None when another replica took it first."""
        # A conditional update, then a read by id — not `find_one_and_update`, which SecantusDB
        # answers by scanning the collection (measured: ~100 ms at 20,000 deliveries, against
        # ~1 ms for these two; at a Monday run's 250,000 it held the whole store).
        taken = await self._collection.update_one({"_id": key, "status": PENDING, "lease_until": {"$lte": now}},
                                                  {"$set": {"lease_until": until}})
        if taken.modified_count != 1:
            return None
        return await self._collection.find_one({"_id": key}, {OUTBOX_FIELD: 0})

    async def record_attempt(self, key: str, fields: dict[str, Any], outgoing: list[CloudEvent]) -> None:
        update: dict[str, Any] = {"$set": fields}
        if outgoing:
            update.update(outbox_push(outgoing))
        await self._collection.update_one({"_id": key, "status": PENDING}, update)

    async def get(self, key: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": key}, {OUTBOX_FIELD: 0})

    async def for_ref(self, district: str, ref: str) -> list[dict[str, Any]]:
        cursor = self._collection.find({"district": district, "ref": ref}, _HIDDEN).sort(
            [("recipient_id", ASCENDING), ("channel", ASCENDING)])
        return await cursor.to_list(None)

    async def outcome_counts(self, district: str, ref: str) -> dict[str, dict[str, int]]:
        """channel → status → count, e.g. {"email": {"delivered": 5}}."""
        counts: dict[str, Counter] = {}
        for d in await self.for_ref(district, ref):
            counts.setdefault(d["channel"], Counter())[d["status"]] += 1
        return {channel: dict(c) for channel, c in sorted(counts.items())}

    async def inbox(self, district: str, person_id: str, unacknowledged_only: bool = False) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"district": district, "recipient_id": person_id, "channel": "inbox"}
        if unacknowledged_only:
            query["acknowledged_at"] = None
        cursor = self._collection.find(query, {OUTBOX_FIELD: 0, "html": 0}).sort("created_at", -1)
        return await self.with_bodies(await cursor.to_list(None))

    async def acknowledge(self, district: str, person_id: str, key: str, at: datetime) -> dict[str, Any] | None:
        """签收: stamps the first acknowledgement; asking again keeps it. None when the item
        is not this person's."""
        query = {"_id": key, "district": district, "recipient_id": person_id, "channel": "inbox"}
        await self._collection.update_one({**query, "acknowledged_at": None}, {"$set": {"acknowledged_at": at}})
        return await self._collection.find_one(query, _HIDDEN)
