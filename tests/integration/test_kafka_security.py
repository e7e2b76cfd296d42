"""A hostile or confused producer on the real broker: the broker refuses a service principal
that writes another service's topic (SASL/SCRAM + ACLs), and a record that got onto a topic
but cannot be what it claims — keyed for another district, from the wrong producer, at an
implausible time — is parked in the DLQ by the real service, never acted on."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from fourx_contracts.envelope import new_event
from fourx_contracts.events import dlq_topic
from fourx_platform.kafka import ensure_topics

from tests.support.kafka import EventTap, produce

pytestmark = pytest.mark.integration


@pytest.fixture
def acls_enforced(infra):
    if not infra.enforces_acls:
        pytest.skip("this broker has no per-service principals (KAFKA_BOOTSTRAP or testcontainers)")


def meeting_held(district: str, title: str, *, source: str = "/services/meetings",
                 time: datetime | None = None) -> bytes:
    return new_event(type="meeting-held", source=source, district=district, subject="m-1", time=time, data={
        "meeting_id": "m-1", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
        "community_reports": [], "comments": [], "summary": "s", "topic_ids": [],
        "tasks": [{"task_id": "t1", "title": title, "assigned_to": {"kind": "community", "id": "c1"},
                   "due_date": "2026-12-04"}],
    }).to_json_bytes()


@pytest.mark.parametrize("principal, topic", [
    ("notify", "meeting-held"),          # the probe's example: notify forging a meeting
    ("meetings", "issue-raised"),
    ("issues", "report-published"),
    ("ops", "meeting-held"),
    ("meetings", "report-requested"),    # asking for reports: ops and notify's scheduler only
])
async def test_a_principal_writing_a_topic_it_does_not_own_is_refused_by_the_broker(
        acls_enforced, kafka_as, district, principal, topic):
    producer = AIOKafkaProducer(**kafka_as(principal).client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic, b"{}", key=district.encode())
    finally:
        await producer.stop()


async def test_the_owner_may_write_and_a_consumer_may_only_read_its_own_groups(acls_enforced, kafka_as, district):
    await produce(kafka_as("meetings"), "meeting-held", meeting_held(district, "ok"), district.encode())
    await produce(kafka_as("notify"), dlq_topic("meeting-held"), b"parked", district.encode())
    consumer = AIOKafkaConsumer("meeting-held", **kafka_as("notify").client_options(),
                                group_id=f"fourx-issues-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest")
    try:
        with pytest.raises(GroupAuthorizationFailedError):  # notify may read the topic, not in issues' group
            await consumer.start()
    finally:
        await consumer.stop()


async def test_the_portal_reads_without_a_group_and_may_not_join_one(acls_enforced, kafka_as, district):
    await produce(kafka_as("meetings"), "meeting-held", meeting_held(district, "seen by the console"),
                  district.encode())
    reader = AIOKafkaConsumer("meeting-held", **kafka_as("portal").client_options(), group_id=None,
                              enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    try:
        seen = False
        async with asyncio.timeout(30):
            while not seen:
                batch = await reader.getmany(timeout_ms=500)
                seen = any(r.key == district.encode() for records in batch.values() for r in records)
    finally:
        await reader.stop()
    # It writes nothing: with no write ACL at all, even the idempotent producer's id is refused.
    producer = AIOKafkaProducer(**kafka_as("portal").client_options(), acks="all", enable_idempotence=True)
    try:
        with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):
            await producer.start()
            await producer.send_and_wait("issue-raised", b"{}", key=district.encode())
    finally:
        await producer.stop()
    grouped = AIOKafkaConsumer("meeting-held", **kafka_as("portal").client_options(),
                               group_id=f"fourx-portal-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest")
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await grouped.start()
    finally:
        await grouped.stop()


async def test_a_wrong_password_is_refused(acls_enforced, kafka_as):
    settings = kafka_as("notify").as_principal("notify", "not-the-password")
    producer = AIOKafkaProducer(**settings.client_options(), request_timeout_ms=5000)
    # The broker closes the connection after SaslAuthenticationFailed; aiokafka then reports
    # that it could not bootstrap.
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()


@pytest.mark.parametrize("case", ["key-names-another-district", "wrong-source", "time-in-the-future",
                                  "time-before-2000"])
async def test_a_record_that_is_not_what_it_claims_is_parked_by_the_service(kafka_settings, issues, case):
    district, other = f"sec-{uuid.uuid4().hex[:8]}", f"sec-{uuid.uuid4().hex[:8]}"
    bad = {
        "key-names-another-district": meeting_held(other, "冒名任务"),
        "wrong-source": meeting_held(district, "冒名任务", source="/services/notify"),
        "time-in-the-future": meeting_held(district, "冒名任务", time=datetime.now(UTC) + timedelta(days=3)),
        "time-before-2000": meeting_held(district, "冒名任务", time=datetime(1999, 12, 31, tzinfo=UTC)),
    }[case]
    reason = {"key-names-another-district": "not the event's district", "wrong-source": "not the producer",
              "time-in-the-future": "implausible", "time-before-2000": "implausible"}[case]
    async with EventTap(kafka_settings, ["meeting-held.dlq", "issue-raised"]) as tap:
        await produce(kafka_settings, "meeting-held", bad, district.encode())
        # A good record of the same district after it: the service moved on past the bad one.
        await produce(kafka_settings, "meeting-held", meeting_held(district, "真实任务"), district.encode())
        await tap.wait_for(lambda t: t.events("issue-raised", district), timeout=30)
        parked = await tap.wait_for(lambda t: [
            r for r in t.records if r.topic == "meeting-held.dlq" and r.value == bad
            and dict(r.headers)["dlq-group"] == b"fourx-issues"])
        await tap.settle(1.0)
    headers = {k: v.decode() for k, v in parked[0].headers}
    assert reason in headers["dlq-error"] and headers["dlq-attempts"] == "1"
    assert headers["dlq-error-class"].endswith("InvalidEvent")
    titles = [e["data"]["title"] for d in (district, other) for e in tap.events("issue-raised", d)]
    assert titles == ["真实任务"]
    assert all(json.loads(r.value)["source"] == "/services/issues"
               for r in tap.records if r.topic == "issue-raised" and r.key in (district.encode(), other.encode()))


async def test_kafka_acls_apply_sets_up_a_broker_from_the_environment(acls_enforced, kafka_settings, monkeypatch):
    """What an operator runs against a production broker, as its admin (idempotent)."""
    from fourx_local.cli import app
    from typer.testing import CliRunner

    for name, value in kafka_settings.env().items():
        monkeypatch.setenv(name, value)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["kafka-acls", "--apply"])
    assert result.exit_code == 0, result.output
    assert "User:notify Write topic report-requested" in result.output
    assert "created 0 topic(s)" in result.output


async def test_a_service_may_not_create_topics(acls_enforced, kafka_as):
    with pytest.raises(RuntimeError, match="creating topics as meetings failed: .*AuthorizationFailed"):
        await ensure_topics(kafka_as("meetings"), [f"sec-new-{uuid.uuid4().hex[:6]}"])
