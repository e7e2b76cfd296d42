"""The Monday run over real Kafka and the store: many reports asked for at once are made side
by side, each counting every event sent before it was asked for; two replicas racing for the
scheduled run make one bulletin per district and week, numbered 第1期."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from fourx_contracts.envelope import new_event

from fourx_notify.bootstrap import NotifyService, NotifySettings
from fourx_notify.entrypoints.scheduler import run_due
from tests.integration.test_report_stats import IN_WEEK
from tests.support.kafka import EventTap, client_options, source_of

pytestmark = pytest.mark.integration
WEEK = "2026-W48"


def topic_event(district: str, n: int):
    return new_event(type="topic-proposed", source=source_of("topic-proposed"), district=district, time=IN_WEEK,
                     data={"topic_id": f"tp{n}", "meeting_id": "m1", "title": f"议题{n}",
                           "proposed_by": {"kind": "community", "id": "c1"}})


async def send_all(kafka_settings, events) -> None:
    producer = AIOKafkaProducer(**client_options(kafka_settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(e.type, e.to_json_bytes(), key=e.district.encode()) for e in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_reports_asked_for_at_once_each_count_what_was_sent_before_them(kafka_settings, notify, district):
    districts = [f"{district}-{i}" for i in range(12)]
    # District i proposes i + 1 topics, and its report is asked for right after — no pause,
    # all twelve requests in one go: notify may take them in one batch.
    work = [topic_event(d, n) for i, d in enumerate(districts) for n in range(i + 1)]
    requests = [new_event(type="report-requested", source="/tests", district=d, data={"week": WEEK})
                for d in districts]
    async with EventTap(kafka_settings, ["report-published"]) as tap:
        await send_all(kafka_settings, work)
        await send_all(kafka_settings, requests)
        published = await tap.wait_for(
            lambda t: (found := [e for e in t.events("report-published") if e["district"] in districts])
            and len(found) >= len(districts) and found, timeout=60)
    by_district = {e["district"]: e["data"] for e in published}
    assert {d: by_district[d]["stats"]["topics_proposed"] for d in districts} == {
        d: i + 1 for i, d in enumerate(districts)}
    assert all(by_district[d]["number"] == 1 for d in districts)


async def test_two_replicas_racing_for_the_monday_run_make_one_bulletin_per_district(
        kafka_as, mongo_settings, kafka_settings, notify, district):
    districts = [f"{district}-{i}" for i in range(8)]
    directory = {"version": 1, "district_name": "测试区", "streets": [], "communities": [], "departments": [],
                 "people": [{"person_id": "office", "name": "office", "roles": ["party_office"],
                             "unit": {"kind": "district", "id": "-"}, "channels": [{"kind": "in_app"}]}]}
    await send_all(kafka_settings, [new_event(type="directory-updated", source=source_of("directory-updated"),
                                              district=d, data=directory) for d in districts])
    await send_all(kafka_settings, [topic_event(d, 1) for d in districts])
    second = NotifyService(kafka_as("notify"), mongo_settings,
                           NotifySettings(database=notify.settings.database, catch_up_seconds=20,
                                          schedule_every_seconds=0))
    await second.start()
    try:
        assert await notify.progress.caught_up(30)
        monday_0805 = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)   # 08:05 in Shanghai: W48's run is due
        async with EventTap(kafka_settings, ["report-published"]) as tap:
            claims = await asyncio.gather(*(run_due(replica, monday_0805, districts)
                                            for replica in (notify, second, notify, second)))
            await tap.wait_for(lambda t: len([e for e in t.events("report-published")
                                              if e["district"] in districts]) >= len(districts), timeout=60)
            await tap.settle(2.0)
            published = [e for e in tap.events("report-published") if e["district"] in districts]
    finally:
        await second.stop()
    claimed = [d for c in claims for d in c]
    assert sorted(claimed) == sorted(districts)               # each district claimed once, by one replica
    assert sorted(e["district"] for e in published) == sorted(districts)   # one bulletin each
    assert {e["data"]["week"] for e in published} == {WEEK}
    assert all(e["data"]["number"] == 1 and e["data"]["stats"]["topics_proposed"] == 1 for e in published)
