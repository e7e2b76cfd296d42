"""Activity days in MongoDB, one document each, with their pending events (outbox) inside."""

from __future__ import annotations

from datetime import date
from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_contracts.outbox import OUTBOX_FIELD, outbox_push
from pymongo.asynchronous.database import AsyncDatabase

from fourx_meetings.domain.model import ActivityDay, Comment, CommunityReport, TaskAssignment, UnitRef

COLLECTION = "activity_days"


def _doc_id(district: str, meeting_id: str) -> str:
    return f"{district}/{meeting_id}"


def to_document(day: ActivityDay) -> dict[str, Any]:
    return {
        "district": day.district,
        "meeting_id": day.meeting_id,
        "date": day.date.isoformat(),
        "venue": day.venue,
        "status": day.status,
        "attendees": day.attendees,
        "community_reports": [vars(r) for r in day.community_reports],
        "comments": [vars(c) for c in day.comments],
        "tasks": [
            {"task_id": t.task_id, "title": t.title, "due_date": t.due_date.isoformat(),
             "assigned_to": vars(t.assigned_to)}
            for t in day.tasks
        ],
        "summary": day.summary,
        "topic_ids": day.topic_ids,
    }


def from_document(doc: dict[str, Any]) -> ActivityDay:
    return ActivityDay(
        district=doc["district"],
        meeting_id=doc["meeting_id"],
        date=date.fromisoformat(doc["date"]),
        venue=doc.get("venue", ""),
        status=doc["status"],
        attendees=doc.get("attendees", []),
        community_reports=[CommunityReport(**r) for r in doc.get("community_reports", [])],
        comments=[Comment(**c) for c in doc.get("comments", [])],
        tasks=[
            TaskAssignment(task_id=t["task_id"], title=t["title"], due_date=date.fromisoformat(t["due_date"]),
                           assigned_to=UnitRef(**t["assigned_to"]))
            for t in doc.get("tasks", [])
        ],
        summary=doc.get("summary", ""),
        topic_ids=doc.get("topic_ids", []),
    )


class ActivityDayRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]

    async def get(self, district: str, meeting_id: str) -> ActivityDay | None:
        doc = await self._collection.find_one({"_id": _doc_id(district, meeting_id)}, {OUTBOX_FIELD: 0})
        return from_document(doc) if doc else None

    async def save(self, day: ActivityDay, outgoing: list[CloudEvent]) -> None:
        """State and its events in one single-document write."""
        update: dict[str, Any] = {"$set": to_document(day)}
        if outgoing:
            update.update(outbox_push(outgoing))
        await self._collection.update_one({"_id": _doc_id(day.district, day.meeting_id)}, update, upsert=True)
