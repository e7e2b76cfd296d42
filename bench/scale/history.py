"""Part 4 of `make bench-scale`: does a bulletin's cost grow with the district's history?

The generator's districts with 1 week of history and with 52 weeks, stored by notify's own
read-model path (`record_events` → `EventStore`, projections included) in the project's store
(no Kafka: the part times the bulletin, not ingest). Then notify's own handler
(`publish_bulletin`, deliveries included) makes the last week's bulletin of each district,
a few rounds; history_ratio = median time with 52 weeks / median time with 1 week. For
reference, the same bulletin made the way it was before (every event up to the week's end,
`EventStore.up_to`) is timed too.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta

from fourx_local.seed import DEFAULT_START, generate
from fourx_platform.kafka import ReceivedEvent, decode_record
from fourx_platform.mongo import MongoSettings, open_client

from fourx_notify.adapters.deliveries import DeliveryRepository
from fourx_notify.adapters.event_store import TOPIC_TYPES, EventStore
from fourx_notify.adapters.render import render_markdown
from fourx_notify.adapters.reports import BulletinRepository
from fourx_notify.domain.bulletin import build_bulletin
from fourx_notify.domain.stats import compute_stats, iso_week, week_bounds
from fourx_notify.service_layer.handlers import PublishBulletin, publish_bulletin, record_events

ROUNDS = 3


async def _fill(store: EventStore, districts: int, weeks: int, seed: int) -> tuple[list[str], int]:
    batch: list[ReceivedEvent] = []
    names: set[str] = set()
    count = 0
    for e in generate(districts, weeks, seed):
        envelope, payload = decode_record(e.type, e.value, e.key)
        batch.append(ReceivedEvent(envelope, payload, e.type, 0, 0))
        names.add(e.district)
        if len(batch) >= 1000:
            await record_events(batch, store)
            count, batch = count + len(batch), []
    await record_events(batch, store)
    return sorted(names), count + len(batch)


async def _time_bulletins(db, districts: list[str], week: str) -> list[float]:
    store, bulletins, deliveries = EventStore(db), BulletinRepository(db), DeliveryRepository(db)
    spent = []
    for n in range(ROUNDS):
        for district in districts:
            started = time.perf_counter()
            await publish_bulletin(PublishBulletin(district=district, week=week, request_id=f"bench-{n}"),
                                   store, bulletins, deliveries)
            spent.append(time.perf_counter() - started)
    return spent


async def _time_full_history(db, districts: list[str], week: str) -> list[float]:
    """The bulletin's reads and build as before: every event up to the week's end."""
    store = EventStore(db)
    spent = []
    for district in districts:
        started = time.perf_counter()
        events = await store.up_to(district, week_bounds(week)[1])
        directory = await store.directory(district)
        titles = await store.titles(district, TOPIC_TYPES, "topic_id")
        view = build_bulletin(events, district=district, week=week, number=1, directory=directory, topic_titles=titles)
        render_markdown(view, compute_stats(events, week))
        spent.append(time.perf_counter() - started)
    return spent


async def history(mongo: MongoSettings, districts: int = 3, seed: int = 5) -> tuple[float, dict[str, str]]:
    """(history_ratio, notes)."""
    client = open_client(mongo)
    notes: dict[str, str] = {}
    timings: dict[int, float] = {}
    try:
        for weeks in (1, 52):
            db = client[f"bench_history_{weeks}_{uuid.uuid4().hex[:6]}"]
            store = EventStore(db)
            await store.create_indexes()
            await DeliveryRepository(db).create_indexes()
            names, count = await _fill(store, districts, weeks, seed)
            week = iso_week(DEFAULT_START + timedelta(weeks=weeks - 1))
            timings[weeks] = statistics.median(await _time_bulletins(db, names, week))
            line = (f"{districts} districts, {count:,} events: last week's bulletin {1000 * timings[weeks]:.0f} ms "
                    f"(median of {ROUNDS * len(names)})")
            if weeks == 52:
                before = statistics.median(await _time_full_history(db, names, week))
                line += f"; read and built from the full history as before: {1000 * before:.0f} ms"
            notes[f"history, {weeks} week(s)"] = line
            await client.drop_database(db.name)
        return timings[52] / timings[1], notes
    finally:
        await client.close()
