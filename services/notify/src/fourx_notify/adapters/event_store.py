"""The read model: every event of the catalog, stored once by its CloudEvent id."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from pymongo import ASCENDING, InsertOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from fourx_notify.adapters.projections import Projections
from fourx_notify.domain.bulletin import ItemState
from fourx_notify.domain.stats import StoredEvent, iso_week, week_bounds

COLLECTION = "events"
# Every query here is an equality (or one range) on the fields of one index, and the rest is
# filtered here: SecantusDB's planner scans the collection for a query with more predicates
# than its index has fields (measured: 200–400 ms instead of 2–7 ms at 30,000 events).
DUPLICATE_KEY = 11000
# What a bulletin reads of its week's own events (not `notification-sent`, `report-published`,
# snapshots or directories: those come by their own queries).
BULLETIN_TYPES = ("meeting-held", "activity-held", "topic-proposed", "topic-selected", "issue-raised",
                  "issue-resolved", "issue-overdue", "progress-recorded", "inspection-held", "notice-issued",
                  "interview-scheduled")
TOPIC_TYPES = ["topic-proposed", "topic-selected"]


def dues_of(event_type: str, data: dict[str, Any]) -> list[str]:
    """The deadlines an event sets, which a later week's bulletin lists as "next week's":
    an activity day's tasks, a notice's reply."""
    if event_type == "meeting-held":
        return sorted({str(t["due_date"]) for t in data.get("tasks") or [] if t.get("due_date")})
    if event_type == "notice-issued" and data.get("respond_by"):
        return [str(data["respond_by"])]
    return []


class EventStore:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]
        self.projections = Projections(db)

    async def create_indexes(self) -> None:
        # The bulletin's queries: its week (district, week); earlier deadlines falling due
        # (district, dues: only meetings and notices carry the field); a type's events.
        await self._collection.create_index([("district", ASCENDING), ("week", ASCENDING)])
        await self._collection.create_index([("district", ASCENDING), ("type", ASCENDING)])
        await self._collection.create_index([("district", ASCENDING), ("dues", ASCENDING)], sparse=True)
        await self.projections.create_indexes()

    async def add_many(self, events: Sequence[StoredEvent]) -> int:
        """Insert what is new, skip what was seen (same id); returns how many were new."""
        if not events:
            return 0
        docs = []
        for e in events:
            doc = {"_id": e.id, "type": e.type, "district": e.district, "time": e.time,
                   "occurred_on": e.occurred_on.isoformat(), "week": e.week, "data": e.data}
            if dues := dues_of(e.type, e.data):
                doc["dues"] = dues
            docs.append(doc)
        try:
            result = await self._collection.bulk_write([InsertOne(d) for d in docs], ordered=False)
            inserted = result.inserted_count
        except BulkWriteError as exc:
            if any(err["code"] != DUPLICATE_KEY for err in exc.details.get("writeErrors", [])):
                raise
            inserted = exc.details.get("nInserted", 0)
        await self.projections.apply(events)
        return inserted

    async def bulletin_events(self, district: str, week: str) -> list[StoredEvent]:
        """What a bulletin reads of the events, whatever the district's history: the week's own
        (of the types it shows), earlier meetings and notices with a deadline next week, and
        the topic events naming the topics its activity days discussed (titles)."""
        monday, end = week_bounds(week)
        window = [_from_doc(d) async for d in self._collection.find({"district": district, "week": week})
                  if d["type"] in BULLETIN_TYPES]
        next_monday, next_sunday = week_bounds(_next_week(monday))
        due = [_from_doc(d) async for d in self._collection.find(
            {"district": district, "dues": {"$gte": next_monday.isoformat(), "$lte": next_sunday.isoformat()}})
               if d["occurred_on"] <= end.isoformat()]
        topic_ids = {str(t) for e in window if e.type == "meeting-held" for t in e.data.get("topic_ids") or []}
        topics = []
        if topic_ids:
            for event_type in TOPIC_TYPES:
                topics += [_from_doc(d) async for d in self._collection.find({"district": district, "type": event_type})
                           if str(d["data"].get("topic_id")) in topic_ids and d["occurred_on"] <= end.isoformat()]
        return list({e.id: e for e in window + due + topics}.values())

    async def items_at_week_end(self, district: str, week: str, also: Sequence[str] = ()) -> dict[str, ItemState]:
        return await self.projections.items_at_week_end(district, week, also)

    async def directory(self, district: str) -> dict[str, Any] | None:
        """The district's latest directory snapshot (from its projection: no scan)."""
        return await self.projections.directory(district)

    async def item_title(self, district: str, issue_id: str) -> str | None:
        return await self.projections.item_title(district, issue_id)

    async def count(self, district: str) -> int:
        return await self._collection.count_documents({"district": district})

    async def up_to(self, district: str, last_day: date) -> list[StoredEvent]:
        cursor = self._collection.find({"district": district, "occurred_on": {"$lte": last_day.isoformat()}})
        return [_from_doc(d) async for d in cursor]

    async def of_types(self, district: str, event_types: Sequence[str]) -> list[StoredEvent]:
        """Every stored event of the district of these types (one indexed query per type)."""
        found: list[StoredEvent] = []
        for event_type in event_types:
            found += [_from_doc(d) async for d in self._collection.find({"district": district, "type": event_type})]
        return found

    async def districts_of_city(self, city: str) -> dict[str, str]:
        """district → its name, for the districts whose latest directory names `city`."""
        return await self.projections.districts_of_city(city)

    async def districts_with(self, event_type: str) -> list[str]:
        return sorted(await self._collection.distinct("district", {"type": event_type}))

    async def find_first(self, district: str, event_type: str, match: dict[str, Any]) -> StoredEvent | None:
        query = {"district": district, "type": event_type, **{f"data.{k}": v for k, v in match.items()}}
        docs = await self._collection.find(query).sort("time", 1).limit(1).to_list(None)
        return _from_doc(docs[0]) if docs else None

    async def titles(self, district: str, event_types: list[str], key: str,
                     ids: Sequence[str] | None = None) -> dict[str, str]:
        """id → title of the district's aggregates named in events of these types (of `ids` only, if given)."""
        wanted = None if ids is None else {str(i) for i in ids}
        titles: dict[str, str] = {}
        for event_type in event_types:
            cursor = self._collection.find({"district": district, "type": event_type}, {f"data.{key}": 1, "data.title": 1})
            titles |= {str(d["data"][key]): d["data"]["title"] async for d in cursor
                       if key in d.get("data", {}) and (wanted is None or str(d["data"][key]) in wanted)}
        return titles

    async def snapshot(self, district: str, week: str, request_id: str | None = None) -> dict[str, Any] | None:
        """The data of the issues service's `supervision-snapshot` answering `request_id`, else
        its latest one for the week (None when it sent none)."""
        if request_id and (answer := await self.projections.answer(request_id)):
            doc = await self._collection.find_one({"_id": answer}, {"data": 1})
            if doc is not None and doc["data"].get("week") == week:
                return doc["data"]
        docs = [d async for d in self._collection.find({"district": district, "type": "supervision-snapshot"})
                if d["data"].get("week") == week]
        docs.sort(key=lambda d: d["_id"])
        docs.sort(key=lambda d: d["time"], reverse=True)   # the latest first; ties by id
        for doc in docs:
            if request_id and doc["data"].get("request_id") == request_id:
                return doc["data"]
        return docs[0]["data"] if docs else None

    async def answered(self, requests: Iterable[tuple[str, str]]) -> set[str]:
        """Which of these (district, request id) have their `supervision-snapshot` stored: one
        look-up by id for all of them (the `answered_requests` projection)."""
        return await self.projections.answered(r for _, r in requests)

    async def latest(self, district: str, event_type: str) -> StoredEvent | None:
        cursor = self._collection.find({"district": district, "type": event_type}).sort("time", -1).limit(1)
        docs = await cursor.to_list(None)
        return _from_doc(docs[0]) if docs else None


def _next_week(monday: date) -> str:
    return iso_week(monday + timedelta(days=7))


def _from_doc(doc: dict[str, Any]) -> StoredEvent:
    return StoredEvent(id=doc["_id"], type=doc["type"], district=doc["district"], time=doc["time"],
                       occurred_on=date.fromisoformat(doc["occurred_on"]), week=doc["week"], data=doc["data"])
