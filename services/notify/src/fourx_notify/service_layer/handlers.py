"""Use cases of the notify service: plain async functions over their collaborators."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fourx_contracts.envelope import deterministic_id, new_event
from fourx_contracts.events import ReportPublished, ReportStats
from fourx_contracts.kafka import ReceivedEvent

from fourx_notify.adapters.event_store import EventStore
from fourx_notify.adapters.render import content_hash, render_markdown
from fourx_notify.adapters.reports import BulletinRepository
from fourx_notify.domain.stats import DEFAULT_TZ, StoredEvent, compute_stats, dating, week_bounds

SOURCE = "/services/notify"

# Who receives the weekly bulletin (domain.md, "1": weekly work-record bulletin).
BULLETIN_ROLES = frozenset({
    "street_secretary", "street_deputy_secretary", "street_org_member",
    "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "party_office",
})


def to_stored(received: ReceivedEvent, tz: str = DEFAULT_TZ) -> StoredEvent:
    envelope = received.envelope
    data = received.payload.model_dump(mode="json")
    occurred_on, week = dating(envelope.type, data, envelope.time, tz)
    return StoredEvent(id=envelope.id, type=envelope.type, district=envelope.district, time=envelope.time,
                       occurred_on=occurred_on, week=week, data=data)


async def record_events(received: Sequence[ReceivedEvent], store: EventStore) -> int:
    """Keep each event once, by id; a redelivered or republished event is a no-op."""
    return await store.add_many([to_stored(r) for r in received])


@dataclass(frozen=True)
class PublishBulletin:
    district: str
    week: str
    request_id: str
    correlationid: str | None = None


def bulletin_recipients(directory: StoredEvent | None) -> list[dict]:
    if directory is None:
        return []
    return [p for p in directory.data.get("people", []) if BULLETIN_ROLES.intersection(p.get("roles", []))]


async def publish_bulletin(
    cmd: PublishBulletin,
    store: EventStore,
    bulletins: BulletinRepository,
    after_commit: Callable[[], None] = lambda: None,
    public_url: str | None = None,
) -> dict:
    """Regenerate the district's bulletin for the week from stored events and publish
    `report-published`. Same stored events → same stats and same content hash."""
    _, week_end = week_bounds(cmd.week)
    events = await store.up_to(cmd.district, week_end)
    stats = compute_stats(events, cmd.week)
    meetings = sorted((e.data for e in events if e.type == "meeting-held" and e.week == cmd.week),
                      key=lambda m: (m["date"], m["meeting_id"]))
    directory = await store.latest(cmd.district, "directory-updated")
    recipients = bulletin_recipients(directory)
    report_id = f"{cmd.district}:{cmd.week}"
    markdown = render_markdown(
        report_id=report_id, district_name=(directory.data.get("district_name") if directory else None) or cmd.district,
        week=cmd.week, stats=stats, meetings=meetings,
    )
    url = f"{public_url.rstrip('/')}/districts/{cmd.district}/bulletins/{cmd.week}" if public_url else None
    event = new_event(
        type="report-published", source=SOURCE, district=cmd.district, subject=report_id,
        # One request, one publication: a redelivered request yields the same event id.
        id=deterministic_id("report-published", cmd.district, cmd.request_id),
        correlationid=cmd.correlationid,
        data=ReportPublished(report_id=report_id, week=cmd.week, stats=ReportStats(**stats),
                             recipients=len(recipients), formats=["markdown"], url=url),
    )
    bulletin = {
        "report_id": report_id, "district": cmd.district, "week": cmd.week, "stats": stats,
        "markdown": markdown, "content_hash": content_hash(markdown),
        "recipients": [p["person_id"] for p in recipients],
        "generated_at": datetime.now(UTC), "request_id": cmd.request_id,
    }
    await bulletins.save(bulletin, [event])
    after_commit()
    return bulletin
