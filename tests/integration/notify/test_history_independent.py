"""A bulletin reads the week, not the history (real store, the generator's events): for weeks
early and late in a district's history, the bulletin made from the week's window and the item
projection is the one made from the whole history as before, and what it reads is the week's
events and the items still on the list — not the weeks before."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fourx_local.seed import DEFAULT_START, generate
from fourx_platform.kafka import ReceivedEvent, decode_record
from fourx_platform.mongo import open_client

from fourx_notify.adapters.event_store import TOPIC_TYPES, EventStore
from fourx_notify.adapters.projections import open_at_week_end
from fourx_notify.adapters.render import render_markdown
from fourx_notify.domain.bulletin import build_bulletin
from fourx_notify.domain.stats import compute_stats, iso_week, week_bounds
from fourx_notify.service_layer.handlers import IMMEDIATE, record_events, topic_titles

pytestmark = pytest.mark.integration
WEEKS = 12


async def test_bulletins_from_the_window_and_projection_match_the_full_history_and_read_no_more(mongo_settings):
    client = open_client(mongo_settings)
    db = client[f"it_history_{uuid.uuid4().hex[:8]}"]
    try:
        store = EventStore(db)
        await store.create_indexes()
        generated = list(generate(1, WEEKS, seed=11))
        district = generated[0].district
        received = []
        for e in generated:
            envelope, payload = decode_record(e.type, e.value, e.key)
            received.append(ReceivedEvent(envelope, payload, e.type, 0, 0))
        for i in range(0, len(received), 500):
            await record_events(received[i:i + 500], store)
        directory = await store.directory(district)
        assert directory is not None and directory["district_name"]

        history_reads = []
        for n in (0, WEEKS // 2, WEEKS - 1):
            week = iso_week(DEFAULT_START + timedelta(weeks=n))
            _, end = week_bounds(week)
            # As before: every event up to the week's end.
            everything = await store.up_to(district, end)
            before = build_bulletin(everything, district=district, week=week, number=1, directory=directory,
                                    topic_titles=await store.titles(district, TOPIC_TYPES, "topic_id"))
            before_md = render_markdown(before, compute_stats(everything, week))
            # Now: the window, the projection.
            events = await store.bulletin_events(district, week)
            named = {e.data["issue_id"] for e in events if e.type in IMMEDIATE and e.week == week}
            items = await store.items_at_week_end(district, week, sorted(named))
            topic_ids = sorted({str(t) for e in events if e.type == "meeting-held" and e.week == week
                                for t in e.data.get("topic_ids") or []})
            titles = topic_titles(events, topic_ids)
            after = build_bulletin(events, district=district, week=week, number=1, directory=directory,
                                   topic_titles=titles, items=items)
            after_md = render_markdown(after, compute_stats(events, week, open_issues=open_at_week_end(items)))
            assert after == before, week
            assert after_md == before_md, week
            # What it read: the week's own events, and earlier ones only for next week's deadlines.
            earlier = [e for e in events if e.week != week]
            assert all(e.type in ("meeting-held", "notice-issued", *TOPIC_TYPES) for e in earlier)
            assert len(events) <= len([e for e in everything if e.week == week]) + len(earlier)
            history_reads.append((len(everything), len(events) + len(items)))
        # The full history grows week by week; what the bulletin reads does not grow with it.
        (first_all, first_read), _, (last_all, last_read) = history_reads
        assert last_all > 5 * first_all
        assert last_read < 2 * first_read + 50
    finally:
        await client.drop_database(db.name)
        await client.close()
