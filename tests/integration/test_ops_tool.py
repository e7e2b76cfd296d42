"""The ops tool against the real broker, as the `ops` principal (read-only) and the admin (replay):
watch shows one district's events and only them, trace puts one causal chain in order with hop
times, a poison record the real issues service parked is listed, replayed as a corrected copy
and acted on once — and not replayed twice — and lag tells a group that is done from one that
is stuck (issue 12)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from fourx_contracts.envelope import new_event
from fourx_platform.kafka import KafkaSettings
from typer.testing import CliRunner

from fourx_ops.cli import app
from fourx_ops.connection import Connection
from fourx_ops.dlq import LEDGER_TOPIC, Selection, parked, read_ledger, replay, report
from fourx_ops.lag import OK, STUCK, lag
from fourx_ops.reader import BEGINNING
from fourx_ops.records import Filter
from fourx_ops.trace import trace
from fourx_ops.watch import watch
from tests.support.kafka import EventTap, produce

pytestmark = pytest.mark.integration


def connection_of(settings: KafkaSettings) -> Connection:
    password = settings.password.get_secret_value() if settings.password else None
    return Connection(bootstrap=settings.bootstrap, security_protocol=settings.security_protocol,
                      sasl_mechanism=settings.sasl_mechanism, username=settings.username, password=password,
                      ssl_cafile=settings.ssl_cafile, origin="test")


async def cli(settings: KafkaSettings, *args: str):
    """`fourx-ops ARGS` as an operator runs it, with the KAFKA_… environment of `settings`; in a
    thread, since the command runs its own event loop."""
    env = {**settings.env(), "FOURX_STATE_DIR": "/nonexistent"}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def topic_proposed(district: str, n: int, correlation: str | None = None) -> bytes:
    return new_event(type="topic-proposed", source="/services/meetings", district=district, subject=f"t{n}",
                     correlationid=correlation, data={
                         "topic_id": f"t{n}", "meeting_id": "m1", "title": f"议题 {n}",
                         "proposed_by": {"kind": "community", "id": "c1"}}).to_json_bytes()


def topic_selected(district: str, n: int, correlation: str | None = None) -> bytes:
    return new_event(type="topic-selected", source="/services/meetings", district=district, subject=f"t{n}-selected",
                     correlationid=correlation,
                     data={"topic_id": f"t{n}", "meeting_id": "m1", "title": f"议题 {n}"}).to_json_bytes()


async def test_watch_shows_a_districts_events_and_only_them(kafka_settings, kafka_as, district):
    other = f"other-{uuid.uuid4().hex[:8]}"
    mine = [topic_proposed(district, n) for n in range(3)] + [topic_selected(district, n) for n in range(2)]
    for value in mine:
        topic = json.loads(value)["type"]
        await produce(kafka_settings, topic, value, district.encode())
        await produce(kafka_settings, topic, topic_proposed(other, 9), other.encode())
    ids = {json.loads(v)["id"] for v in mine}
    ops = kafka_as("ops")

    seen = [s async for s in watch(connection_of(ops), ["topic-proposed", "topic-selected"],
                                   keep=Filter(districts=frozenset({district})), start=BEGINNING, limit=5)]
    assert {s.id for s in seen} == ids

    # The acceptance's form: every topic and DLQ, this district, from the beginning, N events.
    result = await cli(ops, "watch", "--district", district, "--from-beginning", "--limit", "5", "--json")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5
    events = [json.loads(line) for line in lines]
    assert {e["id"] for e in events} == ids
    assert all(e["specversion"] == "1.0" and e["district"] == district for e in events)

    # Readable: one line per event, and nothing of the district beyond them.
    result = await cli(ops, "watch", "--district", district, "--from-beginning", "--no-follow")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 and all(district in line for line in lines)
    assert sum("topic-proposed" in line for line in lines) == 3 and sum("topic-selected" in line for line in lines) == 2


async def test_trace_puts_one_chain_in_order_with_hop_times(kafka_settings, kafka_as, district):
    correlation = f"case-{uuid.uuid4().hex}"
    chain = [("topic-proposed", topic_proposed(district, 1, correlation)),
             ("topic-selected", topic_selected(district, 1, correlation)),
             ("inspection-held", new_event(type="inspection-held", source="/services/issues", district=district,
                                           subject="insp-1", correlationid=correlation, data={
                                               "inspection_id": "insp-1", "date": "2026-11-20",
                                               "kind": "site_observation", "units": [], "findings": "议题 t1 跟进"},
                                           ).to_json_bytes())]
    for topic, value in chain:
        await produce(kafka_settings, topic, value, district.encode())
        await asyncio.sleep(0.3)   # hops long enough to see
    # Not of the chain: same district, another correlation id.
    await produce(kafka_settings, "topic-proposed", topic_proposed(district, 2), district.encode())

    hops = await trace(connection_of(kafka_as("ops")), correlation)
    assert [h.seen.type for h in hops] == ["topic-proposed", "topic-selected", "inspection-held"]
    assert [h.seen.source for h in hops] == ["/services/meetings", "/services/meetings", "/services/issues"]
    assert hops[0].since_previous is None
    assert all(h.since_previous.total_seconds() >= 0.25 for h in hops[1:])
    assert hops[2].since_first == hops[1].since_previous + hops[2].since_previous
    # topic-selected names the topic that was proposed (its topic_id is the proposal's subject).
    assert hops[1].parent is hops[0].seen

    result = await cli(kafka_as("ops"), "trace", correlation)
    assert result.exit_code == 0, result.output
    assert result.output.index("topic-proposed") < result.output.index("topic-selected") \
        < result.output.index("inspection-held")
    assert "3 event(s)" in result.output
    assert (await cli(kafka_as("ops"), "trace", f"nothing-{uuid.uuid4().hex}")).exit_code == 1


def meeting_held(district: str, event_id: str, task_title: str) -> bytes:
    return new_event(type="meeting-held", source="/services/meetings", district=district, subject="m-1",
                     id=event_id, data={
                         "meeting_id": "m-1", "kind": "activity_day", "date": "2026-11-06", "attendees": [],
                         "community_reports": [], "comments": [], "summary": "s", "topic_ids": [],
                         "tasks": [{"task_id": "t1", "title": task_title,
                                    "assigned_to": {"kind": "community", "id": "c1"}, "due_date": "2026-12-04"}],
                     }).to_json_bytes()


async def test_a_parked_record_is_listed_replayed_fixed_once_and_not_twice(kafka_settings, kafka_as, issues, district,
                                                                         tmp_path: Path):
    """The issue's acceptance: the real issues service parks a meeting whose task has no title
    (its handler refuses it); `dlq list` shows it with its error; `dlq replay --fix` sends a
    corrected copy (same event id) that the service acts on once; replaying again sends nothing."""
    ops, admin = kafka_as("ops"), kafka_settings
    event_id = str(uuid.uuid4())
    async with EventTap(kafka_settings, ["issue-raised"]) as tap:
        await produce(admin, "meeting-held", meeting_held(district, event_id, "   "), district.encode())

        async def parked_mine():
            for _ in range(60):
                found = await parked(connection_of(ops), Selection(topics=frozenset({"meeting-held"}), district=district))
                if found:
                    return found
                await asyncio.sleep(0.5)
            raise AssertionError("the poison record never reached meeting-held.dlq")

        [record] = await parked_mine()
        assert record.group == "fourx-issues" and record.error_class == "fourx_platform.errors.Invalid"
        assert "title" in record.error and record.id == event_id
        summary = report([record])
        assert summary.by_topic["meeting-held"].count == 1 and summary.by_group["fourx-issues"].count == 1

        listed = await cli(ops, "dlq", "list", "--topic", "meeting-held")
        assert listed.exit_code == 0, listed.output
        assert "fourx_platform.errors.Invalid" in listed.output and "fourx-issues" in listed.output
        shown = await cli(ops, "dlq", "show", "--record", record.coordinates)
        assert shown.exit_code == 0 and "title" in shown.output and event_id in shown.output

        # The ops principal reads; it may not write a service's topic, so it cannot replay.
        refused = await cli(ops, "dlq", "replay", "--record", record.coordinates)
        assert refused.exit_code == 2 and "admin principal" in refused.output, refused.output

        fixed = tmp_path / "fixed.json"
        fixed.write_bytes(meeting_held(district, event_id, "修缮路灯"))
        dry = await cli(admin, "dlq", "replay", "--record", record.coordinates, "--fix", str(fixed), "--dry-run")
        assert dry.exit_code == 0 and "would replay 1" in dry.output, dry.output
        await tap.settle(1.0)
        assert not tap.events("issue-raised", district)

        sent = await cli(admin, "dlq", "replay", "--record", record.coordinates, "--fix", str(fixed))
        assert sent.exit_code == 0 and "replayed 1, skipped 0" in sent.output, sent.output
        raised = await tap.wait_for(lambda t: t.events("issue-raised", district), timeout=30)
        assert raised[0]["data"]["title"] == "修缮路灯"

        again = await cli(admin, "dlq", "replay", "--record", record.coordinates, "--fix", str(fixed))
        assert again.exit_code == 0 and "replayed 0, skipped 1" in again.output, again.output
        # --force sends it again; the service dedupes by event id and raises nothing more.
        steps = await replay(connection_of(admin), [record], force=True, fix=fixed.read_bytes())
        assert [s.written is not None for s in steps] == [True]
        await tap.settle(3.0)
    assert len(tap.events("issue-raised", district)) == 1
    ledger = await read_ledger(connection_of(ops))
    assert ledger is not None and ledger[record.coordinates].fixed
    assert LEDGER_TOPIC == "fourx-ops.replayed"


async def test_replay_by_topic_sends_the_original_value_and_key_back(kafka_settings, kafka_as, district):
    """A record parked for a passing reason goes back unchanged (no consumer in this test: the
    copy itself is what is checked)."""
    value = new_event(type="report-requested", source="/tests", district=district,
                      data={"week": "2026-W48"}).to_json_bytes()
    await produce(kafka_settings, "report-requested.dlq", value, district.encode(), headers=[
        ("dlq-error", b"store away"), ("dlq-error-class", b"tests.Passing"), ("dlq-group", b"it-ops"),
        ("dlq-attempts", b"3"), ("dlq-topic", b"report-requested"), ("dlq-partition", b"0"), ("dlq-offset", b"1"),
        ("original-content-type", b"application/cloudevents+json")])
    admin = connection_of(kafka_settings)
    chosen = await parked(admin, Selection(error_class="Passing", district=district))
    assert len(chosen) == 1
    async with EventTap(kafka_settings, ["report-requested"]) as tap:
        [step] = await replay(admin, chosen)
        copies = await tap.wait_for(lambda t: [r for r in t.records if r.key == district.encode()])
    assert copies[0].value == value and step.written == f"report-requested:{copies[0].partition}:{copies[0].offset}"
    assert dict(copies[0].headers)["fourx-replayed-from"] == chosen[0].coordinates.encode()
    assert [s.skipped is not None for s in await replay(admin, chosen, dry_run=True)] == [True]


async def commit(settings: KafkaSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(**settings.client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()})
    finally:
        await consumer.stop()


async def test_lag_tells_a_group_that_is_done_from_one_that_is_stuck(kafka_settings, kafka_as, district):
    topic = "topic-selected"
    producer = AIOKafkaProducer(**kafka_settings.client_options(), acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, topic_selected(district, 1), key=district.encode())
    finally:
        await producer.stop()
    probe = AIOKafkaConsumer(**kafka_settings.client_options())
    await probe.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(kafka_settings.partitions)]
        ends = await probe.end_offsets(partitions)
    finally:
        await probe.stop()
    done, stuck = f"it-ops-done-{uuid.uuid4().hex[:8]}", f"it-ops-stuck-{uuid.uuid4().hex[:8]}"
    await commit(kafka_settings, done, ends)
    behind = TopicPartition(topic, meta.partition)
    await commit(kafka_settings, stuck, {**ends, behind: ends[behind] - 1})

    rows = await lag(connection_of(kafka_as("ops")), window=1.0, groups=[done, stuck])
    assert {r.group for r in rows} == {done, stuck}
    assert all(r.lag == 0 and r.state == OK for r in rows if r.group == done)
    [late] = [r for r in rows if r.group == stuck and r.lag]
    assert (late.topic, late.partition, late.lag, late.moved, late.state) == (topic, meta.partition, 1, False, STUCK)

    ok = await cli(kafka_as("ops"), "lag", "--group", done, "--window", "0.5", "--fail-on-stuck")
    assert ok.exit_code == 0 and done in ok.output and "ok" in ok.output, ok.output
    failed = await cli(kafka_as("ops"), "lag", "--group", stuck, "--window", "0.5", "--fail-on-stuck")
    assert failed.exit_code == 1 and "STUCK" in failed.output, failed.output
