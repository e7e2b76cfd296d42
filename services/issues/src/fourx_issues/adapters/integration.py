"""Domain events → integration events (CloudEvents of the contract).

Every event id is derived from its cause (event_id, in the producer's namespace), so a redelivered source event,
a retried request or a second replica running the same daily check yields the same id and
consumers drop the duplicate. The cause must tell distinct facts apart: a progress record is
identified by its number on the item (`seq`), not by its content, because the same content
may legitimately be recorded twice (30 % → 40 % → 30 % in one week is three records).
The other events happen at most once per item (raised, verified, overdue, one notice, one
interview) or per inspection, so the item or inspection id is their cause.

Every domain event type has exactly one entry in `MAPPERS`; an event without one raises
UnmappedEvent instead of being dropped (tests/unit/issues/test_integration_mapping.py checks
the table against domain/events.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from fourx_contracts.envelope import CloudEvent, caused_event
from fourx_contracts import events as contract
from fourx_contracts.mapping import Mapper, UnmappedEvent, map_events  # noqa: F401 (UnmappedEvent: re-exported)

from fourx_issues.domain import events
from fourx_issues.domain.model import Inspection, SupervisionItem, UnitRef
from fourx_issues.domain.snapshot import Snapshot

SOURCE = "/services/issues"


def _unit(unit: UnitRef) -> contract.Unit:
    return contract.Unit(kind=unit.kind, id=unit.id)


# (type, district, subject, data, cause, correlationid): the id derives from the cause
_event = partial(caused_event, SOURCE)


# One mapper per domain event type: (aggregate that raised it, the event, correlation id).
def _issue_raised(item: SupervisionItem, event: events.ItemRaised, correlationid: str | None) -> CloudEvent:
    data = contract.IssueRaised(
        issue_id=item.issue_id, title=item.title, description=item.description,
        source=contract.IssueSource(kind=item.source.kind, ref=item.source.ref),
        responsible=_unit(item.responsible), owner=item.owner, due_date=item.due_date,
        street_id=item.street_id, community_id=item.community_id,
        co_units=[_unit(u) for u in item.co_units], raised_on=item.raised_on,
    )
    return _event("issue-raised", item.district, item.issue_id, data, (item.issue_id,), correlationid)


def _progress_recorded(item: SupervisionItem, event: events.ProgressRecorded, correlationid: str | None) -> CloudEvent:
    data = contract.ProgressRecorded(issue_id=item.issue_id, week=event.week, note=event.note, percent=event.percent,
                                     seq=event.seq)
    return _event("progress-recorded", item.district, item.issue_id, data, (item.issue_id, f"record-{event.seq}"),
                  correlationid)


def _issue_resolved(item: SupervisionItem, event: events.ItemVerified, correlationid: str | None) -> CloudEvent:
    data = contract.IssueResolved(issue_id=item.issue_id, resolved_on=event.verified_on,
                                  resolution=item.resolution or "", claimed_on=item.resolved_on)
    return _event("issue-resolved", item.district, item.issue_id, data, (item.issue_id,), correlationid)


def _issue_overdue(item: SupervisionItem, event: events.ItemOverdue, correlationid: str | None) -> CloudEvent:
    data = contract.IssueOverdue(issue_id=item.issue_id, due_date=item.due_date, days_overdue=event.days_overdue)
    return _event("issue-overdue", item.district, item.issue_id, data, (item.issue_id,), correlationid)


def _notice_issued(item: SupervisionItem, event: events.NoticeIssued, correlationid: str | None) -> CloudEvent:
    n = item.notice
    if n is None:  # the aggregate raises NoticeIssued only as it sets the notice
        raise ValueError(f"NoticeIssued for {item.issue_id}, which holds no notice")
    data = contract.NoticeIssued(notice_id=n.notice_id, issue_id=item.issue_id, to=_unit(n.to), to_person=n.to_person,
                                 reason=n.reason, issued_on=n.issued_on, respond_by=n.respond_by, number=n.number)
    return _event("notice-issued", item.district, item.issue_id, data, (item.issue_id,), correlationid)


def _interview_scheduled(item: SupervisionItem, event: events.InterviewScheduled,
                         correlationid: str | None) -> CloudEvent:
    i = item.interview
    if i is None:  # likewise raised only as the interview is set
        raise ValueError(f"InterviewScheduled for {item.issue_id}, which holds no interview")
    data = contract.InterviewScheduled(interview_id=i.interview_id, issue_id=item.issue_id, person_id=i.person_id,
                                       reason=i.reason, scheduled_for=i.scheduled_for, at=i.at, place=i.place,
                                       interviewer=i.interviewer)
    return _event("interview-scheduled", item.district, item.issue_id, data, (item.issue_id,), correlationid)


def _inspection_held(inspection: Inspection, event: events.InspectionHeld, correlationid: str | None) -> CloudEvent:
    data = contract.InspectionHeld(
        inspection_id=inspection.inspection_id, date=inspection.held_on or inspection.date,
        kind=inspection.kind, units=[_unit(u) for u in inspection.units],
        findings=[{"text": f.text, "unit": _unit(f.unit).model_dump() if f.unit else None,
                   "raises_item": f.item_title is not None} for f in inspection.findings],
    )
    return _event("inspection-held", inspection.district, inspection.inspection_id, data,
                  (inspection.inspection_id,), correlationid)



MAPPERS: dict[type, Mapper] = {
    events.ItemRaised: _issue_raised,
    events.ProgressRecorded: _progress_recorded,
    events.ItemVerified: _issue_resolved,
    events.ItemOverdue: _issue_overdue,
    events.NoticeIssued: _notice_issued,
    events.InterviewScheduled: _interview_scheduled,
    events.InspectionHeld: _inspection_held,
}


def integration_events(aggregate: Any, raised: Iterable[object], correlationid: str | None) -> list[CloudEvent]:
    """The integration events for what `aggregate` raised, in order (UnmappedEvent for a type
    missing from MAPPERS)."""
    return map_events(MAPPERS, aggregate, raised, correlationid)


def item_events(item: SupervisionItem, correlationid: str | None = None) -> list[CloudEvent]:
    return integration_events(item, item.pending_events, correlationid)


def inspection_events(inspection: Inspection, correlationid: str | None = None) -> list[CloudEvent]:
    return integration_events(inspection, inspection.pending_events, correlationid)


def snapshot_event(snapshot: Snapshot, request_id: str | None, correlationid: str | None = None) -> CloudEvent:
    """`supervision-snapshot`: the lights and league table a week's bulletin shows. Its id
    derives from the request it answers (one answer per request, however often redelivered)."""
    data = contract.SupervisionSnapshot(
        week=snapshot.week, as_of=snapshot.as_of, request_id=request_id,
        items=[contract.SnapshotItem(**vars(i)) for i in snapshot.items],
        league=contract.League(streets=[contract.LeagueRow(**r) for r in snapshot.streets],
                               communities=[contract.LeagueRow(**r) for r in snapshot.communities]))
    cause = request_id or f"{snapshot.week}@{snapshot.as_of.isoformat()}"
    return _event("supervision-snapshot", snapshot.district, f"{snapshot.district}:{snapshot.week}", data,
                  (snapshot.week, cause), correlationid)
