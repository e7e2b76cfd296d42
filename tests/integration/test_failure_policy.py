"""The failure policy on the real broker: a record that cannot be applied ends in its DLQ
after the bounded retry, with headers saying why, and the district behind it on the same
partition flows on; transient failures wait; batches isolate the bad record; tombstones
and records keyed for another district are what the contract says they are."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiokafka.partitioner import DefaultPartitioner
from fourx_contracts.envelope import new_event
from fourx_platform.failures import FailurePolicy
from fourx_platform.kafka import ReceivedEvent, create_broker, ensure_topics, subscribe_event_batches, subscribe_events
from pymongo.errors import AutoReconnect

from tests.support.kafka import EventTap, produce, sleep_until

pytestmark = pytest.mark.integration

POLICY = FailurePolicy.from_settings()   # what the services run with
SLACK_SECONDS = 8.0                      # polling, the consumer's fetch, the tap's own reads


def same_partition_pair(partitions: int) -> tuple[str, str]:
    """Two fresh district ids whose records land on the same partition (Kafka's murmur2)."""
    partitioner = DefaultPartitioner()
    parts = list(range(partitions))
    first = f"poison-{uuid.uuid4().hex[:8]}"
    target = partitioner(first.encode(), parts, parts)
    while True:
        other = f"healthy-{uuid.uuid4().hex[:8]}"
        if partitioner(other.encode(), parts, parts) == target:
            return first, other


def meeting_held(district: str, task_title: str) -> bytes:
    return new_event(type="meeting-held", source="/services/meetings", district=district, subject="m-1", data={
        "meeting_id": "m-1", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
        "community_reports": [], "comments": [], "summary": "s", "topic_ids": [],
        "tasks": [{"task_id": "t1", "title": task_title, "assigned_to": {"kind": "community", "id": "c1"},
                   "due_date": "2026-12-04"}],
    }).to_json_bytes()


def headers_of(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def test_handler_rejected_record_goes_to_dlq_and_the_partition_moves_on(kafka_settings, issues):
    poisoned, healthy = same_partition_pair(kafka_settings.partitions)
    async with EventTap(kafka_settings, ["meeting-held.dlq", "issue-raised"]) as tap:
        # Valid by the contract, refused by the issues service: an item needs a title.
        bad = meeting_held(poisoned, "   ")
        await produce(kafka_settings, "meeting-held", bad, poisoned.encode())
        sent = time.monotonic()
        await produce(kafka_settings, "meeting-held", meeting_held(healthy, "修缮路灯"), healthy.encode())
        raised = await tap.wait_for(lambda t: t.events("issue-raised", healthy), timeout=30)
        delay = time.monotonic() - sent
        dead = await tap.wait_for(lambda t: [r for r in t.records if r.topic == "meeting-held.dlq"
                                             and r.key == poisoned.encode()
                                             and headers_of(r)["dlq-group"] == "fourx-issues"])
    assert raised[0]["data"]["title"] == "修缮路灯"
    assert delay < POLICY.bound_seconds() + SLACK_SECONDS
    headers = headers_of(dead[0])
    assert dead[0].value == bad  # the original bytes, the original key
    assert "title" in headers["dlq-error"]
    assert headers["dlq-error-class"] == "fourx_platform.errors.Invalid"  # a domain refusal: permanent
    assert headers["dlq-attempts"] == str(POLICY.max_attempts)
    assert headers["dlq-topic"] == "meeting-held"
    assert int(headers["dlq-partition"]) == dead[0].partition  # DLQ keyed alike: same partition number
    assert int(headers["dlq-offset"]) >= 0
    assert not tap.events("issue-raised", poisoned)


class Probe:
    """A consumer group of its own on the real broker, with a handler the test scripts."""

    def __init__(self, kafka_settings, topics: list[str], *, batch: bool, fail_for: str, transient: int = 0):
        """Events of `fail_for` fail: `transient` times with a store outage and then succeed,
        or, with transient=0, permanently."""
        self.group = f"it-policy-{uuid.uuid4().hex[:8]}"
        self.broker = create_broker(kafka_settings, client_id=self.group)
        self.applied: list[ReceivedEvent] = []
        self.transient, self.transient_left = transient > 0, transient
        self.policy = FailurePolicy(max_attempts=3, retry_seconds=0.05, retry_max_seconds=0.2)
        self.fail_for = fail_for
        if batch:
            subscribe_event_batches(self.broker, topics, group_id=self.group, handler=self.on_batch,
                                    policy=self.policy, batch_timeout_ms=500)
        else:
            subscribe_events(self.broker, topics, group_id=self.group, handler=self.on_event, policy=self.policy)

    async def on_event(self, received: ReceivedEvent) -> None:
        await self.on_batch([received])

    async def on_batch(self, batch: list[ReceivedEvent]) -> None:
        if any(r.envelope.district == self.fail_for for r in batch):
            if self.transient_left > 0:
                self.transient_left -= 1
                raise AutoReconnect("the store is away")
            if not self.transient:
                raise RuntimeError(f"cannot apply {self.fail_for}")
        self.applied.extend(batch)

    def districts(self) -> list[str]:
        return [r.envelope.district for r in self.applied]


@pytest_asyncio.fixture
async def probe_factory(kafka_settings) -> AsyncIterator:
    probes: list[Probe] = []
    await ensure_topics(kafka_settings)

    async def start(*args, **kwargs) -> Probe:
        probe = Probe(kafka_settings, *args, **kwargs)
        await probe.broker.start()
        probes.append(probe)
        return probe

    yield start
    for probe in probes:
        await probe.broker.stop()


def report(district: str, week: str = "2026-W48") -> bytes:
    return new_event(type="report-requested", source="/tests", district=district, data={"week": week}).to_json_bytes()


async def test_a_batch_stores_the_good_records_and_parks_only_the_bad_one(kafka_settings, probe_factory):
    poisoned, healthy = same_partition_pair(kafka_settings.partitions)
    topic = "report-requested"
    # Produced before the group starts, so all three arrive in one batch.
    await produce(kafka_settings, topic, report(healthy, "2026-W47"), healthy.encode())
    await produce(kafka_settings, topic, report(poisoned), poisoned.encode())
    await produce(kafka_settings, topic, report(healthy), healthy.encode())
    async with EventTap(kafka_settings, [f"{topic}.dlq"]) as tap:
        probe = await probe_factory([topic], batch=True, fail_for=poisoned)
        await sleep_until(lambda: _true(probe.districts().count(healthy) == 2), timeout=30)
        dead = await tap.wait_for(lambda t: [r for r in t.records if headers_of(r)["dlq-group"] == probe.group])
    assert poisoned not in probe.districts()
    assert [r.key for r in dead] == [poisoned.encode()]
    assert headers_of(dead[0])["dlq-error-class"] == "builtins.RuntimeError"
    assert headers_of(dead[0])["dlq-attempts"] == "3"


async def test_transient_failures_wait_and_are_never_parked(kafka_settings, probe_factory):
    district = f"flaky-{uuid.uuid4().hex[:8]}"
    topic = "report-requested"
    async with EventTap(kafka_settings, [f"{topic}.dlq"]) as tap:
        # Six outages in a row: twice max_attempts, and still no DLQ.
        probe = await probe_factory([topic], batch=False, fail_for=district, transient=6)
        await produce(kafka_settings, topic, report(district), district.encode())
        await sleep_until(lambda: _true(district in probe.districts()), timeout=30)
        assert probe.transient_left == 0
        await tap.settle(1.0)
        assert not [r for r in tap.records if headers_of(r)["dlq-group"] == probe.group]


async def test_tombstones_are_skipped_and_foreign_keys_are_parked(kafka_settings, probe_factory):
    district, other = f"dir-{uuid.uuid4().hex[:8]}", f"dir-{uuid.uuid4().hex[:8]}"
    topic = "directory-updated"
    directory = new_event(type="directory-updated", source="/services/meetings", district=other, data={
        "version": 1, "streets": [], "communities": [], "departments": [], "people": []}).to_json_bytes()
    after = new_event(type="directory-updated", source="/services/meetings", district=district, data={
        "version": 2, "streets": [], "communities": [], "departments": [], "people": []}).to_json_bytes()
    async with EventTap(kafka_settings, [f"{topic}.dlq"]) as tap:
        probe = await probe_factory([topic], batch=False, fail_for="nobody")
        await produce(kafka_settings, topic, None, district.encode())           # tombstone
        await produce(kafka_settings, topic, directory, district.encode())      # names another district
        await produce(kafka_settings, topic, after, district.encode())
        await sleep_until(lambda: _true(district in probe.districts()), timeout=30)
        dead = await tap.wait_for(lambda t: [r for r in t.records if headers_of(r)["dlq-group"] == probe.group])
        await tap.settle(1.0)
    parked = [r for r in tap.records if headers_of(r)["dlq-group"] == probe.group]
    assert len(parked) == 1 and parked[0].value == directory
    assert "not the event's district" in headers_of(dead[0])["dlq-error"]
    assert other not in probe.districts()


async def _true(value: bool) -> bool:
    return value


@pytest.mark.parametrize("batch", [False, True])
async def test_a_record_near_the_size_limit_is_parked_whole(kafka_settings, probe_factory, batch):
    district = f"big-{uuid.uuid4().hex[:8]}"
    topic = "report-requested"
    # ~1 MB: just under the broker's default message.max.bytes (1,048,588), so a DLQ copy
    # with its headers would not fit a topic with the default limit.
    huge = b'{"padding": "' + b"x" * 1_040_000 + b'"}'
    async with EventTap(kafka_settings, [f"{topic}.dlq"]) as tap:
        probe = await probe_factory([topic], batch=batch, fail_for="nobody")
        await produce(kafka_settings, topic, huge, district.encode())
        await produce(kafka_settings, topic, report(district), district.encode())
        await sleep_until(lambda: _true(district in probe.districts()), timeout=30)
        dead = await tap.wait_for(lambda t: [r for r in t.records if headers_of(r)["dlq-group"] == probe.group
                                             and r.key == district.encode()])
    assert dead[0].value == huge and dead[0].key == district.encode()
    assert "not a valid CloudEvent" in headers_of(dead[0])["dlq-error"]


async def test_a_bad_value_in_an_additive_field_is_parked_by_every_consumer(kafka_settings, notify, meetings):
    poisoned, healthy = same_partition_pair(kafka_settings.partitions)

    def raised(district: str, raised_on: str) -> bytes:
        return new_event(type="issue-raised", source="/services/issues", district=district, subject="i-1", data={
            "issue_id": "i-1", "title": "路灯", "description": "d", "source": {"kind": "community", "ref": "c1"},
            "responsible": {"kind": "community", "id": "c1"}, "owner": None, "due_date": "2026-12-04",
            "street_id": None, "community_id": "c1", "raised_on": raised_on}).to_json_bytes()

    bad, good = raised(poisoned, "not-a-date"), raised(healthy, "2026-11-06")
    async with EventTap(kafka_settings, ["issue-raised.dlq"]) as tap:
        await produce(kafka_settings, "issue-raised", bad, poisoned.encode())
        await produce(kafka_settings, "issue-raised", good, healthy.encode())
        dead = await tap.wait_for(lambda t: {headers_of(r)["dlq-group"]: r for r in t.records
                                             if r.key == poisoned.encode()}.keys() >= {"fourx-notify",
                                                                                      "fourx-meetings-supervision"}
                                  and [r for r in t.records if r.key == poisoned.encode()])

    async def stored():
        return await notify.event_store().count(healthy)

    assert await sleep_until(stored) == 1
    assert await notify.event_store().count(poisoned) == 0
    assert all(r.value == bad and "raised_on" in headers_of(r)["dlq-error"] for r in dead)
