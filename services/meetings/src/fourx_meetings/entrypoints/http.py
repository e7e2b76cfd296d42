"""HTTP API of the meetings service. Every route is under /districts/{district}/; who may
call it is the table in entrypoints/access.py (checked once, by fourx_platform.access); the
finer rule — a secretary reports only for their own community, ... — is the domain's
(domain/roles.py)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fourx_platform import paging
from fourx_platform.access import Authorized
from fourx_platform.auth import Caller
from fourx_platform.devmode import dev_mode
from fourx_contracts.types import Month, SaneDate
from fourx_contracts.vocabulary import ACTIVITY_KINDS
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from fourx_meetings.adapters.roster import XLSX
from fourx_meetings.adapters.roster import template as roster_template
from fourx_meetings.domain.activities import Outcome
from fourx_meetings.domain.calendar import parse_month
from fourx_meetings.domain.directory import DirectoryInvalid, Problem
from fourx_meetings.domain.errors import NotAllowed, NotFound
from fourx_meetings.domain.model import UnitRef
from fourx_meetings.domain.roles import Actor
from fourx_meetings.domain.suggestions import SupervisionRequest
from fourx_meetings.entrypoints import views
from fourx_meetings.service_layer import handlers
from fourx_meetings.service_layer.unit_of_work import UnitOfWork

router = APIRouter(prefix="/districts/{district}")


def _service(request: Request):
    return request.app.state.service


def _uow(request: Request) -> UnitOfWork:
    return _service(request).unit_of_work()


def _actor(caller: Caller) -> Actor:
    return Actor(caller.person_id, caller.roles, operator=caller.operator)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Bounds on what one request may carry. Texts are bounded too, not only by the body limit:
# each ends up in an integration event, and the broker refuses a record over 1 MiB.
ID = Field(min_length=1, max_length=200)
MAX_PEOPLE = 1000
MAX_ENTRIES = 100
MAX_TITLE = 500
MAX_TEXT = 5000
PersonId = Annotated[str, Field(max_length=200)]
Line = Annotated[str, Field(max_length=1000)]


class UnitIn(Strict):
    kind: Literal["district", "street", "community", "department"]
    id: str = ID


# --- directory --------------------------------------------------------------------------------
_DIRECTORY_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}}}
_ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip; YAML and JSON never start like this


def _is_roster(request: Request, raw: bytes) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == XLSX or raw.startswith(_ZIP_MAGIC)


@router.put("/directory", tags=["directory"], openapi_extra=_DIRECTORY_BODY,
            summary="Import the organisation directory (YAML, JSON or an .xlsx roster); errors name their line")
async def import_directory(district: str, request: Request, caller: Authorized) -> dict:
    """The whole directory at once. An Excel roster (content type
    `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, see
    `GET …/directory/template.xlsx`) names each problem's sheet, row and column."""
    raw = await request.body()
    roster = raw if _is_roster(request, raw) else None
    text = ""
    if roster is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DirectoryInvalid([Problem(None, "(file)", "组织名册须为 UTF-8 文本（YAML 或 JSON）或 Excel 名册（.xlsx）")]) from exc
    directory, version, changed = await handlers.import_directory(
        handlers.ImportDirectory(district, text, outbound=_service(request).outbound, roster=roster), _uow(request))
    return {"district": district, "version": version, "changed": changed,
            "counts": {"streets": len(directory.streets), "communities": len(directory.communities),
                       "departments": len(directory.departments), "people": len(directory.people)}}


@router.get("/directory/template.xlsx", tags=["directory"], response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
async def directory_template(district: str, caller: Authorized) -> Response:
    """The Excel roster to fill in and import: one sheet per part with its header and an
    example row, and a sheet explaining the roles and unit kinds (in Chinese)."""
    content = await asyncio.to_thread(roster_template)
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": "attachment; filename=\"directory-template.xlsx\"; "
                               f"filename*=UTF-8''{quote('组织名册模板.xlsx')}"})


@router.get("/me", tags=["directory"])
async def who_am_i(district: str, request: Request, caller: Authorized) -> dict:
    """The caller as the district's directory knows them: name, roles (with their Chinese
    labels), unit (its kind, name, and the street of a community), so a client shows the
    right workbench (工作台). An operator outside the directory gets `operator: true`."""
    directory, _, _ = await _uow(request).directories.get(district)
    person = directory.person(caller.person_id) if directory else None
    if person is None:
        if caller.operator:
            return {"district": district, "person_id": caller.person_id, "operator": True, "name": None,
                    "roles": [], "unit": None}
        raise NotFound(f"{caller.person_id} 不在本区组织名册中", code="access.not_in_directory")
    return views.person(person, directory, district, operator=caller.operator, counting=caller.roles)


@router.get("/directory", tags=["directory"])
async def get_directory(district: str, request: Request, caller: Authorized) -> dict:
    snapshot = await _uow(request).directories.snapshot(district)
    if snapshot is None:
        raise NotFound(f"本区（{district}）还没有组织名册，请先导入", code="directory.missing")
    return snapshot


# --- activity days ----------------------------------------------------------------------------
class ScheduleIn(Strict):
    month: Month
    venue: str | None = None


@router.post("/activity-days/schedule", tags=["activity days"],
             summary="Schedule a month's activity day now (the periodic job does the same)")
async def schedule(district: str, body: ScheduleIn, request: Request, response: Response,
                   caller: Authorized) -> dict:
    year, month = parse_month(body.month)
    service = _service(request)
    day, created = await handlers.schedule_activity_day(
        handlers.ScheduleActivityDay(district, year, month, body.venue), service.unit_of_work(),
        service.settings.default_venue)
    response.status_code = 201 if created else 200
    return {**views.activity_day(day), "created": created}


@router.get("/activity-days", tags=["activity days"], responses=paging.NEXT_PAGE)
async def list_activity_days(district: str, request: Request, response: Response, caller: Authorized,
                             limit: paging.Limit = paging.DEFAULT_LIMIT, offset: paging.Offset = 0) -> list[dict]:
    """One page of the district's activity days by date; the `Link` header (rel="next") gives the next."""
    found = await _uow(request).activity_days.list(district, offset=offset, limit=limit + 1)
    return [views.activity_day(d) for d in paging.plain_page(request, response, found, offset, limit)]


@router.get("/activity-days/{meeting_id}", tags=["activity days"])
async def get_activity_day(district: str, meeting_id: str, request: Request,
                           caller: Authorized) -> dict:
    uow = _uow(request)
    day, _ = await uow.activity_days.get(district, meeting_id)
    if day is None:
        raise NotFound(f"本区（{district}）没有集中活动日 {meeting_id!r}", code="activity_day.not_found")
    directory, _, _ = await uow.directories.get(district)
    return views.activity_day(day, directory)


class TopicIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    topic_id: str | None = Field(default=None, min_length=1, max_length=200)


@router.post("/activity-days/{meeting_id}/topics", tags=["topics"], status_code=201,
             summary="Propose a topic (any unit, inside the solicitation window)")
async def propose_topic(district: str, meeting_id: str, body: TopicIn, request: Request, response: Response,
                        caller: Authorized) -> dict:
    service = _service(request)
    day, topic_id, changed = await handlers.propose_topic(handlers.ProposeTopic(
        district, meeting_id, body.title, _actor(caller), await service.today(district), body.topic_id),
        service.unit_of_work())
    if not changed:
        response.status_code = 200
    return {"topic_id": topic_id, "meeting_id": meeting_id, "changed": changed}


@router.post("/activity-days/{meeting_id}/topics/{topic_id}/select", tags=["topics"],
             summary="Select a proposed topic for the day's agenda (Party-building office)")
async def select_topic(district: str, meeting_id: str, topic_id: str, request: Request,
                       caller: Authorized) -> dict:
    _, changed = await handlers.select_topic(
        handlers.SelectTopic(district, meeting_id, topic_id, _actor(caller)), _uow(request))
    return {"topic_id": topic_id, "selected": True, "changed": changed}


class ReportIn(Strict):
    last_month: str = Field(min_length=1, max_length=MAX_TEXT, description="上月工作")
    next_month: str = Field(min_length=1, max_length=MAX_TEXT, description="下月计划")


@router.get("/activity-days/{meeting_id}/reports/{community_id}/form", tags=["four items"],
            summary="A community's report form, pre-filled with its supervision items")
async def report_form(district: str, meeting_id: str, community_id: str, request: Request,
                      caller: Authorized) -> dict:
    return await handlers.community_report_form(district, meeting_id, community_id, _uow(request))


@router.put("/activity-days/{meeting_id}/reports/{community_id}", tags=["four items"],
            summary="Item 1: the community secretary's report")
async def record_report(district: str, meeting_id: str, community_id: str, body: ReportIn, request: Request,
                        caller: Authorized) -> dict:
    _, changed = await handlers.record_report(handlers.RecordReport(
        district, meeting_id, community_id, body.last_month, body.next_month, _actor(caller)), _uow(request))
    return {"community_id": community_id, "changed": changed}


class CommentIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


@router.put("/activity-days/{meeting_id}/comments/{community_id}", tags=["four items"],
            summary="Item 2: a street organisation committee member's comment on a community")
async def record_comment(district: str, meeting_id: str, community_id: str, body: CommentIn, request: Request,
                         caller: Authorized) -> dict:
    _, changed = await handlers.record_comment(handlers.RecordComment(
        district, meeting_id, community_id, body.text, _actor(caller)), _uow(request))
    return {"community_id": community_id, "changed": changed}


class TaskIn(Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    assigned_to: UnitIn
    due_date: SaneDate
    task_id: str | None = Field(default=None, min_length=1, max_length=200)


@router.post("/activity-days/{meeting_id}/tasks", tags=["four items"], status_code=201,
             summary="Item 3: a department responsible leader assigns a task")
async def assign_task(district: str, meeting_id: str, body: TaskIn, request: Request, response: Response,
                      caller: Authorized) -> dict:
    _, task_id, changed = await handlers.assign_task(handlers.AssignTask(
        district, meeting_id, body.title, UnitRef(body.assigned_to.kind, body.assigned_to.id), body.due_date,
        _actor(caller), body.task_id), _uow(request))
    if not changed:
        response.status_code = 200
    return {"task_id": task_id, "changed": changed}


class SummaryIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


@router.put("/activity-days/{meeting_id}/summary", tags=["four items"],
            summary="Item 4: the organisation department deputy head's summary")
async def record_summary(district: str, meeting_id: str, body: SummaryIn, request: Request,
                         caller: Authorized) -> dict:
    _, changed = await handlers.record_summary(handlers.RecordSummary(
        district, meeting_id, body.text, _actor(caller)), _uow(request))
    return {"changed": changed}


class CloseIn(Strict):
    attendees: list[PersonId] = Field(default_factory=list, max_length=MAX_PEOPLE)


@router.post("/activity-days/{meeting_id}/close", tags=["activity days"],
             summary="Close the day: refused (409) with what is missing; publishes meeting-held once")
async def close(district: str, meeting_id: str, request: Request, caller: Authorized,
                body: Annotated[CloseIn | None, Body()] = None) -> dict:
    service = _service(request)
    day, changed = await handlers.close_activity_day(handlers.CloseActivityDay(
        district, meeting_id, _actor(caller), await service.today(district),
        (body.attendees if body else [])), service.unit_of_work())
    return {**views.activity_day(day), "changed": changed}


# --- X activities -----------------------------------------------------------------------------
class OutcomeIn(Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    responsible: UnitIn
    due_date: SaneDate


class _ActivityBase(Strict):
    date: SaneDate
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    participants: list[PersonId] = Field(min_length=1, max_length=MAX_PEOPLE)
    outcomes: list[OutcomeIn] = Field(default_factory=list, max_length=MAX_ENTRIES)
    meeting_id: str | None = Field(default=None, max_length=200)
    activity_id: str | None = Field(default=None, min_length=1, max_length=200)


class ExperienceSharingRecord(Strict):
    presenter: str = Field(min_length=1, max_length=200)
    lessons: str = Field(min_length=1, max_length=MAX_TEXT)
    speakers: list[PersonId] = Field(default_factory=list, max_length=MAX_ENTRIES,
                                     description="the community secretaries who taught (person ids); "
                                                 "default: the presenter, if a community secretary")


class CollectiveDiagnosisRecord(Strict):
    problem: str = Field(min_length=1, max_length=MAX_TEXT)


class CaseTeachingRecord(Strict):
    teacher: str = Field(min_length=1, max_length=200)
    cases: list[Line] = Field(min_length=1, max_length=MAX_ENTRIES)
    questions_answered: list[Line] = Field(default_factory=list, max_length=MAX_ENTRIES)


Place = Annotated[str, Field(min_length=1, max_length=200)]


class StudyVisitRecord(Strict):
    destination: str | None = Field(default=None, min_length=1, max_length=200)
    destinations: list[Place] = Field(default_factory=list, max_length=MAX_ENTRIES,
                                      description="every place visited (参观学习的地点)")
    visitors: int | None = Field(default=None, ge=1, le=MAX_PEOPLE,
                                 description="how many people went; default: the participants listed")
    learned: str = Field(min_length=1, max_length=MAX_TEXT)

    @model_validator(mode="after")
    def _somewhere(self) -> "StudyVisitRecord":
        if not self.destination and not self.destinations:
            raise PydanticCustomError("missing_destination", "对标学访须记录参观学习的地点（destination 或 destinations）")
        return self


class ObservationIn(Strict):
    unit: UnitIn
    comment: str = Field(min_length=1, max_length=MAX_TEXT)


class SiteObservationRecord(Strict):
    community_id: str | None = Field(default=None, min_length=1, max_length=200)
    comments: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    observations: list[ObservationIn] = Field(default_factory=list, max_length=MAX_ENTRIES,
                                              description="every unit observed, each with the comment made on it")

    @model_validator(mode="after")
    def _observed(self) -> "SiteObservationRecord":
        if not self.observations and not (self.community_id and self.comments):
            raise PydanticCustomError("missing_observation",
                                      "现场观摩点评须记录被观摩的单位和点评意见（community_id 和 comments，或 observations）")
        return self


class ExperienceSharingIn(_ActivityBase):
    kind: Literal["experience_sharing"]
    record: ExperienceSharingRecord


class CollectiveDiagnosisIn(_ActivityBase):
    kind: Literal["collective_diagnosis"]
    record: CollectiveDiagnosisRecord
    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=MAX_ENTRIES,
                                      description="the problems decided, each with a responsible unit and a due date")


class CaseTeachingIn(_ActivityBase):
    kind: Literal["case_teaching"]
    record: CaseTeachingRecord


class StudyVisitIn(_ActivityBase):
    kind: Literal["study_visit"]
    record: StudyVisitRecord


class SiteObservationIn(_ActivityBase):
    kind: Literal["site_observation"]
    record: SiteObservationRecord


ActivityIn = Annotated[
    ExperienceSharingIn | CollectiveDiagnosisIn | CaseTeachingIn | StudyVisitIn | SiteObservationIn,
    Field(discriminator="kind"),
]


async def _activity_caller(request: Request, caller: Authorized) -> Caller:
    """Pydantic reports an unknown discriminator without a location; name the field `kind`
    (after the token check, so another district still gets its 403)."""
    try:
        body = await request.json()
    except ValueError:
        return caller  # not JSON: FastAPI's own 422 follows
    kinds = ACTIVITY_KINDS
    if isinstance(body, dict) and body.get("kind") not in kinds:
        raise RequestValidationError([{"type": "literal_error", "loc": ("body", "kind"), "input": body.get("kind"),
                                       "msg": f"kind must be one of {', '.join(kinds)}"}])
    return caller


# The record fields the figures added (v1.3): left out when not given, so a record written the
# old way is stored (and replays) exactly as before.
_FIGURE_FIELDS = {"destination", "destinations", "visitors", "speakers", "community_id", "comments", "observations"}


def _record(record: BaseModel) -> dict[str, Any]:
    return {k: v for k, v in record.model_dump().items() if not (k in _FIGURE_FIELDS and v in (None, []))}


@router.post("/activities", tags=["X activities"], status_code=201,
             summary="Record a typed X activity; publishes activity-held")
async def record_activity(district: str, body: Annotated[ActivityIn, Body()], request: Request, response: Response,
                          caller: Annotated[Caller, Depends(_activity_caller)]) -> dict:
    outcomes = [Outcome(o.title, UnitRef(o.responsible.kind, o.responsible.id), o.due_date) for o in body.outcomes]
    activity, changed = await handlers.record_activity(handlers.RecordActivity(
        district=district, kind=body.kind, date=body.date, title=body.title, participants=body.participants,
        outcomes=outcomes, record=_record(body.record), actor=_actor(caller), meeting_id=body.meeting_id,
        activity_id=body.activity_id), _uow(request))
    if not changed:
        response.status_code = 200
    return {**views.activity(activity), "changed": changed}


@router.get("/activities", tags=["X activities"], responses=paging.NEXT_PAGE)
async def list_activities(district: str, request: Request, response: Response, caller: Authorized,
                          limit: paging.Limit = paging.DEFAULT_LIMIT, offset: paging.Offset = 0) -> list[dict]:
    """One page of the district's X activities by date; the `Link` header (rel="next") gives the next."""
    found = await _uow(request).activities.list(district, offset=offset, limit=limit + 1)
    return [views.activity(a) for a in paging.plain_page(request, response, found, offset, limit)]


# --- suggestions (意见建议): made by any member, decided by the office --------------------------------
class SuggestionIn(Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    meeting_id: str | None = Field(default=None, max_length=200, description="the activity day it was made at")
    suggestion_id: str | None = Field(default=None, min_length=1, max_length=200)


class SupervisionIn(Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    responsible: UnitIn
    due_date: SaneDate


class AdoptIn(Strict):
    requirement: str = Field(min_length=1, max_length=MAX_TEXT, description="the work requirement (工作要求) it becomes")
    supervision: SupervisionIn | None = Field(default=None, description="where it fits: the supervision item to raise")


class DeclineIn(Strict):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


@router.post("/suggestions", tags=["suggestions"], status_code=201,
             summary="Hand a suggestion to the Party-building office (any member, in their unit's name)")
async def make_suggestion(district: str, body: SuggestionIn, request: Request, response: Response,
                          caller: Authorized) -> dict:
    service = _service(request)
    suggestion, changed = await handlers.make_suggestion(handlers.MakeSuggestion(
        district, body.title, body.text, _actor(caller), await service.today(district), body.meeting_id,
        body.suggestion_id), service.unit_of_work())
    if not changed:
        response.status_code = 200
    return {**views.suggestion(suggestion), "changed": changed}


@router.get("/suggestions", tags=["suggestions"], responses=paging.NEXT_PAGE)
async def list_suggestions(district: str, request: Request, response: Response, caller: Authorized,
                           limit: paging.Limit = paging.DEFAULT_LIMIT, offset: paging.Offset = 0) -> list[dict]:
    """One page of the district's suggestions by the day made; `Link` (rel="next") gives the next."""
    found = await _uow(request).suggestions.list(district, offset=offset, limit=limit + 1)
    return [views.suggestion(s) for s in paging.plain_page(request, response, found, offset, limit)]


@router.get("/suggestions/{suggestion_id}", tags=["suggestions"])
async def get_suggestion(district: str, suggestion_id: str, request: Request, caller: Authorized) -> dict:
    suggestion, _ = await _uow(request).suggestions.get(district, suggestion_id)
    if suggestion is None:
        raise NotFound(f"本区（{district}）没有意见建议 {suggestion_id!r}", code="suggestion.not_found")
    return views.suggestion(suggestion)


@router.post("/suggestions/{suggestion_id}/adopt", tags=["suggestions"],
             summary="Adopt into a work requirement (and, where it fits, a supervision item); publishes suggestion-decided")
async def adopt_suggestion(district: str, suggestion_id: str, body: AdoptIn, request: Request,
                           caller: Authorized) -> dict:
    service = _service(request)
    sup = body.supervision
    suggestion, changed = await handlers.decide_suggestion(handlers.DecideSuggestion(
        district, suggestion_id, _actor(caller), await service.today(district), adopt=True,
        requirement=body.requirement,
        supervision=None if sup is None else SupervisionRequest(
            sup.title, UnitRef(sup.responsible.kind, sup.responsible.id), sup.due_date)), service.unit_of_work())
    return {**views.suggestion(suggestion), "changed": changed}


@router.post("/suggestions/{suggestion_id}/decline", tags=["suggestions"],
             summary="Decline with a reason; publishes suggestion-decided")
async def decline_suggestion(district: str, suggestion_id: str, body: DeclineIn, request: Request,
                             caller: Authorized) -> dict:
    service = _service(request)
    suggestion, changed = await handlers.decide_suggestion(handlers.DecideSuggestion(
        district, suggestion_id, _actor(caller), await service.today(district), adopt=False,
        reason=body.reason), service.unit_of_work())
    return {**views.suggestion(suggestion), "changed": changed}


# --- the district's clock (tests, demo, rehearsals) ------------------------------------------------
class ClockIn(Strict):
    today: SaneDate | None = Field(description="the date the service takes as today for this district; null resets")


@router.get("/clock", tags=["ops"])
async def get_clock(district: str, request: Request, caller: Authorized) -> dict[str, Any]:
    service = _service(request)
    return {"today": (await service.today(district)).isoformat(),
            "overridden": await service.unit_of_work().clocks.get(district) is not None}


@router.put("/clock", tags=["ops"], summary="Set the district's 'today' (operators only, dev mode only)")
async def set_clock(district: str, body: ClockIn, request: Request,
                    caller: Authorized) -> dict[str, Any]:
    service = _service(request)
    if not service.clock_override_allowed():
        raise NotAllowed("本区日期覆盖已关闭（仅开发模式且 MEETINGS_ALLOW_CLOCK_OVERRIDE=true 时可用）",
                         code="clock.override_off")
    await service.unit_of_work().clocks.set(district, body.today)
    return {"today": (await service.today(district)).isoformat(), "overridden": body.today is not None}
