"""The read model: every event of the catalog, stored once by its CloudEvent id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pymongo import ASCENDING, InsertOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from fourx_notify.domain.stats import StoredEvent

COLLECTION = "events"
DUPLICATE_KEY = 11000


class EventStore:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]

    async def create_indexes(self) -> None:
        await self._collection.create_index([("district", ASCENDING), ("occurred_on", ASCENDING)])
        await self._collection.create_index([("district", ASCENDING), ("type", ASCENDING)])

    async def add_many(self, events: Sequence[StoredEvent]) -> int:
        """Insert what is new, skip what was seen (same id); returns how many were new."""
        if not events:
            return 0
        docs = [
            {"_id": e.id, "type": e.type, "district": e.district, "time": e.time,
             "occurred_on": e.occurred_on.isoformat(), "week": e.week, "data": e.data}
            for e in events
        ]
        try:
            result = await self._collection.bulk_write([InsertOne(d) for d in docs], ordered=False)
            return result.inserted_count
        except BulkWriteError as exc:
            if any(err["code"] != DUPLICATE_KEY for err in exc.details.get("writeErrors", [])):
                raise
            return exc.details.get("nInserted", 0)

    async def count(self, district: str) -> int:
        return await self._collection.count_documents({"district": district})

    async def up_to(self, district: str, last_day: date) -> list[StoredEvent]:
        cursor = self._collection.find({"district": district, "occurred_on": {"$lte": last_day.isoformat()}})
        return [_from_doc(d) async for d in cursor]

    async def districts_with(self, event_type: str) -> list[str]:
        return sorted(await self._collection.distinct("district", {"type": event_type}))

    async def find_first(self, district: str, event_type: str, match: dict[str, Any]) -> StoredEvent | None:
        query = {"district": district, "type": event_type, **{f"data.{k}": v for k, v in match.items()}}
        docs = await self._collection.find(query).sort("time", 1).limit(1).to_list(None)
        return _from_doc(docs[0]) if docs else None

    async def titles(self, district: str, event_types: list[str], key: str) -> dict[str, str]:
        """id → title of the district's aggregates named in events of these types."""
        cursor = self._collection.find({"district": district, "type": {"$in": event_types}},
                                       {f"data.{key}": 1, "data.title": 1})
        return {str(d["data"][key]): d["data"]["title"] async for d in cursor if key in d.get("data", {})}

    async def snapshot(self, district: str, week: str, request_id: str | None = None) -> dict[str, Any] | None:
        """The data of the issues service's `supervision-snapshot` answering `request_id`, else
        its latest one for the week (None when it sent none)."""
        base = {"district": district, "type": "supervision-snapshot", "data.week": week}
        for query in ([{**base, "data.request_id": request_id}] if request_id else []) + [base]:
            docs = await self._collection.find(query).sort([("time", -1), ("_id", 1)]).limit(1).to_list(None)
            if docs:
                return docs[0]["data"]
        return None

    async def answered(self, requests: Iterable[tuple[str, str]]) -> set[str]:
        """Which of these (district, request id) have their `supervision-snapshot` stored: one
        query for all of them (over the (district, type) index)."""
        requests = list(requests)
        if not requests:
            return set()
        query = {"district": {"$in": sorted({d for d, _ in requests})}, "type": "supervision-snapshot",
                 "data.request_id": {"$in": sorted({r for _, r in requests})}}
        return {d["data"]["request_id"] async for d in self._collection.find(query, {"data.request_id": 1})}

    async def latest(self, district: str, event_type: str) -> StoredEvent | None:
        cursor = self._collection.find({"district": district, "type": event_type}).sort("time", -1).limit(1)
        docs = await cursor.to_list(None)
        return _from_doc(docs[0]) if docs else None


def _from_doc(doc: dict[str, Any]) -> StoredEvent:
    return StoredEvent(id=doc["_id"], type=doc["type"], district=doc["district"], time=doc["time"],
                       occurred_on=date.fromisoformat(doc["occurred_on"]), week=doc["week"], data=doc["data"])
