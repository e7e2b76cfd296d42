"""In-memory stand-ins for the issues service's store (unit tests only, no I/O)."""

from __future__ import annotations

from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_issues.adapters.integration import inspection_events, item_events
from fourx_issues.adapters.repository import (
    NOT_CLOSED, inspection_from_document, inspection_to_document, item_from_document, item_to_document,
)
from fourx_platform.versioned import ConcurrencyConflict


class FakeRepository:
    def __init__(self, id_attr, to_doc, from_doc, to_events, outbox: list[CloudEvent]):
        self.docs: dict[str, dict] = {}
        self._id_attr, self._to_doc, self._from_doc, self._to_events = id_attr, to_doc, from_doc, to_events
        self._outbox = outbox
        # Set to a callable to simulate another writer changing the document before a save
        # (of any aggregate, or only of the one whose id is in `before_save_of`).
        self.before_save = None
        self.before_save_of: dict[str, object] = {}
        self.queries: list[dict[str, Any]] = []   # every find, to see what a handler asked for

    def _key(self, district, aggregate_id):
        return f"{district}/{aggregate_id}"

    async def get(self, district, aggregate_id):
        doc = self.docs.get(self._key(district, aggregate_id))
        return self._from_doc(doc) if doc else None

    async def add(self, aggregate, correlationid=None):
        key = self._key(aggregate.district, getattr(aggregate, self._id_attr))
        if key in self.docs:
            return False
        self._outbox.extend(self._to_events(aggregate, correlationid))
        self.docs[key] = {**self._to_doc(aggregate), "version": 1}
        aggregate.version = 1
        aggregate.pending_events.clear()
        return True

    async def save(self, aggregate, correlationid=None):
        own_hook = self.before_save_of.pop(getattr(aggregate, self._id_attr), None)
        if own_hook is not None:
            await own_hook()
        if self.before_save is not None:
            hook, self.before_save = self.before_save, None
            await hook()
        key = self._key(aggregate.district, getattr(aggregate, self._id_attr))
        if self.docs[key]["version"] != aggregate.version:
            raise ConcurrencyConflict(key)
        self._outbox.extend(self._to_events(aggregate, correlationid))
        aggregate.version += 1
        self.docs[key] = {**self._to_doc(aggregate), "version": aggregate.version}
        aggregate.pending_events.clear()

    async def find(self, query: dict[str, Any], *, offset=0, limit=None):
        self.queries.append(query)

        def matches(value, wanted):
            if not isinstance(wanted, dict):
                return value == wanted
            return (("$in" not in wanted or value in wanted["$in"])
                    and ("$gte" not in wanted or (value is not None and value >= wanted["$gte"]))
                    and ("$lte" not in wanted or (value is not None and value <= wanted["$lte"])))
        found = [self._from_doc(d) for k, d in sorted(self.docs.items())
                 if all(matches(d.get(f), v) for f, v in query.items())]
        return found[offset:None if limit is None else offset + limit]

    async def not_closed(self, district):
        return await self.find({"district": district, "status": {"$in": list(NOT_CLOSED)}})

    async def districts_with_open_items(self):
        return sorted({d["district"] for d in self.docs.values() if d["status"] != "closed"})

    async def fill_from_directory(self, district, street_of, owner_of):
        for d in self.docs.values():
            if d["district"] != district:
                continue
            if d.get("street_id") is None and d.get("community_id") in street_of:
                d["street_id"] = street_of[d["community_id"]]
                d["version"] += 1
            unit = (d["responsible"]["kind"], d["responsible"]["id"])
            if d.get("owner") is None and unit in owner_of:
                d["owner"] = owner_of[unit]
                d["version"] += 1


class FakeCounter:
    def __init__(self):
        self.holders: dict[str, list[str]] = {}

    async def number_for(self, district, year, issue_id):
        holders = self.holders.setdefault(f"{district}/{year}", [])
        if issue_id not in holders:
            holders.append(issue_id)
        return holders.index(issue_id) + 1

    async def release(self, district, year, issue_id):
        holders = self.holders.get(f"{district}/{year}", [])
        if issue_id not in holders:
            return True
        if holders[-1] == issue_id:
            holders.pop()
            return True
        return False


class FakeDirectory:
    def __init__(self):
        self.snapshots = {}

    async def put(self, district, snapshot):
        self.snapshots[district] = snapshot

    async def get(self, district):
        return self.snapshots.get(district)


class FakeUnitOfWork:
    def __init__(self):
        self.outbox: list[CloudEvent] = []
        self.items = FakeRepository("issue_id", item_to_document, item_from_document, item_events, self.outbox)
        self.inspections = FakeRepository("inspection_id", inspection_to_document, inspection_from_document,
                                          inspection_events, self.outbox)
        self.notice_numbers = FakeCounter()
        self.directory = FakeDirectory()
        self.commits = 0

    def committed(self):
        self.commits += 1

    def events(self, type_: str) -> list[CloudEvent]:
        return [e for e in self.outbox if e.type == type_]
