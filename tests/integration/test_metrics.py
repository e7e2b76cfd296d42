"""Acceptance (issue 12): every service serves Prometheus text at `/metrics` with the Kafka
consumer, outbox and DLQ metrics once events flowed; `/health` says "degraded" while a
consumer is held on a record that keeps failing transiently, and "ok" again once it passes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fourx_contracts.envelope import new_event
from fourx_issues.bootstrap import create_app as issues_app
from fourx_issues.service_layer import handlers as issues_handlers
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import create_app as notify_app
from prometheus_client.parser import text_string_to_metric_families
from pymongo.errors import AutoReconnect

from tests.support.kafka import produce

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def clients(meetings, issues, notify) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    apps = {"meetings": meetings_app(meetings), "issues": issues_app(issues), "notify": notify_app(notify)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["meetings"]), base_url="http://m") as m, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["issues"]), base_url="http://i") as i, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["notify"]), base_url="http://n") as n:
        yield {"meetings": m, "issues": i, "notify": n}


def samples(text: str) -> list:
    """Every sample of the exposition; parsing it at all is the first check."""
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


async def scrape(client: httpx.AsyncClient) -> list:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def eventually(check, timeout: float = 45.0, every: float = 0.5):
    """`check()` until it returns something true (returned) or raises no more."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await check()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s")
        await asyncio.sleep(every)


def named(found: list, name: str, **labels: str) -> list:
    return [s for s in found if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


# Which topic each service consumes that a garbage record is sent to, and the group that parks it.
GARBAGE = {"meetings": ("issue-raised", "fourx-meetings-supervision"),
           "issues": ("meeting-held", "fourx-issues"),
           "notify": ("meeting-held", "fourx-notify")}


async def test_every_service_serves_its_metrics(kafka_settings, meetings, issues, notify, clients, monkeypatch):
    for service in (meetings, issues, notify):
        monkeypatch.setattr(service.runtime.readiness, "sample_seconds", 1.0)   # the next samples come sooner
    district = f"metrics-{uuid.uuid4().hex[:8]}"
    # JSON with a district, but no CloudEvent: every consumer of these topics parks it in the
    # DLQ at once (and other tests' taps, reading the topic from the start, can still read it).
    for topic in {"issue-raised", "meeting-held"}:
        value = json.dumps({"district": district, "type": topic, "note": "not a CloudEvent"}).encode()
        await produce(kafka_settings, topic, value, district.encode())
    await clients["meetings"].get("/health")   # an HTTP request to count

    for name, client in clients.items():
        topic, group = GARBAGE[name]

        async def complete() -> list:
            found = await scrape(client)
            assert named(found, "fourx_dlq_records_total", topic=topic, group=group), name
            # A batch counts under its first record's topic: notify's took both in one.
            assert [s for s in named(found, "faststream_received_messages_total")
                    if s.labels["handler"] in ("issue-raised", "meeting-held")], name
            assert named(found, "faststream_published_messages_total", destination=f"{topic}.dlq"), name
            assert named(found, "fourx_consumer_lag", group=group, topic=topic), name
            assert named(found, "fourx_consumer_lag_stalled_seconds", group=group), name
            assert named(found, "fourx_outbox_pending"), name
            assert named(found, "fourx_outbox_oldest_pending_age_seconds"), name
            assert named(found, "fourx_ready"), name
            return found

        found = await eventually(complete)
        assert {s.labels["app_name"] for s in named(found, "faststream_received_messages_total")} == {f"fourx-{name}"}
        pending = {s.labels["collection"]: s.value for s in named(found, "fourx_outbox_pending")}
        assert all(value >= 0 for value in pending.values()) and pending
    found = await scrape(clients["meetings"])
    assert named(found, "fourx_http_requests_total", method="GET", route="/health")
    assert named(found, "fourx_http_request_duration_seconds_count", method="GET", route="/health")
    notify_found = await scrape(clients["notify"])
    assert named(notify_found, "fourx_notify_delivery_attempts_total", channel="webhook", outcome="delivered")
    assert named(notify_found, "fourx_notify_bulletins_total")


def meeting_held(district: str) -> bytes:
    return new_event(type="meeting-held", source="/services/meetings", district=district, subject="m-1", data={
        "meeting_id": "m-1", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
        "community_reports": [], "comments": [], "summary": "s", "topic_ids": [],
        "tasks": [{"task_id": "t1", "title": "修缮路灯", "assigned_to": {"kind": "community", "id": "c1"},
                   "due_date": "2026-12-04"}],
    }).to_json_bytes()


async def test_health_is_degraded_while_a_consumer_is_held_on_a_record(kafka_settings, issues, clients, monkeypatch):
    readiness = issues.runtime.readiness
    monkeypatch.setattr(readiness, "stuck_seconds", 3.0)
    monkeypatch.setattr(readiness, "sample_seconds", 0.5)
    district = f"stuck-{uuid.uuid4().hex[:8]}"
    original = issues_handlers.on_meeting_held
    attempts = []

    async def store_away_for_this_district(d, meeting, correlationid, uow):
        if d == district:
            attempts.append(time.monotonic())
            raise AutoReconnect("the store is away")   # transient: retried in place, holding the partition
        return await original(d, meeting, correlationid, uow)

    monkeypatch.setattr(issues_handlers, "on_meeting_held", store_away_for_this_district)
    await produce(kafka_settings, "meeting-held", meeting_held(district), district.encode())

    async def degraded() -> dict:
        response = await clients["issues"].get("/health")
        body = response.json()
        stuck = [p for p in body["problems"] if p["check"] == "consumer-stuck"
                 and p["group"] == "fourx-issues" and p["topic"] == "meeting-held"]
        return response.status_code == 503 and body["status"] == "degraded" and stuck and body

    body = await eventually(degraded)
    assert attempts, "the handler was never called"
    assert body["store"] and body["kafka"]   # what it said before still holds: both answer
    stuck = next(p for p in body["problems"] if p["check"] == "consumer-stuck")
    assert stuck["lag"] >= 1 and stuck["stalled_seconds"] >= 3.0 and "fourx-issues" in stuck["why"]
    found = await scrape(clients["issues"])
    assert named(found, "fourx_ready")[0].value == 0.0
    assert any(s.value >= 3.0 for s in named(found, "fourx_consumer_lag_stalled_seconds", group="fourx-issues",
                                             topic="meeting-held", partition=str(stuck["partition"])))

    # The store is back: the record passes at its next retry, the partition moves on.
    monkeypatch.setattr(issues_handlers, "on_meeting_held", original)

    async def healthy() -> dict:
        response = await clients["issues"].get("/health")
        return response.status_code == 200 and response.json()

    body = await eventually(healthy)
    assert body["status"] == "ok" and body["problems"] == []
    assert named(await scrape(clients["issues"]), "fourx_ready")[0].value == 1.0


async def test_the_outbox_summary_counts_pending_entries_and_finds_the_oldest_in_the_store(meetings, district):
    from datetime import UTC, datetime, timedelta

    from fourx_platform.outbox import outbox_push, pending_summary

    collection = meetings.runtime.db[f"it_outbox_summary_{uuid.uuid4().hex[:6]}"]
    now = datetime.now(UTC).replace(microsecond=0)

    def event(age: int):
        return new_event(type="report-requested", source="/tests", district=district, data={"week": "2026-W48"},
                         time=now - timedelta(seconds=age))

    await collection.insert_one({"_id": "a", **{"_outbox": []}})
    await collection.update_one({"_id": "a"}, outbox_push([event(5), event(400)]))
    await collection.insert_one({"_id": "b"})
    await collection.update_one({"_id": "b"}, outbox_push([event(30)]))
    await collection.insert_one({"_id": "c", "_outbox": []})   # nothing pending
    try:
        assert await pending_summary(collection) == (3, now - timedelta(seconds=400))
    finally:
        await collection.drop()
