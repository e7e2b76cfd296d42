"""Use cases of the issues service: plain async functions over a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import structlog
from fourx_contracts.envelope import deterministic_id
from fourx_contracts.events import ActivityHeld, DirectoryUpdated, MeetingHeld

from fourx_contracts.vocabulary import ACTIVITY_LABELS, label
from fourx_platform.errors import DomainError, Invalid, NotFound
from fourx_platform.versioned import retry_on_conflict

from fourx_issues.adapters.integration import snapshot_event
from fourx_issues.domain.directory import Directory
from fourx_issues.domain.league import league_table
from fourx_issues.domain.listing import ItemFilter
from fourx_issues.domain.model import (
    CLOSED, Finding, Inspection, LadderPolicy, Source, Stage, SupervisionItem, UnitRef,
)
from fourx_issues.domain.ownership import Actor, check_acts_for, check_may_raise
from fourx_issues.domain.snapshot import Snapshot, take_snapshot
from fourx_issues.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger("fourx.issues")


def notice_number(year: int, n: int) -> str:
    return f"督办〔{year}〕第{n}号"


def item_id_for(district: str, source: Source) -> str:
    """Items raised from a source (a task, an outcome, a finding) get an id derived from it:
    the same source delivered twice is the same item, raised once."""
    return deterministic_id("issue", district, source.kind, source.ref)


async def directory_of(uow: UnitOfWork, district: str) -> Directory:
    """The district's organisation, from the latest `directory-updated` this service kept."""
    return Directory.from_snapshot(await uow.directory.get(district))


async def load_item(uow: UnitOfWork, district: str, issue_id: str) -> SupervisionItem:
    item = await uow.items.get(district, issue_id)
    if item is None:
        raise NotFound(f"本区（{district}）没有督办事项 {issue_id!r}", field="issue_id", code="item.not_found")
    return item


# --- raising items ---------------------------------------------------------------------
@dataclass(frozen=True)
class RaiseItem:
    district: str
    title: str
    description: str
    source: Source
    responsible: UnitRef
    due_date: date
    raised_on: date
    owner: str | None = None
    co_units: list[UnitRef] = field(default_factory=list)
    issue_id: str | None = None
    correlationid: str | None = None
    actor: Actor | None = None  # None: raised by the service itself (from an event)


async def raise_item(cmd: RaiseItem, uow: UnitOfWork) -> tuple[SupervisionItem, bool]:
    """Returns (item, created); raising the same item again (same id) changes nothing."""
    if cmd.actor is not None:
        check_may_raise(cmd.responsible, cmd.actor)
    issue_id = cmd.issue_id or (item_id_for(cmd.district, cmd.source) if cmd.source.kind != "community"
                                else str(uuid.uuid4()))
    existing = await uow.items.get(cmd.district, issue_id)
    if existing is not None:
        return existing, False
    directory = await directory_of(uow, cmd.district)
    street_id, community_id = directory.place(cmd.responsible)
    item = SupervisionItem.raise_item(
        district=cmd.district, issue_id=issue_id, title=cmd.title, description=cmd.description,
        source=cmd.source, responsible=cmd.responsible, co_units=list(cmd.co_units),
        owner=cmd.owner or directory.responsible_person(cmd.responsible),
        due_date=cmd.due_date, raised_on=cmd.raised_on, street_id=street_id, community_id=community_id,
    )
    created = await uow.items.add(item, cmd.correlationid)
    if created:
        uow.committed()
        return item, True
    return await uow.items.get(cmd.district, issue_id), False


async def on_meeting_held(district: str, meeting: MeetingHeld, correlationid: str | None, uow: UnitOfWork) -> int:
    """Every task assigned at the activity day becomes a supervision item."""
    created = 0
    for task in meeting.tasks:
        _, new = await raise_item(RaiseItem(
            district=district, title=task.title,
            description=f"{meeting.date.isoformat()} 集中活动日交办任务（{meeting.meeting_id}）",
            source=Source("meeting_task", f"{meeting.meeting_id}/{task.task_id}"),
            responsible=UnitRef(task.assigned_to.kind, task.assigned_to.id),
            due_date=task.due_date, raised_on=min(meeting.date, task.due_date), correlationid=correlationid,
        ), uow)
        created += new
    return created


async def on_activity_held(district: str, activity: ActivityHeld, correlationid: str | None, uow: UnitOfWork) -> int:
    """Every outcome an activity decided (above all a collective diagnosis) becomes an item."""
    created = 0
    for index, outcome in enumerate(activity.outcomes):
        _, new = await raise_item(RaiseItem(
            district=district, title=outcome.title,
            description=f"{activity.date.isoformat()} {label(ACTIVITY_LABELS, activity.kind)}："
                        f"{activity.title}",
            source=Source("diagnosis", f"{activity.activity_id}/{index}"),
            responsible=UnitRef(outcome.responsible.kind, outcome.responsible.id),
            due_date=outcome.due_date, raised_on=min(activity.date, outcome.due_date), correlationid=correlationid,
        ), uow)
        created += new
    return created


async def on_directory_updated(district: str, snapshot: DirectoryUpdated, uow: UnitOfWork) -> None:
    await uow.directory.put(district, snapshot.model_dump(mode="json"))
    directory = Directory.from_snapshot(snapshot.model_dump(mode="json"))
    await uow.items.fill_from_directory(district, directory.street_of, directory.owners())


# --- changing an item ------------------------------------------------------------------
async def change_item(uow: UnitOfWork, district: str, issue_id: str,
                      change: Callable[[SupervisionItem], bool], correlationid: str | None = None,
                      actor: Actor | None = None) -> SupervisionItem:
    """Load, change, save; on a concurrent change reload and apply the change again.
    `change` returns False for a repeat (a retried request), which writes nothing. With an
    `actor`, only the item's responsible unit (or a supervising office) may change it."""
    async def attempt() -> SupervisionItem:
        item = await load_item(uow, district, issue_id)
        if actor is not None:
            check_acts_for(item, actor)
        if change(item):
            await uow.items.save(item, correlationid)
            uow.committed()
        return item

    return await retry_on_conflict(attempt)


def _always(action: Callable[[SupervisionItem], None]) -> Callable[[SupervisionItem], bool]:
    def apply(item: SupervisionItem) -> bool:
        action(item)
        return True
    return apply


async def start_item(uow, district, issue_id, correlationid=None, actor=None) -> SupervisionItem:
    return await change_item(uow, district, issue_id, lambda i: i.start(), correlationid, actor)


async def record_progress(uow, district, issue_id, *, week, note, percent, today, by=None,
                          correlationid=None, actor=None) -> SupervisionItem:
    return await change_item(uow, district, issue_id, lambda i: i.record_progress(
        week=week, note=note, percent=percent, today=today, by=by), correlationid, actor)


async def claim_resolved(uow, district, issue_id, *, resolution, today, correlationid=None,
                         actor=None) -> SupervisionItem:
    by = actor.person_id if actor else None
    return await change_item(uow, district, issue_id,
                             lambda i: i.claim_resolved(resolution=resolution, today=today, by=by), correlationid, actor)


async def verify(uow, district, issue_id, *, today, by=None, correlationid=None) -> SupervisionItem:
    return await change_item(uow, district, issue_id, lambda i: i.verify(today=today, by=by), correlationid)


async def reopen(uow, district, issue_id, *, reason, today=None, by=None, correlationid=None) -> SupervisionItem:
    return await change_item(uow, district, issue_id,
                             _always(lambda i: i.reopen(reason=reason, today=today, by=by)), correlationid)


async def acknowledge_notice(uow, district, issue_id, *, person_id, today, as_office=False,
                             actor=None) -> SupervisionItem:
    return await change_item(uow, district, issue_id, lambda i: i.acknowledge_notice(
        person_id=person_id, today=today, as_office=as_office), actor=actor)


async def record_interview_outcome(uow, district, issue_id, *, outcome, today, by=None) -> SupervisionItem:
    return await change_item(uow, district, issue_id, _always(
        lambda i: i.record_interview_outcome(outcome=outcome, today=today, by=by)))


@dataclass(frozen=True)
class ScheduleInterview:
    district: str
    issue_id: str
    scheduled_for: date
    today: date
    reason: str | None = None
    person_id: str | None = None      # None: the notice's addressee, else the unit's responsible person
    at: time | None = None
    place: str | None = None
    interviewer: str | None = None
    by: str | None = None


async def schedule_interview(cmd: ScheduleInterview, uow: UnitOfWork) -> SupervisionItem:
    """The office schedules the interview (约谈) of an item that got its notice. The same id as
    the ladder's, so an item is interviewed once whoever schedules it."""
    directory = await directory_of(uow, cmd.district)
    for name, person in (("person_id", cmd.person_id), ("interviewer", cmd.interviewer)):
        if person is not None and not directory.has_person(person):
            raise Invalid(name, f"组织名册中没有人员 {person}")

    def schedule(item: SupervisionItem) -> None:
        item.check_interview()
        notice = item.notice
        person = cmd.person_id or (notice.to_person if notice else None) or _addressee(item, directory)
        if person is None:
            raise Invalid("person_id", "责任单位在名册中没有负责人，请指定约谈对象")
        reason = cmd.reason or (f"督办通知{notice.number}下发后仍未办结" if notice else "")
        item.schedule_interview(interview_id=deterministic_id("interview", cmd.district, cmd.issue_id),
                                person_id=person, reason=reason, scheduled_for=cmd.scheduled_for,
                                today=cmd.today, at=cmd.at, place=cmd.place, interviewer=cmd.interviewer,
                                by=cmd.by)
    return await change_item(uow, cmd.district, cmd.issue_id, _always(schedule))


# --- the escalation ladder ---------------------------------------------------------------
def _addressee(item: SupervisionItem, directory: Directory) -> str | None:
    return item.owner or directory.responsible_person(item.responsible)


async def _notice(uow: UnitOfWork, item: SupervisionItem, today: date, respond_by: date, reason: str,
                  directory: Directory, by: str | None = None) -> None:
    n = await uow.notice_numbers.number_for(item.district, today.year, item.issue_id)
    item.issue_notice(notice_id=deterministic_id("notice", item.district, item.issue_id),
                      number=notice_number(today.year, n), today=today, respond_by=respond_by,
                      reason=reason, to_person=_addressee(item, directory), by=by)


async def _release_unused(uow: UnitOfWork, item: SupervisionItem, year: int) -> None:
    """A number was reserved for this item, but a concurrent change (say, the unit claimed
    it resolved) means no notice goes out after all: hand the number back so the sequence
    keeps no gap. Only the latest number can be handed back; an earlier one stays a gap."""
    if item.notice is None and not await uow.notice_numbers.release(item.district, year, item.issue_id):
        log.warning("notice number left unused", district=item.district, issue_id=item.issue_id, year=year)


async def issue_notice(uow: UnitOfWork, district: str, issue_id: str, *, today: date, reason: str,
                       respond_by: date | None, policy: LadderPolicy, correlationid: str | None = None,
                       by: str | None = None) -> SupervisionItem:
    """The office issues a notice by hand (weak progress, before the ladder would)."""
    directory = await directory_of(uow, district)
    respond_by = respond_by or today + timedelta(days=policy.respond_within_days)
    reserved = False  # an earlier attempt took a notice number for this item

    async def attempt() -> SupervisionItem:
        nonlocal reserved
        item = await load_item(uow, district, issue_id)
        try:
            item.check_notice(today=today, respond_by=respond_by)
        except DomainError:
            if reserved:  # a concurrent change made the notice needless: hand its number back
                await _release_unused(uow, item, today.year)
            raise
        await _notice(uow, item, today, respond_by, reason, directory, by)
        reserved = True
        await uow.items.save(item, correlationid)
        uow.committed()
        return item

    return await retry_on_conflict(attempt)


@dataclass
class CheckReport:
    today: date
    checked: int = 0
    overdue: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    interviews: list[str] = field(default_factory=list)
    lights: dict[str, int] = field(default_factory=dict)


async def climb_ladder(uow: UnitOfWork, district: str, issue_id: str, today: date, policy: LadderPolicy,
                       directory: Directory, correlationid: str | None = None
                       ) -> tuple[list[Stage], str | None]:
    """Refresh one item's light and fire the ladder stages due today. Several replicas may
    run this at once: the versioned save lets one win, the other reloads and finds the stage
    done; event ids and notice numbers are derived from the item, so nothing doubles."""
    reserved: int | None = None   # the year a notice number was taken in, if any

    async def attempt() -> tuple[list[Stage], str | None]:
        nonlocal reserved
        item = await uow.items.get(district, issue_id)
        if item is None or item.status == CLOSED:
            if reserved is not None and item is not None:
                await _release_unused(uow, item, reserved)
            return [], None
        fired: list[Stage] = []
        light_changed = item.refresh_light(today)
        while (stage := item.next_stage(today, policy)) is not None:
            if stage is Stage.OVERDUE:
                item.flag_overdue(today)
            elif stage is Stage.NOTICE:
                await _notice(uow, item, today, today + timedelta(days=policy.respond_within_days),
                              f"《{item.title}》已超过办理时限（{item.due_date.isoformat()}），"
                              f"逾期{(today - item.due_date).days}天仍未办结", directory)
                reserved = today.year
            else:
                notice = item.notice
                item.schedule_interview(
                    interview_id=deterministic_id("interview", district, issue_id),
                    person_id=notice.to_person or _addressee(item, directory)
                    or f"{item.responsible.kind}:{item.responsible.id}",
                    reason=f"督办通知{notice.number}要求于{notice.respond_by.isoformat()}前办结，逾期仍未办结",
                    scheduled_for=today + timedelta(days=policy.interview_in_days), today=today)
            fired.append(stage)
        if reserved is not None and Stage.NOTICE not in fired:
            await _release_unused(uow, item, reserved)
            reserved = None
        if not fired and not light_changed:
            return [], item.light
        await uow.items.save(item, correlationid)
        if fired:
            uow.committed()
        return fired, item.light

    return await retry_on_conflict(attempt)


async def daily_check(uow: UnitOfWork, district: str, today: date, policy: LadderPolicy,
                      correlationid: str | None = None) -> CheckReport:
    """The daily check of one district: lights recomputed, the ladder climbed where due."""
    report = CheckReport(today=today)
    directory = await directory_of(uow, district)
    for item in await uow.items.not_closed(district):
        report.checked += 1
        fired, light = await climb_ladder(uow, district, item.issue_id, today, policy, directory, correlationid)
        for stage, bucket in ((Stage.OVERDUE, report.overdue), (Stage.NOTICE, report.notices),
                              (Stage.INTERVIEW, report.interviews)):
            if stage in fired:
                bucket.append(item.issue_id)
        if light is not None:
            report.lights[light] = report.lights.get(light, 0) + 1
    return report


async def daily_check_all(uow: UnitOfWork, today: date, policy: LadderPolicy) -> dict[str, CheckReport]:
    reports = {}
    for district in await uow.items.districts_with_open_items():
        try:
            reports[district] = await daily_check(uow, district, today, policy)
        except Exception:  # one district's trouble must not stop the others' check
            log.exception("daily check failed", district=district, today=str(today))
    return reports


# --- inspections -------------------------------------------------------------------------
async def plan_inspection(uow: UnitOfWork, district: str, *, inspection_id: str | None, kind: str, on: date,
                          units: list[UnitRef]) -> tuple[Inspection, bool]:
    inspection = Inspection.plan(district=district, inspection_id=inspection_id or str(uuid.uuid4()),
                                 kind=kind, date=on, units=units)
    created = await uow.inspections.add(inspection)
    if not created:
        inspection = await uow.inspections.get(district, inspection.inspection_id)
    return inspection, created


async def hold_inspection(uow: UnitOfWork, district: str, inspection_id: str, *, findings: list[Finding],
                          held_on: date, correlationid: str | None = None) -> tuple[Inspection, list[str]]:
    """Record the findings (→ inspection-held); findings marked so raise items. A retry after
    a crash between the two raises the missing items (their ids derive from the finding)."""
    async def attempt() -> Inspection:
        inspection = await uow.inspections.get(district, inspection_id)
        if inspection is None:
            raise NotFound(f"本区（{district}）没有督查 {inspection_id!r}", field="inspection_id",
                           code="inspection.not_found")
        if inspection.hold(findings=findings, held_on=held_on):
            await uow.inspections.save(inspection, correlationid)
            uow.committed()
        return inspection

    inspection = await retry_on_conflict(attempt)
    raised = []
    for index, finding in enumerate(inspection.findings):
        if finding.item_title is None:
            continue
        item, _ = await raise_item(RaiseItem(
            district=district, title=finding.item_title, description=f"督查发现：{finding.text}",
            source=Source("inspection", f"{inspection_id}/{index}"), responsible=finding.unit,
            due_date=finding.item_due_date, raised_on=min(inspection.held_on, finding.item_due_date),
            owner=finding.item_owner, correlationid=correlationid), uow)
        raised.append(item.issue_id)
    return inspection, raised


# --- queries -------------------------------------------------------------------------------
async def list_items(uow: UnitOfWork, district: str, *, today: date, where: ItemFilter = ItemFilter(),
                     offset: int = 0, limit: int | None = None) -> list[SupervisionItem]:
    """The district's items matching the filters, by id: `offset` skipped, at most `limit`.
    What the store can answer is asked of it (and paged there); the other filters are judged
    on each item here (domain/listing.py), so with one of those the page is cut after them."""
    query = where.store_query(district)
    if not where.judged_here:
        return await uow.items.find(query, offset=offset, limit=limit)
    items = [i for i in await uow.items.find(query) if where.matches(i, today)]
    return items[offset:None if limit is None else offset + limit]


async def league(uow: UnitOfWork, district: str, *, by: str, today: date) -> list[dict]:
    directory = await directory_of(uow, district)
    items = await uow.items.find({"district": district})
    units = directory.streets if by == "street" else directory.communities
    return [row.as_dict(f"{by}_id", rank)
            for rank, row in enumerate(league_table(items, by=by, today=today, units=units), 1)]


# --- the weekly bulletin's lights and league ----------------------------------------------
async def publish_snapshot(uow: UnitOfWork, district: str, week: str, *, today: date,
                           request_id: str | None, correlationid: str | None = None) -> Snapshot:
    """Answer a bulletin request (`report-requested`) with the district's lights and league
    table for the week (`supervision-snapshot`, through the outbox). A redelivered request
    is answered once: the event id derives from the request id."""
    directory = await directory_of(uow, district)
    items = await uow.items.find({"district": district})
    snapshot = take_snapshot(district, week, items, today=today, streets=directory.streets,
                             communities=directory.communities)
    if await uow.snapshots.add(district, week, snapshot_event(snapshot, request_id, correlationid)):
        uow.committed()
    return snapshot
