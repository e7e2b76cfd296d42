"""Use cases of the notify service: plain async functions over their collaborators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fourx_contracts.envelope import event_id, new_event
from fourx_contracts.events import NotificationSent, ReportPublished, ReportRequested, ReportStats
from fourx_platform.clock import DEFAULT_TIME_ZONE
from fourx_platform.kafka import ReceivedEvent

from fourx_notify.adapters.deliveries import DELIVERED, FAILED, PENDING, DeliveryRepository, body_ref
from fourx_notify.adapters.event_store import TOPIC_TYPES, EventStore
from fourx_notify.adapters.projections import open_at_week_end
from fourx_notify.adapters.render import content_hash, markdown_text, render_html, render_markdown
from fourx_notify.adapters.reports import BulletinRepository
from fourx_notify.domain.bulletin import build_bulletin, street_section
from fourx_notify.domain.distribution import (
    INBOX,
    addressed,
    bulletin_recipients,
    channels_of,
    delivery_key,
    due_bulletin,
    street_of,
)
from fourx_notify.domain.stats import StoredEvent, compute_stats, dating

SOURCE = "/services/notify"
FORMATS = ["markdown", "html", "docx"]
IMMEDIATE = ("notice-issued", "interview-scheduled")


def to_stored(received: ReceivedEvent, time_zone: str = DEFAULT_TIME_ZONE) -> StoredEvent:
    envelope = received.envelope
    data = received.payload.model_dump(mode="json")
    occurred_on, week = dating(envelope.type, data, envelope.time, time_zone)
    return StoredEvent(id=envelope.id, type=envelope.type, district=envelope.district, time=envelope.time,
                       occurred_on=occurred_on, week=week, data=data)


async def record_events(received: Sequence[ReceivedEvent], store: EventStore,
                        time_zone: str = DEFAULT_TIME_ZONE) -> int:
    """Keep each event once, by id; a redelivered or republished event is a no-op. Events
    without a date of their own are dated by their `time` in `time_zone`."""
    return await store.add_many([to_stored(r, time_zone) for r in received])


# --- deliveries ------------------------------------------------------------------------------
def delivery_docs(*, district: str, person: dict[str, Any], ref: str, version: str, kind: str, subject: str,
                  body: str | None, html: str | None, correlationid: str | None, now: datetime,
                  extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One delivery per channel target of the person. The inbox is written at once (it is the store
    itself), so it is born delivered with its `notification-sent` in its outbox."""
    docs = []
    for channel in channels_of(person):
        key = delivery_key(person["person_id"], channel.kind, f"{ref}#{version}", channel.target)
        doc: dict[str, Any] = {
            "_id": key, "district": district, "recipient_id": person["person_id"],
            "recipient_name": person.get("name", person["person_id"]), "channel": channel.kind,
            "target": channel.target, "ref": ref, "version": version, "kind": kind, "subject": subject,
            "body": body, "html": html if channel.kind == "email" else None, "correlationid": correlationid,
            "created_at": now, "status": PENDING, "attempts": 0, "next_attempt_at": now,
            "lease_until": now, "last_error": None, **(extra or {}),
        }
        if channel.kind == INBOX:
            doc.update(status=DELIVERED, attempts=1, delivered_at=now, acknowledged_at=None,
                       _outbox=[outcome_event(doc, DELIVERED, 1).model_dump(mode="json")])
        docs.append(doc)
    return docs


def outcome_event(delivery: dict[str, Any], status: str, attempts: int):
    return new_event(
        type="notification-sent", source=SOURCE, district=delivery["district"], subject=delivery["_id"],
        id=event_id(SOURCE, "notification-sent", delivery["_id"], status),
        correlationid=delivery.get("correlationid"),
        data=NotificationSent(notification_id=delivery["_id"], recipient_id=delivery["recipient_id"],
                              channel=delivery["channel"], ref=delivery["ref"], status=status, attempts=attempts),
    )


async def notify_at_once(received: Sequence[ReceivedEvent], store: EventStore, deliveries: DeliveryRepository,
                         max_age: timedelta, now: datetime | None = None) -> int:
    """`notice-issued` and `interview-scheduled` go at once to the addressed person and their
    unit's leaders. Idempotent: the deliveries' ids derive from the event id. Events older
    than `max_age` (a replayed history) are not sent again."""
    now = now or datetime.now(UTC)
    docs: list[dict[str, Any]] = []
    directories: dict[str, dict[str, Any] | None] = {}
    for r in received:
        event = r.envelope
        if event.type not in IMMEDIATE or now - event.time > max_age:
            continue
        data = r.payload.model_dump(mode="json")
        # From the projections (one document each), not a scan of the district's events.
        if event.district not in directories:
            directories[event.district] = await store.directory(event.district)
        directory = directories[event.district]
        issue_title = await store.item_title(event.district, data["issue_id"]) or data["issue_id"]
        if event.type == "notice-issued":
            people = addressed([data.get("to_person")], data["to"], directory)
            subject = f"督办通知：{issue_title}"
            body = (f"# 督办通知\n\n事由：{markdown_text(data['reason'])}\n\n督办问题：{markdown_text(issue_title)}\n\n"
                    f"下发日期：{data['issued_on']}，请于 {data['respond_by']} 前回复办理情况。\n")
        else:
            people = addressed([data["person_id"]], None, directory)
            subject = f"约谈通知：{issue_title}"
            when = str(data["scheduled_for"])[:16].replace("T", " ")
            body = (f"# 约谈通知\n\n事由：{markdown_text(data['reason'])}\n\n督办问题：{markdown_text(issue_title)}\n\n"
                    f"约谈时间：{when}\n")
        for person in people:
            docs.extend(delivery_docs(district=event.district, person=person, ref=event.id, version="1",
                                      kind=event.type, subject=subject, body=body, html=None,
                                      correlationid=event.correlationid, now=now))
    return await deliveries.create_many(docs)


# --- the weekly bulletin -----------------------------------------------------------------------
def delivery_texts(texts: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """A queued bulletin version's texts for its deliveries: the Markdown, the HTML (email),
    and each street's own, its section first."""
    view, stats = texts["view"], texts["stats"]
    streets = {s: render_markdown(view, stats, street_section(view, s)) for s in texts["streets"]}
    return texts["markdown"], render_html(view, stats), streets


def topic_titles(events: Sequence[StoredEvent], topic_ids: Iterable[str]) -> dict[str, str]:
    """The titles of the topics the week's activity days discussed, from the topic events the
    bulletin's window read brings with it (`EventStore.bulletin_events`): no second read."""
    wanted = set(topic_ids)
    return {str(e.data["topic_id"]): e.data["title"] for e in sorted(events, key=lambda e: (e.time, e.id))
            if e.type in TOPIC_TYPES and str(e.data.get("topic_id")) in wanted and e.data.get("title")}


@dataclass(frozen=True)
class PublishBulletin:
    district: str
    week: str
    request_id: str
    correlationid: str | None = None


async def publish_bulletin(
    cmd: PublishBulletin,
    store: EventStore,
    bulletins: BulletinRepository,
    deliveries: DeliveryRepository | None = None,
    after_commit: Callable[[], None] = lambda: None,
    public_url: str | None = None,
) -> dict:
    """Regenerate the district's bulletin for the week from stored events, publish
    `report-published` and hand it to every recipient. Same stored events → same stats, same
    text, same content hash — and no second delivery (the keys include the content hash)."""
    # What the bulletin needs, not the district's history: the week's events (and earlier
    # ones with a deadline next week, or naming its topics), the items as they stood at the
    # week's end from their projection, the directory from its own.
    events = await store.bulletin_events(cmd.district, cmd.week)
    named = {e.data["issue_id"] for e in events if e.type in IMMEDIATE and e.week == cmd.week}
    items = await store.items_at_week_end(cmd.district, cmd.week, sorted(named))
    stats = compute_stats(events, cmd.week, open_issues=open_at_week_end(items))
    directory = await store.directory(cmd.district)
    recipients = bulletin_recipients(directory)
    report_id = f"{cmd.district}:{cmd.week}"
    number = await bulletins.number_for(cmd.district, cmd.week)
    topic_ids = sorted({str(t) for e in events if e.type == "meeting-held" and e.week == cmd.week
                        for t in e.data.get("topic_ids") or []})
    titles = topic_titles(events, topic_ids)
    # The lights and the league are the issues service's: the snapshot answering this request.
    snapshot = await store.snapshot(cmd.district, cmd.week, cmd.request_id)
    view = build_bulletin(events, district=cmd.district, week=cmd.week, number=number, directory=directory,
                          topic_titles=titles, snapshot=snapshot, items=items)
    markdown = render_markdown(view, stats)
    digest = content_hash(markdown)
    base = f"{public_url.rstrip('/')}/districts/{cmd.district}/bulletins/{cmd.week}" if public_url else None
    event = new_event(
        type="report-published", source=SOURCE, district=cmd.district, subject=report_id,
        # One request, one publication: a redelivered request yields the same event id.
        id=event_id(SOURCE, "report-published", cmd.district, cmd.request_id),
        correlationid=cmd.correlationid,
        data=ReportPublished(report_id=report_id, week=cmd.week, stats=ReportStats(**stats),
                             recipients=len(recipients), formats=FORMATS, url=base and f"{base}/html",
                             number=number, title=view["title"], content_hash=digest),
    )
    now = datetime.now(UTC)
    bulletin = {
        "report_id": report_id, "district": cmd.district, "week": cmd.week, "number": number,
        "title": view["title"], "stats": stats, "view": view, "markdown": markdown, "content_hash": digest,
        "recipients": [p["person_id"] for p in recipients], "generated_at": now, "request_id": cmd.request_id,
    }
    if deliveries is not None and recipients:
        subject = f"{view['title']}（{view['issue_label']}）"
        # A street's people read their street's section first (a text of its own). The texts
        # beyond the Markdown (HTML, the streets') are rendered when the deliveries are made.
        streets = sorted({s for p in recipients if (s := street_of(p, directory)) and street_section(view, s)})
        version_ref = body_ref(report_id, digest)
        docs = []
        for person in recipients:
            street = street_of(person, directory)
            docs.extend(delivery_docs(district=cmd.district, person=person, ref=report_id, version=digest,
                                      kind="bulletin", subject=subject, body=None, html=None,
                                      correlationid=cmd.correlationid, now=now,
                                      extra={"week": cmd.week, "body_ref": version_ref,
                                             "street": street if street in streets else None}))
        # Queued before the bulletin is stored, made by the delivery worker once the bulletins
        # are made. Before: a request whose bulletin is stored is not made again, so a stop
        # between the two must not leave a stored bulletin without its deliveries.
        await deliveries.queue_fanout(version_ref, cmd.district,
                                      {"markdown": markdown, "view": view, "stats": stats, "streets": streets}, docs)
    await bulletins.save(bulletin, [event])
    after_commit()
    return bulletin


def scheduled_request(district: str, now: datetime, time_zone: str = DEFAULT_TIME_ZONE):
    """The `report-requested` the Monday 08:00 run sends for a district, with an id every
    replica derives alike (so the claim decides who sends it), or None before the first run."""
    run_at, week = due_bulletin(now, time_zone)
    request_id = event_id(SOURCE, "weekly-bulletin", district, week)
    return request_id, run_at, new_event(type="report-requested", source=SOURCE, district=district,
                                         subject=f"{district}:{week}", id=request_id, time=run_at,
                                         data=ReportRequested(week=week))
