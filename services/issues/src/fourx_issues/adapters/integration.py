"""Domain events → integration events (CloudEvents of the contract).

Every event id is derived from its cause (event_id, in the producer's namespace), so a redelivered source event,
a retried request or a second replica running the same daily check yields the same id and
consumers drop the duplicate. The cause must tell distinct facts apart: a progress record is
identified by its number on the item (`seq`), not by its content, because the same content
may legitimately be recorded twice (30 % → 40 % → 30 % in one week is three records).
The other events happen at most once per item (raised, verified, overdue, one notice, one
interview) or per inspection, so the item or inspection id is their cause.
"""

from __future__ import annotations

from fourx_contracts.envelope import CloudEvent, event_id, new_event
from fourx_contracts import events as contract

from fourx_issues.domain import events
from fourx_issues.domain.model import Inspection, SupervisionItem, UnitRef
from fourx_issues.domain.snapshot import Snapshot

SOURCE = "/services/issues"


def _unit(unit: UnitRef) -> contract.Unit:
    return contract.Unit(kind=unit.kind, id=unit.id)


def _event(type_: str, district: str, subject: str, data: contract.Payload, id_parts: tuple[str, ...],
           correlationid: str | None) -> CloudEvent:
    return new_event(type=type_, source=SOURCE, district=district, subject=subject, data=data,
                     id=event_id(SOURCE, type_, district, *id_parts), correlationid=correlationid)


def item_events(item: SupervisionItem, correlationid: str | None = None) -> list[CloudEvent]:
    out = []
    d, iid = item.district, item.issue_id
    for event in item.pending_events:
        if isinstance(event, events.ItemRaised):
            data = contract.IssueRaised(
                issue_id=iid, title=item.title, description=item.description,
                source=contract.IssueSource(kind=item.source.kind, ref=item.source.ref),
                responsible=_unit(item.responsible), owner=item.owner, due_date=item.due_date,
                street_id=item.street_id, community_id=item.community_id,
                co_units=[_unit(u) for u in item.co_units], raised_on=item.raised_on,
            )
            out.append(_event("issue-raised", d, iid, data, (iid,), correlationid))
        elif isinstance(event, events.ProgressRecorded):
            data = contract.ProgressRecorded(issue_id=iid, week=event.week, note=event.note, percent=event.percent,
                                             seq=event.seq)
            out.append(_event("progress-recorded", d, iid, data, (iid, f"record-{event.seq}"), correlationid))
        elif isinstance(event, events.ItemVerified):
            data = contract.IssueResolved(issue_id=iid, resolved_on=event.verified_on,
                                          resolution=item.resolution or "",
                                          claimed_on=item.resolved_on)
            out.append(_event("issue-resolved", d, iid, data, (iid,), correlationid))
        elif isinstance(event, events.ItemOverdue):
            data = contract.IssueOverdue(issue_id=iid, due_date=item.due_date, days_overdue=event.days_overdue)
            out.append(_event("issue-overdue", d, iid, data, (iid,), correlationid))
        elif isinstance(event, events.NoticeIssued) and item.notice is not None:
            n = item.notice
            data = contract.NoticeIssued(notice_id=n.notice_id, issue_id=iid, to=_unit(n.to), to_person=n.to_person,
                                         reason=n.reason, issued_on=n.issued_on, respond_by=n.respond_by,
                                         number=n.number)
            out.append(_event("notice-issued", d, iid, data, (iid,), correlationid))
        elif isinstance(event, events.InterviewScheduled) and item.interview is not None:
            i = item.interview
            data = contract.InterviewScheduled(interview_id=i.interview_id, issue_id=iid, person_id=i.person_id,
                                               reason=i.reason, scheduled_for=i.scheduled_for)
            out.append(_event("interview-scheduled", d, iid, data, (iid,), correlationid))
    return out


def inspection_events(inspection: Inspection, correlationid: str | None = None) -> list[CloudEvent]:
    out = []
    for event in inspection.pending_events:
        if isinstance(event, events.InspectionHeld):
            data = contract.InspectionHeld(
                inspection_id=inspection.inspection_id, date=inspection.held_on or inspection.date,
                kind=inspection.kind, units=[_unit(u) for u in inspection.units],
                findings=[{"text": f.text, "unit": _unit(f.unit).model_dump() if f.unit else None,
                           "raises_item": f.item_title is not None} for f in inspection.findings],
            )
            out.append(_event("inspection-held", inspection.district, inspection.inspection_id, data,
                              (inspection.inspection_id,), correlationid))
    return out


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
