"""HTTP API of the issues service. Every route lives under /districts/{district}/; who may call
it is the table in entrypoints/access.py, and only an item's responsible unit (or a supervising
office) acts on it (domain/ownership.py); bad input is a 4xx naming the field, never a 500."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fourx_platform import paging
from fourx_platform.access import Authorized
from fourx_platform.auth import Caller
from fourx_platform.devmode import dev_mode
from fourx_contracts.types import IsoWeek, SaneDate
from fourx_contracts.vocabulary import InspectionKind, ItemStatus, LightColour, SourceKind, UnitKind
from pydantic import BaseModel, Field

from fourx_issues.adapters import export
from fourx_issues.adapters.repository import item_to_document
from fourx_issues.domain.listing import InterviewState, ItemFilter, Mine, NoticeState
from fourx_issues.domain.model import HAPPENING_LABELS, Finding, Inspection, SupervisionItem, Source, UnitRef
from fourx_issues.domain.ownership import Actor
from fourx_issues.service_layer import handlers

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An export is one response built in memory: a district's list fits many times over.
MAX_EXPORT_ROWS = 5000

# Bounds on what one request may carry. Texts are bounded too, not only by the body limit:
# each ends up in an integration event, and the broker refuses a record over 1 MiB.
ID = Field(min_length=1, max_length=200)
MAX_ENTRIES = 100
MAX_TEXT = 5000


class UnitIn(BaseModel):
    kind: UnitKind
    id: str = ID

    def ref(self) -> UnitRef:
        return UnitRef(self.kind, self.id)


class SourceIn(BaseModel):
    kind: SourceKind = "community"
    ref: str = ID


class RaiseItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=MAX_TEXT)
    source: SourceIn
    responsible: UnitIn
    co_units: list[UnitIn] = Field([], max_length=MAX_ENTRIES)
    owner: str | None = Field(None, max_length=200)
    due_date: SaneDate
    raised_on: SaneDate | None = Field(None, description="defaults to today")
    issue_id: str | None = Field(None, min_length=1, max_length=200,
                                 description="give one to make a retried request idempotent")


class ProgressIn(BaseModel):
    week: IsoWeek
    note: str = Field(min_length=1, max_length=MAX_TEXT)
    percent: int = Field(ge=0, le=100)


class ResolutionIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=MAX_TEXT)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class NoticeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)
    respond_by: SaneDate | None = None


class InterviewIn(BaseModel):
    scheduled_for: SaneDate
    at: Annotated[str | None, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")] = None
    place: str | None = Field(None, min_length=1, max_length=500)
    person_id: str | None = Field(None, min_length=1, max_length=200,
                                  description="who is interviewed; defaults to the notice's addressee")
    interviewer: str | None = Field(None, min_length=1, max_length=200, description="who holds the interview")
    reason: str | None = Field(None, min_length=1, max_length=MAX_TEXT)


class OutcomeIn(BaseModel):
    outcome: str = Field(min_length=1, max_length=MAX_TEXT)


class DailyCheckIn(BaseModel):
    today: SaneDate | None = Field(None, description="the day to check as (dev mode only); defaults to the "
                                                     "service clock's today")


class PlanInspectionIn(BaseModel):
    inspection_id: str | None = Field(None, min_length=1, max_length=200)
    kind: InspectionKind
    date: SaneDate
    units: list[UnitIn] = Field(min_length=1, max_length=MAX_ENTRIES)


class RaisesItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    due_date: SaneDate
    owner: str | None = Field(None, max_length=200)


class FindingIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    unit: UnitIn | None = None
    raise_item: RaisesItemIn | None = None


class HoldInspectionIn(BaseModel):
    held_on: SaneDate | None = None
    findings: list[FindingIn] = Field(max_length=MAX_ENTRIES)


def _service(request: Request):
    return request.app.state.service


def _today(request: Request, today: date | None = None, loc: tuple[str, ...] = ("query", "today")) -> date:
    """The service clock's today; a caller's `today` only in dev mode (tests, the demo): in
    production nobody may look at or act on the list as of another day."""
    if today is None:
        return _service(request).clock.today()
    if not dev_mode():
        raise RequestValidationError([{"type": "dev_mode_only", "loc": loc, "input": today.isoformat(),
                                       "msg": "只有开发模式（FOURX_DEV_MODE=1）才接受指定 today"}])
    return today


def _actor(caller: Caller) -> Actor:
    unit = UnitRef(*caller.unit) if caller.unit else None
    return Actor(caller.person_id, caller.roles, unit, operator=caller.operator)


def item_view(item: SupervisionItem, today: date) -> dict[str, Any]:
    view = item_to_document(item)
    verdict = item.verdict(today)
    view.update(light=verdict.light.value if verdict.light else None, light_reason=verdict.reason,
                light_reason_text=verdict.text, light_as_of=today.isoformat(),
                missing_weeks=item.missing_weeks(today), missing_weeks_count=item.missing_week_count(today),
                days_left=(item.due_date - today).days,
                version=item.version)
    view.pop("light_on", None)
    view.pop("history", None)  # the item's page shows it as its timeline
    return view


def timeline_view(item: SupervisionItem) -> list[dict[str, Any]]:
    return [{"kind": h.kind, "label": HAPPENING_LABELS.get(h.kind, h.kind), "on": h.on.isoformat() if h.on else None,
             "by": h.by, "text": h.text} for h in item.timeline()]


def inspection_view(inspection: Inspection) -> dict[str, Any]:
    from fourx_issues.adapters.repository import inspection_to_document
    return {**inspection_to_document(inspection), "version": inspection.version}


# --- supervision items -------------------------------------------------------------------
@router.post("/districts/{district}/issues", status_code=201, tags=["supervision items"])
async def raise_item(request: Request, district: str, body: RaiseItemIn, caller: Authorized) -> dict:
    """Raise a supervision item by hand (a community's problem, an inspection finding, ...)."""
    service, today = _service(request), _today(request)
    item, created = await handlers.raise_item(handlers.RaiseItem(
        district=district, title=body.title, description=body.description,
        source=Source(body.source.kind, body.source.ref), responsible=body.responsible.ref(),
        co_units=[u.ref() for u in body.co_units], owner=body.owner, due_date=body.due_date,
        raised_on=body.raised_on or today, issue_id=body.issue_id, actor=_actor(caller)), service.unit_of_work())
    return {**item_view(item, today), "created": created}


async def item_filter(
    caller: Authorized,
    street: str | None = None, community: str | None = None,
    department: Annotated[str | None, Query(description="responsible (or co-responsible) department id")] = None,
    unit_kind: UnitKind | None = None,
    unit_id: str | None = None,
    status: ItemStatus | None = None,
    light: LightColour | None = None,
    due_after: Annotated[SaneDate | None, Query(description="due on or after this day")] = None,
    due_before: Annotated[SaneDate | None, Query(description="due on or before this day")] = None,
    notice: Annotated[NoticeState | None, Query(description="issued, unsigned (to sign), signed, none")] = None,
    interview: Annotated[InterviewState | None, Query(description="scheduled, pending (no outcome yet), done, "
                                                                  "none")] = None,
    mine: Annotated[bool, Query(description="only the caller's: their unit's items and the notices and "
                                            "interviews addressed to them")] = False,
) -> ItemFilter:
    """The list's filters, the same for the page and the Excel export."""
    if (unit_kind is None) != (unit_id is None):
        missing = "unit_id" if unit_id is None else "unit_kind"
        raise RequestValidationError([{"type": "missing", "loc": ("query", missing), "input": None,
                                       "msg": "unit_kind 与 unit_id 须同时给出"}])
    if due_after and due_before and due_after > due_before:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "due_before"),
                                       "input": due_before.isoformat(), "msg": "due_before 不能早于 due_after"}])
    me = Mine(caller.person_id, UnitRef(*caller.unit) if caller.unit else None) if mine else None
    return ItemFilter(street=street, community=community, department=department,
                      unit=UnitRef(unit_kind, unit_id) if unit_kind else None, status=status, light=light,
                      due_after=due_after, due_before=due_before, notice=notice, interview=interview, mine=me)


Filters = Annotated[ItemFilter, Depends(item_filter)]


@router.get("/districts/{district}/issues", tags=["supervision items"], responses=paging.NEXT_PAGE)
async def list_items(
    request: Request, response: Response, district: str, caller: Authorized, where: Filters,
    today: Annotated[SaneDate | None, Query(description="compute the lights as of this day (dev mode only)")] = None,
    limit: paging.Limit = paging.DEFAULT_LIMIT, offset: paging.Offset = 0,
) -> dict:
    """The supervision list (督办问题清单), filtered; lights as of `today`. One page of at most
    `limit` items by id; `next_offset`/`next` (and the `Link` header) give the next page."""
    day = _today(request, today)
    items = await handlers.list_items(_service(request).unit_of_work(), district, today=day, where=where,
                                      offset=offset, limit=limit + 1)
    page = paging.page_of(items, offset, limit)
    return {"today": day.isoformat(), "count": len(page.items), "items": [item_view(i, day) for i in page.items],
            **paging.announce(request, response, page)}


@router.get("/districts/{district}/issues/export.xlsx", tags=["supervision items"],
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def export_items(request: Request, district: str, caller: Authorized, where: Filters,
                       today: Annotated[SaneDate | None, Query(description="dev mode only")] = None) -> Response:
    """The filtered supervision list as an Excel workbook (Chinese headers and labels), every
    matching item (at most `MAX_EXPORT_ROWS`), lights as of today."""
    day = _today(request, today)
    uow = _service(request).unit_of_work()
    items = await handlers.list_items(uow, district, today=day, where=where, limit=MAX_EXPORT_ROWS + 1)
    if len(items) > MAX_EXPORT_ROWS:
        raise RequestValidationError([{"type": "too_long", "loc": ("query",), "input": None,
                                       "msg": f"符合条件的事项超过 {MAX_EXPORT_ROWS} 条，请缩小筛选范围后再导出"}])
    directory = await handlers.directory_of(uow, district)
    content = export.workbook(items, directory, day)
    name = f"督办清单-{district}-{day.isoformat()}.xlsx"
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"issues-{day.isoformat()}.xlsx\"; "
                               f"filename*=UTF-8''{quote(name)}"})


@router.get("/districts/{district}/issues/{issue_id}", tags=["supervision items"])
async def get_item(request: Request, district: str, issue_id: str, caller: Authorized,
                   today: Annotated[SaneDate | None, Query(description="dev mode only")] = None) -> dict:
    """One item with its light and its timeline (履历: raised, records, claims, verification or
    reopening, notice and its signing, interview and its outcome), oldest first."""
    item = await handlers.load_item(_service(request).unit_of_work(), district, issue_id)
    return {**item_view(item, _today(request, today)), "timeline": timeline_view(item)}


@router.post("/districts/{district}/issues/{issue_id}/start", tags=["supervision items"])
async def start_item(request: Request, district: str, issue_id: str, caller: Authorized) -> dict:
    item = await handlers.start_item(_service(request).unit_of_work(), district, issue_id,
                                          actor=_actor(caller))
    return item_view(item, _today(request))


@router.post("/districts/{district}/issues/{issue_id}/progress", tags=["supervision items"])
async def record_progress(request: Request, district: str, issue_id: str, body: ProgressIn,
                          caller: Authorized) -> dict:
    """The weekly work record (写实) of one ISO week → `progress-recorded`."""
    today = _today(request)
    item = await handlers.record_progress(_service(request).unit_of_work(), district, issue_id,
                                               week=body.week, note=body.note, percent=body.percent,
                                               today=today, by=caller.person_id, actor=_actor(caller))
    return item_view(item, today)


@router.post("/districts/{district}/issues/{issue_id}/resolution", tags=["supervision items"])
async def claim_resolved(request: Request, district: str, issue_id: str, body: ResolutionIn,
                         caller: Authorized) -> dict:
    """The responsible unit reports the item resolved; the office verifies it."""
    today = _today(request)
    item = await handlers.claim_resolved(_service(request).unit_of_work(), district, issue_id,
                                              resolution=body.resolution, today=today, actor=_actor(caller))
    return item_view(item, today)


@router.post("/districts/{district}/issues/{issue_id}/verification", tags=["supervision items"])
async def verify(request: Request, district: str, issue_id: str, caller: Authorized) -> dict:
    """The Party-building office verifies and closes the item → `issue-resolved`."""
    today = _today(request)
    item = await handlers.verify(_service(request).unit_of_work(), district, issue_id, today=today,
                                 by=caller.person_id)
    return item_view(item, today)


@router.post("/districts/{district}/issues/{issue_id}/reopen", tags=["supervision items"])
async def reopen(request: Request, district: str, issue_id: str, body: ReasonIn, caller: Authorized) -> dict:
    today = _today(request)
    item = await handlers.reopen(_service(request).unit_of_work(), district, issue_id, reason=body.reason,
                                 today=today, by=caller.person_id)
    return item_view(item, today)


# --- escalation -----------------------------------------------------------------------------
@router.post("/districts/{district}/issues/{issue_id}/notice", tags=["escalation"])
async def issue_notice(request: Request, district: str, issue_id: str, body: NoticeIn, caller: Authorized) -> dict:
    """Issue a supervision notice (督办通知) by hand, e.g. for weak progress → `notice-issued`."""
    service, today = _service(request), _today(request)
    item = await handlers.issue_notice(service.unit_of_work(), district, issue_id, today=today,
                                            reason=body.reason, respond_by=body.respond_by,
                                            policy=service.policy, by=caller.person_id)
    return item_view(item, today)


@router.post("/districts/{district}/issues/{issue_id}/notice/acknowledgement", tags=["escalation"])
async def acknowledge_notice(request: Request, district: str, issue_id: str, caller: Authorized) -> dict:
    """签收: the addressee confirms receiving the notice (the office may sign for them)."""
    today = _today(request)
    item = await handlers.acknowledge_notice(
        _service(request).unit_of_work(), district, issue_id, person_id=caller.person_id, today=today,
        as_office=_actor(caller).supervisor, actor=_actor(caller))
    return item_view(item, today)


@router.post("/districts/{district}/issues/{issue_id}/interview", tags=["escalation"])
async def schedule_interview(request: Request, district: str, issue_id: str, body: InterviewIn,
                             caller: Authorized) -> dict:
    """Schedule the interview (约谈) of an item that got its notice: day, hour, place, who is
    interviewed and who holds it → `interview-scheduled`. Once per item (the daily check
    schedules it by itself when nobody did before the notice's respond-by day passed)."""
    today = _today(request)
    item = await handlers.schedule_interview(handlers.ScheduleInterview(
        district=district, issue_id=issue_id, scheduled_for=body.scheduled_for, today=today, reason=body.reason,
        person_id=body.person_id, at=time.fromisoformat(body.at) if body.at else None, place=body.place,
        interviewer=body.interviewer, by=caller.person_id), _service(request).unit_of_work())
    return {**item_view(item, today), "timeline": timeline_view(item)}


@router.post("/districts/{district}/issues/{issue_id}/interview/outcome", tags=["escalation"])
async def record_interview_outcome(request: Request, district: str, issue_id: str, body: OutcomeIn,
                                   caller: Authorized) -> dict:
    today = _today(request)
    item = await handlers.record_interview_outcome(_service(request).unit_of_work(), district, issue_id,
                                                        outcome=body.outcome, today=today, by=caller.person_id)
    return item_view(item, today)


@router.post("/districts/{district}/daily-check", tags=["escalation"])
async def daily_check(request: Request, district: str, caller: Authorized,
                      body: DailyCheckIn | None = None) -> dict:
    """Run the daily check now (the service also runs it by itself): lights recomputed and
    the ladder climbed as of `today`. Safe to repeat: no stage fires twice."""
    service = _service(request)
    day = _today(request, body.today if body else None, ("body", "today"))
    report = await handlers.daily_check(service.unit_of_work(), district, day, service.policy)
    return {"today": day.isoformat(), "checked": report.checked, "overdue": report.overdue,
            "notices": report.notices, "interviews": report.interviews, "lights": report.lights}


# --- inspections ----------------------------------------------------------------------------
@router.post("/districts/{district}/inspections", status_code=201, tags=["inspections"])
async def plan_inspection(request: Request, district: str, body: PlanInspectionIn, caller: Authorized) -> dict:
    inspection, created = await handlers.plan_inspection(
        _service(request).unit_of_work(), district, inspection_id=body.inspection_id, kind=body.kind,
        on=body.date, units=[u.ref() for u in body.units])
    return {**inspection_view(inspection), "created": created}


@router.post("/districts/{district}/inspections/{inspection_id}/findings", tags=["inspections"])
async def hold_inspection(request: Request, district: str, inspection_id: str, body: HoldInspectionIn,
                          caller: Authorized) -> dict:
    """Record what the inspection found → `inspection-held`; findings with `raise_item` become items."""
    findings = [Finding(text=f.text, unit=f.unit.ref() if f.unit else None,
                        item_title=f.raise_item.title if f.raise_item else None,
                        item_due_date=f.raise_item.due_date if f.raise_item else None,
                        item_owner=f.raise_item.owner if f.raise_item else None) for f in body.findings]
    inspection, raised = await handlers.hold_inspection(
        _service(request).unit_of_work(), district, inspection_id, findings=findings,
        held_on=body.held_on or _today(request))
    return {**inspection_view(inspection), "raised_issue_ids": raised}


@router.get("/districts/{district}/inspections", tags=["inspections"], responses=paging.NEXT_PAGE)
async def list_inspections(request: Request, response: Response, district: str, caller: Authorized,
                           limit: paging.Limit = paging.DEFAULT_LIMIT, offset: paging.Offset = 0) -> dict:
    """One page of the district's inspections by id; `next_offset`/`next` give the next page."""
    found = await _service(request).unit_of_work().inspections.find({"district": district},
                                                                     offset=offset, limit=limit + 1)
    page = paging.page_of(found, offset, limit)
    return {"count": len(page.items), "inspections": [inspection_view(i) for i in page.items],
            **paging.announce(request, response, page)}


# --- league table ---------------------------------------------------------------------------
@router.get("/districts/{district}/league", tags=["queries"])
async def league(request: Request, district: str, caller: Authorized,
                 by: Literal["street", "community"] = "street",
                 today: Annotated[SaneDate | None, Query(description="dev mode only")] = None) -> dict:
    """排名表: on-time rate, closure rate, overdue count and notices received per street or community."""
    day = _today(request, today)
    rows = await handlers.league(_service(request).unit_of_work(), district, by=by, today=day)
    return {"today": day.isoformat(), "by": by, "rows": rows}
