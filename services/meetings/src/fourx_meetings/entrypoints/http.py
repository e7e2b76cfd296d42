"""HTTP API of the meetings service."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from fourx_meetings.domain.model import Comment, CommunityReport, DomainError, TaskAssignment, UnitRef
from fourx_meetings.service_layer import handlers

router = APIRouter()


class UnitIn(BaseModel):
    kind: str = Field(pattern="^(district|street|community|department)$")
    id: str = Field(min_length=1)


class ReportIn(BaseModel):
    community_id: str = Field(min_length=1)
    last_month: str
    next_month: str


class CommentIn(BaseModel):
    community_id: str = Field(min_length=1)
    by: str = Field(min_length=1)
    text: str


class TaskIn(BaseModel):
    task_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    assigned_to: UnitIn
    due_date: date


class HeldActivityDayIn(BaseModel):
    date: date
    venue: str = ""
    attendees: list[str] = []
    community_reports: list[ReportIn]
    comments: list[CommentIn]
    tasks: list[TaskIn] = []
    summary: str = Field(min_length=1)
    topic_ids: list[str] = []


def _uow(request: Request):
    return request.app.state.service.unit_of_work()


@router.put("/districts/{district}/activity-days/{meeting_id}/minutes", status_code=200)
async def hold_activity_day(
    district: str, meeting_id: str, body: HeldActivityDayIn, uow: Annotated[object, Depends(_uow)],
) -> dict:
    cmd = handlers.HoldActivityDay(
        district=district, meeting_id=meeting_id, date=body.date, venue=body.venue,
        attendees=body.attendees,
        community_reports=[CommunityReport(**r.model_dump()) for r in body.community_reports],
        comments=[Comment(**c.model_dump()) for c in body.comments],
        tasks=[TaskAssignment(task_id=t.task_id, title=t.title, due_date=t.due_date,
                              assigned_to=UnitRef(**t.assigned_to.model_dump())) for t in body.tasks],
        summary=body.summary, topic_ids=body.topic_ids,
    )
    try:
        day, changed = await handlers.hold_activity_day(cmd, uow)
    except DomainError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return {"meeting_id": day.meeting_id, "status": day.status, "changed": changed}
