"""In-memory stand-ins for the meetings service's store (unit tests only, no I/O).

They keep the store's invariants (service_layer/unit_of_work.py): state and outgoing events are
written together, saves are optimistic on a version, supervision facts apply once per event
id. Aggregates go through the same document mapping as in MongoDB, so a handler never gets
back the object it saved."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_meetings.adapters.repository import day_from_document, day_to_document, supervision_item_from_document
from fourx_platform.versioned import ConcurrencyConflict
from fourx_meetings.domain.directory import Directory


class FakeDirectories:
    def __init__(self, outbox: list[CloudEvent]):
        self.docs: dict[str, dict[str, Any]] = {}
        self._outbox = outbox

    async def get(self, district):
        doc = self.docs.get(district)
        if doc is None:
            return None, 0, None
        return Directory.from_snapshot(doc["snapshot"]), doc["version"], doc["content_hash"]

    async def snapshot(self, district):
        doc = self.docs.get(district)
        return None if doc is None else {"version": doc["version"], **copy.deepcopy(doc["snapshot"])}

    async def save(self, district, directory, version, outgoing):
        if self.docs.get(district, {"version": 0})["version"] != version:
            raise ConcurrencyConflict(district)
        self.docs[district] = {"snapshot": directory.to_snapshot(), "content_hash": directory.content_hash(),
                               "version": version + 1}
        self._outbox.extend(outgoing)
        return version + 1

    async def districts(self):
        return sorted(self.docs)


class FakeActivityDays:
    def __init__(self, outbox: list[CloudEvent]):
        self.docs: dict[str, dict[str, Any]] = {}
        self._outbox = outbox
        # Set to an async callable to simulate another writer acting just before the next save.
        self.before_save = None

    async def get(self, district, meeting_id):
        doc = self.docs.get(f"{district}/{meeting_id}")
        return (day_from_document(doc), doc["version"]) if doc else (None, 0)

    async def save(self, day, version, outgoing):
        if self.before_save is not None:
            hook, self.before_save = self.before_save, None
            await hook()
        key = f"{day.district}/{day.meeting_id}"
        if self.docs.get(key, {"version": 0})["version"] != version:
            raise ConcurrencyConflict(key)
        self.docs[key] = {**copy.deepcopy(day_to_document(day)), "version": version + 1}
        self._outbox.extend(outgoing)
        return version + 1

    async def list(self, district, *, offset=0, limit=None):
        days = sorted((day_from_document(d) for d in self.docs.values() if d["district"] == district),
                      key=lambda d: (d.date, d.meeting_id))
        return days[offset:None if limit is None else offset + limit]

    async def previous(self, district, before):
        earlier = [d for d in await self.list(district) if d.date < before]
        return earlier[-1] if earlier else None


class FakeActivities:
    def __init__(self, outbox: list[CloudEvent]):
        self.stored: dict[str, Any] = {}
        self._outbox = outbox

    async def get(self, district, activity_id):
        found = self.stored.get(f"{district}/{activity_id}")
        return copy.deepcopy(found)

    async def list(self, district, *, offset=0, limit=None):
        activities = sorted((copy.deepcopy(a) for a in self.stored.values() if a.district == district),
                            key=lambda a: (a.date, a.activity_id))
        return activities[offset:None if limit is None else offset + limit]

    async def add(self, activity, outgoing):
        key = f"{activity.district}/{activity.activity_id}"
        if key in self.stored:
            raise ConcurrencyConflict(key)
        self.stored[key] = replace(copy.deepcopy(activity), pending_events=[])
        self._outbox.extend(outgoing)


class FakeSuggestions:
    def __init__(self, outbox: list[CloudEvent]):
        self.stored: dict[str, tuple[Any, int]] = {}
        self._outbox = outbox

    async def get(self, district, suggestion_id):
        found, version = self.stored.get(f"{district}/{suggestion_id}", (None, 0))
        return copy.deepcopy(found), version

    async def save(self, suggestion, version, outgoing):
        key = f"{suggestion.district}/{suggestion.suggestion_id}"
        if self.stored.get(key, (None, 0))[1] != version:
            raise ConcurrencyConflict(key)
        self.stored[key] = (replace(copy.deepcopy(suggestion), pending_events=[]), version + 1)
        self._outbox.extend(outgoing)
        return version + 1

    async def list(self, district, *, offset=0, limit=None):
        found = sorted((copy.deepcopy(s) for s, _ in self.stored.values() if s.district == district),
                       key=lambda s: (s.made_on, s.suggestion_id))
        return found[offset:None if limit is None else offset + limit]


class FakeSupervision:
    def __init__(self):
        self.docs: dict[str, dict[str, Any]] = {}

    async def apply(self, district, issue_id, event_id, facts):
        doc = self.docs.setdefault(f"{district}/{issue_id}", {"district": district, "issue_id": issue_id, "seen": []})
        if event_id in doc["seen"]:
            return False
        facts.apply_to(doc)
        doc["seen"].append(event_id)
        return True

    async def for_community(self, district, community_id):
        return [supervision_item_from_document(d) for d in self.docs.values() if d["district"] == district and (
            d.get("community_id") == community_id or d.get("responsible") == {"kind": "community", "id": community_id})]


class FakeClocks:
    def __init__(self):
        self.today: dict[str, Any] = {}

    async def get(self, district):
        return self.today.get(district)

    async def set(self, district, today):
        if today is None:
            self.today.pop(district, None)
        else:
            self.today[district] = today


class FakeUnitOfWork:
    def __init__(self):
        self.outbox: list[CloudEvent] = []
        self.directories = FakeDirectories(self.outbox)
        self.activity_days = FakeActivityDays(self.outbox)
        self.activities = FakeActivities(self.outbox)
        self.suggestions = FakeSuggestions(self.outbox)
        self.supervision = FakeSupervision()
        self.clocks = FakeClocks()
        self.commits = 0

    def committed(self):
        self.commits += 1

    def events(self, type_: str) -> list[CloudEvent]:
        return [e for e in self.outbox if e.type == type_]
