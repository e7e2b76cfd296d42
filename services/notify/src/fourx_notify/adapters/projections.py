"""Projections the read model keeps beside its events, so that a bulletin or a notice reads
what it needs and not the district's history.

- `items`: one small document per supervision item, updated as its events are stored, that
  answers "how did the item stand at the end of week W" for any W:
  `raised_key`/`raised` — its first `issue-raised` in the bulletin's order (date, time, id);
  `open_until` — the first day it was resolved ("9999-12-31" while open);
  `overdue_on` — the first day it was reported overdue;
  `progress.<week>` — the latest progress record of that week, as a sortable key that ends
  with its percent ("seq|time|id|percent"): the latest of weeks ≤ W is the item's percent.
  Every update is `$min`/`$max` or conditional on the key, so stores commute: any order, any
  redelivery, several replicas give the same document.
- `directories`: the latest `directory-updated` per district (by time, then id).
A bulletin for week W reads the items with `open_until` ≥ W's Monday (index
`(district, open_until)`): those open at the week's start or closed since — not the closed past.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from fourx_notify.domain.bulletin import ItemState
from fourx_notify.domain.stats import StoredEvent, week_bounds

ITEMS = "items"
DIRECTORIES = "directories"
# The requests the issues service has answered (`supervision-snapshot.request_id`), by id: what
# a waiting report polls for, one `_id` look-up for all of them.
ANSWERS = "answered_requests"
OPEN = "9999-12-31"
ITEM_EVENTS = ("issue-raised", "issue-resolved", "issue-overdue", "progress-recorded")


def _time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _raised(e: StoredEvent) -> dict[str, Any]:
    return {"occurred_on": e.occurred_on.isoformat(), "week": e.week, "data": e.data}


def _raised_key(e: StoredEvent) -> str:
    return f"{e.occurred_on.isoformat()}|{_time(e.time)}|{e.id}"


def _item_events(events: Iterable[StoredEvent]) -> list[StoredEvent]:
    return [e for e in events if e.type in ITEM_EVENTS and e.data.get("issue_id") is not None]


def item_updates(events: Iterable[StoredEvent]) -> list[UpdateOne]:
    """The item projection's updates for these events: one per event. A raise that creates
    the item's document writes its data with it; one that finds the document there (another
    of its events came first) needs `raise_follow_ups` too."""
    ops: list[UpdateOne] = []
    for e in _item_events(events):
        iid = e.data["issue_id"]
        key = {"_id": f"{e.district}:{iid}"}
        base: dict[str, Any] = {"$setOnInsert": {"district": e.district, "issue_id": iid}}
        if e.type == "issue-raised":
            ops.append(UpdateOne(key, {"$setOnInsert": {**base["$setOnInsert"], "raised": _raised(e)},
                                       "$min": {"raised_key": _raised_key(e), "open_until": OPEN}}, upsert=True))
        elif e.type == "issue-resolved":
            ops.append(UpdateOne(key, {**base, "$min": {"open_until": str(e.data["resolved_on"])}}, upsert=True))
        elif e.type == "issue-overdue":
            ops.append(UpdateOne(key, {**base, "$min": {"open_until": OPEN, "overdue_on": e.occurred_on.isoformat()}},
                                 upsert=True))
        elif e.type == "progress-recorded":
            week = str(e.data["week"])
            order = f"{int(e.data.get('seq') or 0):010d}|{_time(e.time)}|{e.id}|{int(e.data['percent'])}"
            ops.append(UpdateOne(key, {**base, "$min": {"open_until": OPEN}, "$max": {f"progress.{week}": order}},
                                 upsert=True))
    return ops


def raise_follow_ups(events: Sequence[StoredEvent], created: set[int]) -> list[UpdateOne]:
    """For each raise whose update in `item_updates(events)` did not create the item's
    document (`created`: the indexes of those that did): write its data if it is the item's
    first raise (the smallest key), whichever raise is stored last."""
    return [UpdateOne({"_id": f"{e.district}:{e.data['issue_id']}", "raised_key": _raised_key(e)},
                      {"$set": {"raised": _raised(e)}})
            for i, e in enumerate(_item_events(events)) if e.type == "issue-raised" and i not in created]


def state_at_week_end(doc: dict[str, Any], week: str) -> ItemState | None:
    """The item as it stood at the end of `week`; None if it was not raised by then."""
    _, end = week_bounds(week)
    raised = doc.get("raised")
    if not raised or raised["occurred_on"] > end.isoformat():
        return None
    resolved_on = doc.get("open_until")
    overdue_on = doc.get("overdue_on")
    weeks = [w for w in (doc.get("progress") or {}) if w <= week]
    percent = int(doc["progress"][max(weeks)].rsplit("|", 1)[1]) if weeks else None
    return ItemState(issue_id=doc["issue_id"], data=raised["data"], week=raised["week"],
                     resolved_on=resolved_on if resolved_on and resolved_on <= end.isoformat() else None,
                     overdue_reported=bool(overdue_on and overdue_on <= end.isoformat()), percent=percent)


class Projections:
    def __init__(self, db: AsyncDatabase):
        self._items = db[ITEMS]
        self._directories = db[DIRECTORIES]
        self._answers = db[ANSWERS]

    async def create_indexes(self) -> None:
        await self._items.create_index([("district", ASCENDING), ("open_until", ASCENDING)])
        # A city's view: the districts whose latest directory names the city.
        await self._directories.create_index([("data.city", ASCENDING)], sparse=True)

    async def apply(self, events: Sequence[StoredEvent]) -> None:
        """Bring the projections up to these events (every one of them, new or seen: a crash
        between storing the events and this leaves nothing behind on redelivery)."""
        ops = item_updates(events)
        if ops:
            # Unordered: every update is `$min`/`$max`/`$setOnInsert`, so they commute. Most
            # raises create their item and are done in one write (half the store's time of
            # the two writes each they used to take: raises are half of all events).
            result = await self._items.bulk_write(ops, ordered=False)
            if follow := raise_follow_ups(events, set(result.upserted_ids)):
                await self._items.bulk_write(follow, ordered=False)
        # The answer's event id too: the bulletin reads its snapshot by id, not among every
        # snapshot the district was ever sent.
        answers = [UpdateOne({"_id": e.data["request_id"]}, {"$setOnInsert": {"district": e.district, "event_id": e.id}},
                             upsert=True)
                   for e in events if e.type == "supervision-snapshot" and e.data.get("request_id")]
        if answers:
            await self._answers.bulk_write(answers, ordered=False)
        newest: dict[str, StoredEvent] = {}
        for e in events:
            if e.type == "directory-updated" and (e.district not in newest or _dir_key(e) > _dir_key(newest[e.district])):
                newest[e.district] = e
        for district, e in newest.items():
            try:  # replaces an older directory; a newer one already there makes this a duplicate insert
                await self._directories.update_one(
                    {"_id": district, "key": {"$lt": _dir_key(e)}},
                    {"$set": {"key": _dir_key(e), "data": e.data}}, upsert=True)
            except DuplicateKeyError:
                pass  # the stored directory is this one or a newer one

    async def items_at_week_end(self, district: str, week: str, also: Iterable[str] = ()) -> dict[str, ItemState]:
        """The items a bulletin for `week` lists (open at its start or closed since, raised by
        its end), and those of `also` (items its notices name, closed or not)."""
        monday, _ = week_bounds(week)
        ids = [f"{district}:{iid}" for iid in sorted(set(also))]
        # Two simple queries, not one `$or` (SecantusDB scans for that).
        docs = [d async for d in self._items.find({"district": district, "open_until": {"$gte": monday.isoformat()}},
                                                  {"raised_key": 0})]
        if ids:
            docs += [d async for d in self._items.find({"_id": {"$in": ids}}, {"raised_key": 0})]
        states = {}
        for doc in docs:
            state = state_at_week_end(doc, week)
            if state is not None:
                states[state.issue_id] = state
        return states

    async def answer(self, request_id: str) -> str | None:
        """The id of the `supervision-snapshot` answering this request, if stored."""
        doc = await self._answers.find_one({"_id": request_id}, {"event_id": 1})
        return doc.get("event_id") if doc else None

    async def answered(self, request_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(request_ids))
        if not ids:
            return set()
        return {d["_id"] async for d in self._answers.find({"_id": {"$in": ids}}, {"_id": 1})}

    async def item_title(self, district: str, issue_id: str) -> str | None:
        doc = await self._items.find_one({"_id": f"{district}:{issue_id}"}, {"raised.data.title": 1})
        return ((doc or {}).get("raised") or {}).get("data", {}).get("title")

    async def directory(self, district: str) -> dict[str, Any] | None:
        doc = await self._directories.find_one({"_id": district}, {"data": 1})
        return doc["data"] if doc else None

    async def districts_of_city(self, city: str) -> dict[str, str]:
        return {d["_id"]: d["data"].get("district_name") or d["_id"]
                async for d in self._directories.find({"data.city": city}, {"data.district_name": 1})}

    async def districts(self) -> list[str]:
        return sorted([d["_id"] async for d in self._directories.find({}, {"_id": 1})])


def _dir_key(e: StoredEvent) -> str:
    return f"{_time(e.time)}|{e.id}"


def open_at_week_end(states: dict[str, ItemState]) -> int:
    """`open_issues` of the week: raised by its end and not resolved by then."""
    return sum(1 for s in states.values() if s.resolved_on is None)

