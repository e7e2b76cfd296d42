"""Supervision items, inspections, notice counters and the directory in MongoDB.

One document per aggregate with its pending events inside (outbox): state and events are
stored in one single-document write. Saves are optimistic (the `version` field of
fourx_platform.versioned): two replicas or two requests that change the same item at once
cannot both win — the loser gets ConcurrencyConflict and reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_platform import numbering
from fourx_platform.indexes import ensure_indexes
from fourx_platform.outbox import OUTBOX_FIELD, outbox_entries
from fourx_platform.versioned import VERSION_FIELD, ConcurrencyConflict, insert_versioned, update_versioned
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from fourx_issues.domain.model import (
    CLOSED, STATUSES, Finding, Happening, Inspection, Interview, Notice, ProgressRecord, Source, SupervisionItem,
    UnitRef,
)

ITEMS = "items"
INSPECTIONS = "inspections"
SNAPSHOTS = "snapshots"
COUNTERS = "counters"
DIRECTORIES = "directories"
# What the daily check looks at: every item not closed (a resolved one still has its light).
NOT_CLOSED = tuple(s for s in STATUSES if s != CLOSED)


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _unit(u: dict) -> UnitRef:
    return UnitRef(kind=u["kind"], id=u["id"])


def item_to_document(item: SupervisionItem) -> dict[str, Any]:
    n, i = item.notice, item.interview
    return {
        "district": item.district, "issue_id": item.issue_id, "title": item.title,
        "description": item.description, "source": vars(item.source), "responsible": vars(item.responsible),
        "co_units": [vars(u) for u in item.co_units], "owner": item.owner,
        "due_date": item.due_date.isoformat(), "raised_on": item.raised_on.isoformat(),
        "street_id": item.street_id, "community_id": item.community_id, "status": item.status,
        "progress": [{"week": r.week, "note": r.note, "percent": r.percent,
                      "recorded_on": r.recorded_on.isoformat(), "by": r.by, "seq": r.seq} for r in item.progress],
        "progress_seq": item.progress_seq,
        "resolution": item.resolution, "resolved_on": _iso(item.resolved_on),
        "verified_on": _iso(item.verified_on), "reopened": item.reopened,
        "overdue_on": _iso(item.overdue_on),
        "notice": None if n is None else {
            "notice_id": n.notice_id, "number": n.number, "to": vars(n.to), "to_person": n.to_person,
            "reason": n.reason, "issued_on": n.issued_on.isoformat(), "respond_by": n.respond_by.isoformat(),
            "acknowledged_on": _iso(n.acknowledged_on), "acknowledged_by": n.acknowledged_by},
        "interview": None if i is None else {
            "interview_id": i.interview_id, "person_id": i.person_id, "reason": i.reason,
            "scheduled_for": i.scheduled_for.isoformat(), "outcome": i.outcome,
            "outcome_recorded_on": _iso(i.outcome_recorded_on),
            "at": i.at.strftime("%H:%M") if i.at else None, "place": i.place, "interviewer": i.interviewer,
            "scheduled_on": _iso(i.scheduled_on), "scheduled_by": i.scheduled_by},
        "light": item.light, "light_on": _iso(item.light_on),
        "history": [{"kind": h.kind, "on": _iso(h.on), "by": h.by, "text": h.text} for h in item.history],
    }


def item_from_document(doc: dict[str, Any]) -> SupervisionItem:
    n, i = doc.get("notice"), doc.get("interview")
    return SupervisionItem(
        district=doc["district"], issue_id=doc["issue_id"], title=doc["title"], description=doc["description"],
        source=Source(**doc["source"]), responsible=_unit(doc["responsible"]),
        co_units=[_unit(u) for u in doc.get("co_units", [])], owner=doc.get("owner"),
        due_date=date.fromisoformat(doc["due_date"]), raised_on=date.fromisoformat(doc["raised_on"]),
        street_id=doc.get("street_id"), community_id=doc.get("community_id"), status=doc["status"],
        progress=[ProgressRecord(week=r["week"], note=r["note"], percent=r["percent"],
                                 recorded_on=date.fromisoformat(r["recorded_on"]), by=r.get("by"),
                                 seq=r.get("seq") or 0)
                  for r in doc.get("progress", [])],
        # An item stored before records were numbered has had at least one record per week.
        progress_seq=doc.get("progress_seq", len(doc.get("progress", []))),
        resolution=doc.get("resolution"), resolved_on=_d(doc.get("resolved_on")),
        verified_on=_d(doc.get("verified_on")), reopened=doc.get("reopened", []),
        overdue_on=_d(doc.get("overdue_on")),
        notice=None if n is None else Notice(
            notice_id=n["notice_id"], number=n["number"], to=_unit(n["to"]), to_person=n.get("to_person"),
            reason=n["reason"], issued_on=date.fromisoformat(n["issued_on"]),
            respond_by=date.fromisoformat(n["respond_by"]), acknowledged_on=_d(n.get("acknowledged_on")),
            acknowledged_by=n.get("acknowledged_by")),
        interview=None if i is None else Interview(
            interview_id=i["interview_id"], person_id=i["person_id"], reason=i["reason"],
            scheduled_for=date.fromisoformat(i["scheduled_for"]), outcome=i.get("outcome"),
            outcome_recorded_on=_d(i.get("outcome_recorded_on")),
            at=time.fromisoformat(i["at"]) if i.get("at") else None, place=i.get("place"),
            interviewer=i.get("interviewer"), scheduled_on=_d(i.get("scheduled_on")),
            scheduled_by=i.get("scheduled_by")),
        light=doc.get("light"), light_on=_d(doc.get("light_on")), version=doc.get(VERSION_FIELD, 0),
        history=[Happening(kind=h["kind"], on=_d(h.get("on")), by=h.get("by"), text=h.get("text", ""))
                 for h in doc.get("history", [])],
    )


def inspection_to_document(x: Inspection) -> dict[str, Any]:
    return {
        "district": x.district, "inspection_id": x.inspection_id, "kind": x.kind, "date": x.date.isoformat(),
        "units": [vars(u) for u in x.units], "status": x.status, "held_on": _iso(x.held_on),
        "findings": [{"text": f.text, "unit": vars(f.unit) if f.unit else None, "item_title": f.item_title,
                      "item_due_date": _iso(f.item_due_date), "item_owner": f.item_owner} for f in x.findings],
    }


def inspection_from_document(doc: dict[str, Any]) -> Inspection:
    return Inspection(
        district=doc["district"], inspection_id=doc["inspection_id"], kind=doc["kind"],
        date=date.fromisoformat(doc["date"]), units=[_unit(u) for u in doc["units"]], status=doc["status"],
        held_on=_d(doc.get("held_on")), version=doc.get(VERSION_FIELD, 0),
        findings=[Finding(text=f["text"], unit=_unit(f["unit"]) if f.get("unit") else None,
                          item_title=f.get("item_title"), item_due_date=_d(f.get("item_due_date")),
                          item_owner=f.get("item_owner")) for f in doc.get("findings", [])],
    )


def _key(district: str, aggregate_id: str) -> str:
    return f"{district}/{aggregate_id}"


class _VersionedRepository:
    """Insert-once and compare-and-set saves (fourx_platform.versioned) of one aggregate type
    with its outbox."""

    def __init__(self, db: AsyncDatabase, collection: str, id_attr: str,
                 to_doc: Callable[[Any], dict], from_doc: Callable[[dict], Any],
                 to_events: Callable[[Any, str | None], list[CloudEvent]]):
        self.collection = db[collection]
        self._id_attr, self._to_doc, self._from_doc, self._to_events = id_attr, to_doc, from_doc, to_events

    def _id(self, aggregate: Any) -> str:
        return _key(aggregate.district, getattr(aggregate, self._id_attr))

    async def get(self, district: str, aggregate_id: str) -> Any | None:
        doc = await self.collection.find_one({"_id": _key(district, aggregate_id)}, {OUTBOX_FIELD: 0})
        return self._from_doc(doc) if doc else None

    async def add(self, aggregate: Any, correlationid: str | None = None) -> bool:
        """Store a new aggregate with its events; False (and nothing written) when one with
        the same id exists — how redelivered sources and retried requests are absorbed."""
        try:
            aggregate.version = await insert_versioned(self.collection, self._id(aggregate), self._to_doc(aggregate),
                                                       self._to_events(aggregate, correlationid))
        except ConcurrencyConflict:
            return False
        aggregate.pending_events.clear()
        return True

    async def save(self, aggregate: Any, correlationid: str | None = None) -> None:
        """Write at the version it was read at; ConcurrencyConflict when that moved on."""
        aggregate.version = await update_versioned(self.collection, self._id(aggregate), aggregate.version,
                                                   self._to_doc(aggregate), self._to_events(aggregate, correlationid))
        aggregate.pending_events.clear()

    async def find(self, query: dict[str, Any], *, offset: int = 0, limit: int | None = None) -> list[Any]:
        """Matching aggregates by id (a stable order for pages): `offset` skipped, at most `limit`."""
        cursor = self.collection.find(query, {OUTBOX_FIELD: 0}).sort("_id", ASCENDING).skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [self._from_doc(d) async for d in cursor]


class ItemRepository(_VersionedRepository):
    def __init__(self, db: AsyncDatabase):
        from fourx_issues.adapters.integration import item_events
        super().__init__(db, ITEMS, "issue_id", item_to_document, item_from_document, item_events)

    async def not_closed(self, district: str) -> list[SupervisionItem]:
        """The district's items that are not closed (the daily check's): closed ones are not read."""
        return await self.find({"district": district, "status": {"$in": list(NOT_CLOSED)}})

    async def districts_with_open_items(self) -> list[str]:
        # `$in` rather than `$ne: closed`: an inequality is not served by the index.
        return sorted(await self.collection.distinct("district", {"status": {"$in": list(NOT_CLOSED)}}))

    async def fill_from_directory(self, district: str, street_of: dict[str, str],
                                  owner_of: dict[tuple[str, str], str]) -> None:
        """A directory that arrived after the items (topics are not ordered among each other):
        fill in the street of community items and the owner of items that have none. The
        version moves on, so a save based on the older state reloads instead of undoing this."""
        for community_id, street_id in street_of.items():
            await self.collection.update_many(
                {"district": district, "community_id": community_id, "street_id": None},
                {"$set": {"street_id": street_id}, "$inc": {VERSION_FIELD: 1}})
        for (kind, unit_id), person_id in owner_of.items():
            await self.collection.update_many(
                {"district": district, "responsible.kind": kind, "responsible.id": unit_id, "owner": None},
                {"$set": {"owner": person_id}, "$inc": {VERSION_FIELD: 1}})


class InspectionRepository(_VersionedRepository):
    def __init__(self, db: AsyncDatabase):
        from fourx_issues.adapters.integration import inspection_events
        super().__init__(db, INSPECTIONS, "inspection_id", inspection_to_document, inspection_from_document,
                         inspection_events)


class NoticeCounter:
    """Notice numbers per district and year without gaps or repeats.

    One series per district and year (`fourx_platform.numbering`): asking again for the same
    item — a retry after a crash, a second replica — returns the number it already got.
    """

    def __init__(self, db: AsyncDatabase):
        self._collection = db[COUNTERS]

    async def number_for(self, district: str, year: int, issue_id: str) -> int:
        return await numbering.number_for(self._collection, f"notice/{district}/{year}", issue_id, "seq")

    async def release(self, district: str, year: int, issue_id: str) -> bool:
        """Hand back the number this item holds if it is still the latest one; True if the
        item holds no number afterwards."""
        return await numbering.release(self._collection, f"notice/{district}/{year}", issue_id, "seq")


class DirectoryRepository:
    """The latest `directory-updated` snapshot per district (streets, communities, people)."""

    def __init__(self, db: AsyncDatabase):
        self._collection = db[DIRECTORIES]

    async def put(self, district: str, snapshot: dict[str, Any]) -> None:
        await self._collection.update_one({"_id": district}, {"$set": {"snapshot": snapshot}}, upsert=True)

    async def get(self, district: str) -> dict[str, Any] | None:
        doc = await self._collection.find_one({"_id": district})
        return doc["snapshot"] if doc else None


class SnapshotLog:
    """The supervision snapshots published, one document per answered request, each with its
    `supervision-snapshot` event in its outbox: stored and published like any state."""

    def __init__(self, db: AsyncDatabase):
        self._collection = db[SNAPSHOTS]

    async def add(self, district: str, week: str, event: CloudEvent) -> bool:
        """False (nothing written) when this event (same id: same request) was stored before."""
        try:
            await self._collection.insert_one({
                "_id": event.id, "district": district, "week": week, "as_of": str(event.data["as_of"]),
                OUTBOX_FIELD: outbox_entries([event])})
        except DuplicateKeyError:
            return False
        return True


# The collections whose documents carry an outbox (for the relay).
OUTBOX_COLLECTIONS = (ITEMS, INSPECTIONS, SNAPSHOTS)


def _ix(name: str, *keys: str) -> IndexModel:
    return IndexModel([(k, ASCENDING) for k in keys], name=name)


# Every query above by something other than `_id` has its index here, keys in the order the
# query uses them: equality first, then `_id` (the order of every list). Counters, snapshots
# and directories are read by `_id` only.
INDEXES: dict[str, list[IndexModel]] = {
    ITEMS: [
        _ix("district", "district", "_id"),                            # a district's items (lists, league, snapshot)
        _ix("district_status", "district", "status", "_id"),           # ?status=, the daily check (not closed)
        _ix("district_street", "district", "street_id", "_id"),        # ?street=
        _ix("district_community", "district", "community_id", "_id"),  # ?community=, fill_from_directory
        _ix("district_responsible", "district", "responsible.kind", "responsible.id"),  # fill_from_directory
        _ix("status_district", "status", "district"),                  # districts_with_open_items
    ],
    INSPECTIONS: [_ix("district", "district", "_id")],
}


async def create_indexes(db: AsyncDatabase) -> None:
    """The indexes of every query path, and the outbox relay's (idempotent; run at start)."""
    await ensure_indexes(db, INDEXES, OUTBOX_COLLECTIONS)
