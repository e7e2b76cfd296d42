"""The meetings service's documents in MongoDB. Each aggregate is one document holding its
pending events (outbox), written in one single-document update. Concurrent writers are kept
apart by the document's `version` (fourx_platform.versioned): the loser gets ConcurrencyConflict
and the use case runs again on fresh state.

The field was called `_rev` here before it became `version` in every service; no production
data exists yet and local stores are throwaway, so nothing migrates old documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_platform.indexes import ensure_indexes
from fourx_platform.outbox import OUTBOX_FIELD
from fourx_platform.versioned import VERSION_FIELD, insert_versioned, write_versioned
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from fourx_meetings.domain.activities import Activity, Figures, Observation, Outcome
from fourx_meetings.domain.directory import Directory
from fourx_meetings.domain.model import ActivityDay, Comment, CommunityReport, TaskAssignment, Topic, UnitRef
from fourx_meetings.domain.suggestions import Suggestion, SupervisionRequest
from fourx_meetings.domain.supervision import SupervisionFacts, SupervisionItem, latest_progress

DIRECTORIES = "directories"
ACTIVITY_DAYS = "activity_days"
ACTIVITIES = "activities"
SUPERVISION = "supervision_items"
CLOCKS = "district_clocks"
SUGGESTIONS = "suggestions"
OUTBOX_COLLECTIONS = (DIRECTORIES, ACTIVITY_DAYS, ACTIVITIES, SUGGESTIONS)

# Every query below by something other than `_id` has its index here, keys in the order the
# query uses them (equality first, then the sort). Directories and clocks are read by `_id`.
INDEXES: dict[str, list[IndexModel]] = {
    # list (district, sorted by date then _id: pages are stable) and previous (district, date < d)
    ACTIVITY_DAYS: [IndexModel([("district", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)],
                               name="district_date")],
    ACTIVITIES: [IndexModel([("district", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)],
                            name="district_date")],
    # list (district, by the day made, then _id)
    SUGGESTIONS: [IndexModel([("district", ASCENDING), ("made_on", ASCENDING), ("_id", ASCENDING)],
                             name="district_made_on")],
    # for_community: the items raised for the community, and those it is responsible for
    SUPERVISION: [IndexModel([("district", ASCENDING), ("community_id", ASCENDING)], name="district_community"),
                  IndexModel([("district", ASCENDING), ("responsible.kind", ASCENDING),
                              ("responsible.id", ASCENDING)], name="district_responsible")],
}


async def create_indexes(db: AsyncDatabase) -> None:
    """The indexes of every query path, and the outbox relay's (idempotent; run at start)."""
    await ensure_indexes(db, INDEXES, OUTBOX_COLLECTIONS)


def _key(district: str, ident: str) -> str:
    return f"{district}/{ident}"


# --- directory --------------------------------------------------------------------------------
class DirectoryRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[DIRECTORIES]

    async def get(self, district: str) -> tuple[Directory | None, int, str | None]:
        """(directory, version, content hash); version 0 when none was imported yet."""
        doc = await self._collection.find_one({"_id": district}, {OUTBOX_FIELD: 0})
        if doc is None:
            return None, 0, None
        return Directory.from_snapshot(doc["snapshot"]), doc[VERSION_FIELD], doc["content_hash"]

    async def snapshot(self, district: str) -> dict[str, Any] | None:
        doc = await self._collection.find_one({"_id": district}, {OUTBOX_FIELD: 0})
        return None if doc is None else {"version": doc[VERSION_FIELD], **doc["snapshot"]}

    async def save(self, district: str, directory: Directory, version: int, outgoing: list[CloudEvent]) -> int:
        state = {"district": district, "snapshot": directory.to_snapshot(), "content_hash": directory.content_hash()}
        return await write_versioned(self._collection, district, version, state, outgoing)

    async def districts(self) -> list[str]:
        return [doc["_id"] async for doc in self._collection.find({}, {"_id": 1})]


# --- activity days ---------------------------------------------------------------------------
def _unit(u: UnitRef) -> dict[str, str]:
    return {"kind": u.kind, "id": u.id}


def day_to_document(day: ActivityDay) -> dict[str, Any]:
    return {
        "district": day.district,
        "meeting_id": day.meeting_id,
        "date": day.date.isoformat(),
        "topic_deadline": day.topic_deadline.isoformat(),
        "first_friday": day.first_friday.isoformat() if day.first_friday else None,
        "calendar_confirmed": day.calendar_confirmed,
        "venue": day.venue,
        "status": day.status,
        "topics": [{"topic_id": t.topic_id, "title": t.title, "proposed_by": _unit(t.proposed_by),
                    "proposer": t.proposer, "proposed_on": t.proposed_on.isoformat(), "selected": t.selected}
                   for t in day.topics],
        "reports": [{"community_id": r.community_id, "last_month": r.last_month, "next_month": r.next_month,
                     "by": r.by, "supervision_items": list(r.supervision_items)} for r in day.reports.values()],
        "comments": [vars(c) for c in day.comments.values()],
        "tasks": [{"task_id": t.task_id, "title": t.title, "due_date": t.due_date.isoformat(),
                   "assigned_to": _unit(t.assigned_to), "by": t.by} for t in day.tasks],
        "summary": day.summary,
        "summary_by": day.summary_by,
        "attendees": day.attendees,
        "communities": day.communities,
    }


def day_from_document(doc: dict[str, Any]) -> ActivityDay:
    def d(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return ActivityDay(
        district=doc["district"], meeting_id=doc["meeting_id"], date=d(doc["date"]),
        topic_deadline=d(doc["topic_deadline"]), first_friday=d(doc.get("first_friday")),
        calendar_confirmed=doc.get("calendar_confirmed", True), venue=doc.get("venue", ""),
        status=doc["status"],
        topics=[Topic(t["topic_id"], t["title"], UnitRef(**t["proposed_by"]), t["proposer"],
                      d(t["proposed_on"]), t["selected"]) for t in doc.get("topics", [])],
        reports={r["community_id"]: CommunityReport(r["community_id"], r["last_month"], r["next_month"], r["by"],
                                                    tuple(r.get("supervision_items", [])))
                 for r in doc.get("reports", [])},
        comments={c["community_id"]: Comment(**c) for c in doc.get("comments", [])},
        tasks=[TaskAssignment(t["task_id"], t["title"], UnitRef(**t["assigned_to"]), d(t["due_date"]), t["by"])
               for t in doc.get("tasks", [])],
        summary=doc.get("summary", ""), summary_by=doc.get("summary_by", ""),
        attendees=doc.get("attendees", []), communities=doc.get("communities", []),
    )


class ActivityDayRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[ACTIVITY_DAYS]

    async def get(self, district: str, meeting_id: str) -> tuple[ActivityDay | None, int]:
        doc = await self._collection.find_one({"_id": _key(district, meeting_id)}, {OUTBOX_FIELD: 0})
        return (day_from_document(doc), doc[VERSION_FIELD]) if doc else (None, 0)

    async def save(self, day: ActivityDay, version: int, outgoing: list[CloudEvent]) -> int:
        return await write_versioned(self._collection, _key(day.district, day.meeting_id), version,
                                     day_to_document(day), outgoing)

    async def list(self, district: str, *, offset: int = 0, limit: int | None = None) -> list[ActivityDay]:
        """The district's activity days by date (then id, so pages do not overlap)."""
        cursor = self._collection.find({"district": district}, {OUTBOX_FIELD: 0}).sort(
            [("date", ASCENDING), ("_id", ASCENDING)]).skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [day_from_document(doc) async for doc in cursor]

    async def previous(self, district: str, before: date) -> ActivityDay | None:
        cursor = self._collection.find({"district": district, "date": {"$lt": before.isoformat()}},
                                       {OUTBOX_FIELD: 0}).sort(
            [("date", DESCENDING), ("_id", DESCENDING)]).limit(1)
        docs = await cursor.to_list(None)
        return day_from_document(docs[0]) if docs else None


# --- X activities ----------------------------------------------------------------------------
class ActivityRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[ACTIVITIES]

    @staticmethod
    def _from(doc: dict[str, Any]) -> Activity:
        return Activity(
            district=doc["district"], activity_id=doc["activity_id"], kind=doc["kind"],
            date=date.fromisoformat(doc["date"]), title=doc["title"], participants=doc["participants"],
            outcomes=[Outcome(o["title"], UnitRef(**o["responsible"]), date.fromisoformat(o["due_date"]))
                      for o in doc["outcomes"]],
            record=doc["record"], meeting_id=doc.get("meeting_id"), figures=_figures_from(doc.get("figures") or {}))

    async def get(self, district: str, activity_id: str) -> Activity | None:
        doc = await self._collection.find_one({"_id": _key(district, activity_id)}, {OUTBOX_FIELD: 0})
        return self._from(doc) if doc else None

    async def list(self, district: str, *, offset: int = 0, limit: int | None = None) -> list[Activity]:
        """The district's X activities by date (then id, so pages do not overlap)."""
        cursor = self._collection.find({"district": district}, {OUTBOX_FIELD: 0}).sort(
            [("date", ASCENDING), ("_id", ASCENDING)]).skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [self._from(doc) async for doc in cursor]

    async def add(self, activity: Activity, outgoing: list[CloudEvent]) -> None:
        state = {
            "district": activity.district, "activity_id": activity.activity_id, "kind": activity.kind,
            "date": activity.date.isoformat(), "title": activity.title, "participants": activity.participants,
            "outcomes": [{"title": o.title, "responsible": _unit(o.responsible), "due_date": o.due_date.isoformat()}
                         for o in activity.outcomes],
            "record": activity.record, "meeting_id": activity.meeting_id,
            "figures": _figures_to(activity.figures),
        }
        await insert_versioned(self._collection, _key(activity.district, activity.activity_id), state, outgoing)


def _figures_to(f: Figures) -> dict[str, Any]:
    return {"destinations": list(f.destinations), "visitors": f.visitors, "speakers": list(f.speakers),
            "observations": [{"unit": _unit(o.unit), "comment": o.comment} for o in f.observations]}


def _figures_from(doc: dict[str, Any]) -> Figures:
    return Figures(destinations=tuple(doc.get("destinations") or ()), visitors=doc.get("visitors"),
                   speakers=tuple(doc.get("speakers") or ()),
                   observations=tuple(Observation(UnitRef(**o["unit"]), o["comment"])
                                      for o in doc.get("observations") or ()))


# --- suggestions (意见建议) ------------------------------------------------------------------------
def _suggestion_to(s: Suggestion) -> dict[str, Any]:
    sup = s.supervision
    return {"district": s.district, "suggestion_id": s.suggestion_id, "title": s.title, "text": s.text,
            "made_by": s.made_by, "unit": _unit(s.unit), "made_on": s.made_on.isoformat(), "meeting_id": s.meeting_id,
            "status": s.status, "decided_on": s.decided_on.isoformat() if s.decided_on else None,
            "decided_by": s.decided_by, "requirement": s.requirement, "reason": s.reason,
            "supervision": None if sup is None else {"title": sup.title, "responsible": _unit(sup.responsible),
                                                     "due_date": sup.due_date.isoformat()}}


def _suggestion_from(doc: dict[str, Any]) -> Suggestion:
    sup = doc.get("supervision")
    return Suggestion(
        district=doc["district"], suggestion_id=doc["suggestion_id"], title=doc["title"], text=doc["text"],
        made_by=doc["made_by"], unit=UnitRef(**doc["unit"]), made_on=date.fromisoformat(doc["made_on"]),
        meeting_id=doc.get("meeting_id"), status=doc["status"],
        decided_on=date.fromisoformat(doc["decided_on"]) if doc.get("decided_on") else None,
        decided_by=doc.get("decided_by"), requirement=doc.get("requirement"), reason=doc.get("reason"),
        supervision=None if not sup else SupervisionRequest(sup["title"], UnitRef(**sup["responsible"]),
                                                            date.fromisoformat(sup["due_date"])))


class SuggestionRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[SUGGESTIONS]

    async def get(self, district: str, suggestion_id: str) -> tuple[Suggestion | None, int]:
        doc = await self._collection.find_one({"_id": _key(district, suggestion_id)}, {OUTBOX_FIELD: 0})
        return (_suggestion_from(doc), doc[VERSION_FIELD]) if doc else (None, 0)

    async def save(self, suggestion: Suggestion, version: int, outgoing: list[CloudEvent]) -> int:
        return await write_versioned(self._collection, _key(suggestion.district, suggestion.suggestion_id), version,
                                     _suggestion_to(suggestion), outgoing)

    async def list(self, district: str, *, offset: int = 0, limit: int | None = None) -> list[Suggestion]:
        """The district's suggestions by the day made (then id, so pages do not overlap)."""
        cursor = self._collection.find({"district": district}, {OUTBOX_FIELD: 0}).sort(
            [("made_on", ASCENDING), ("_id", ASCENDING)]).skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [_suggestion_from(doc) async for doc in cursor]


# --- supervision items (read model of the issues service's events) -------------------------------
class SupervisionRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[SUPERVISION]

    async def apply(self, district: str, issue_id: str, event_id: str, facts: SupervisionFacts) -> bool:
        """Apply one event's facts once: the event id is remembered in the document, and a
        document that already saw it is not matched. Returns False for a duplicate."""
        update: dict[str, Any] = {"$set": facts.fields}
        if facts.at_least:
            update["$max"] = facts.at_least
        try:
            result = await self._collection.update_one(
                {"_id": _key(district, issue_id), "seen": {"$ne": event_id}},
                {**update, "$addToSet": {"seen": event_id},
                 "$setOnInsert": {"district": district, "issue_id": issue_id}},
                upsert=True)
        except DuplicateKeyError:
            return False  # the document exists and has seen this event: the upsert collided
        return result.modified_count == 1 or result.upserted_id is not None

    async def get(self, district: str, issue_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": _key(district, issue_id)})

    async def for_community(self, district: str, community_id: str) -> list[SupervisionItem]:
        """Items raised for the community or with it responsible: two index-backed queries
        (SecantusDB's planner scans the collection for an `$or`), merged by id."""
        docs: dict[str, dict[str, Any]] = {}
        for query in ({"district": district, "community_id": community_id},
                      {"district": district, "responsible.kind": "community", "responsible.id": community_id}):
            async for doc in self._collection.find(query):
                docs.setdefault(doc["_id"], doc)
        return [supervision_item_from_document(docs[key]) for key in sorted(docs)]


def supervision_item_from_document(doc: dict[str, Any]) -> SupervisionItem:
    def d(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else None

    # Every record is kept by week and number, so records arriving in any order show the latest.
    week, record = latest_progress(doc.get("progress") or {}) or (None, {})
    return SupervisionItem(
        issue_id=doc["issue_id"], title=doc.get("title", ""), community_id=doc.get("community_id"),
        street_id=doc.get("street_id"), responsible=doc.get("responsible"), due_date=d(doc.get("due_date")),
        progress_week=week, progress_percent=record.get("percent"),
        progress_note=record.get("note"), resolved_on=d(doc.get("resolved_on")),
        resolution=doc.get("resolution"), days_overdue=doc.get("days_overdue"))


# --- the district's clock override (tests, demo, rehearsals) -------------------------------------
class ClockOverrides:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[CLOCKS]

    async def get(self, district: str) -> date | None:
        doc = await self._collection.find_one({"_id": district})
        return date.fromisoformat(doc["today"]) if doc else None

    async def set(self, district: str, today: date | None) -> None:
        if today is None:
            await self._collection.delete_one({"_id": district})
        else:
            await self._collection.update_one({"_id": district}, {"$set": {"today": today.isoformat(),
                                                                          "set_at": datetime.now().isoformat()}},
                                              upsert=True)
