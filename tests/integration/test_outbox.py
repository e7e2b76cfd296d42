"""State is stored before its event is published, and a relay crash loses nothing."""

from __future__ import annotations

import pytest
from fourx_contracts.envelope import new_event
from fourx_contracts.kafka import publish_event
from fourx_contracts.outbox import OUTBOX_FIELD, OutboxRelay, outbox_push

from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration


async def test_event_waits_in_the_document_until_the_relay_publishes_it(kafka_settings, meetings, district):
    collection = meetings.runtime.db["outbox_probe"]
    event = new_event(type="topic-selected", source="/services/meetings", district=district,
                      data={"topic_id": "t1", "meeting_id": "m1", "title": "停车难"})
    await collection.update_one({"_id": district}, {"$set": {"state": "selected"}, **outbox_push([event])}, upsert=True)

    calls = 0

    async def broken_publish(_event):
        nonlocal calls
        calls += 1
        raise ConnectionError("broker away")

    with pytest.raises(ConnectionError):
        await OutboxRelay([collection], broken_publish).publish_pending()
    doc = await collection.find_one({"_id": district})
    assert calls == 1 and doc["state"] == "selected" and len(doc[OUTBOX_FIELD]) == 1

    relay = OutboxRelay([collection], lambda e: publish_event(meetings.runtime.broker, e))
    async with EventTap(kafka_settings, ["topic-selected"]) as tap:
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
        await tap.wait_for(lambda t: t.events("topic-selected", district))
        await tap.settle(1.0)
        published = tap.events("topic-selected", district)
    assert [e["id"] for e in published] == [event.id]
    assert (await collection.find_one({"_id": district}))[OUTBOX_FIELD] == []
