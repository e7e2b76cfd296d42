"""State is stored before its event is published, and a relay crash loses nothing."""

from __future__ import annotations

import pytest
from fourx_contracts.envelope import new_event
from fourx_platform.kafka import publish_event
from fourx_platform.outbox import OUTBOX_FIELD, OutboxRelay, outbox_push

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


async def test_an_event_the_broker_refuses_is_parked_and_holds_back_no_other(kafka_settings, meetings, district):
    """A record over the topic's size limit can never be published: after the bounded attempts
    it moves to `_outbox_failed` (with the error), and every other aggregate's event goes out."""
    from fourx_platform.failures import FailurePolicy
    from fourx_platform.outbox import FAILED_FIELD

    collection = meetings.runtime.db["outbox_probe"]
    huge = new_event(type="topic-selected", source="/services/meetings", district=district,
                     data={"topic_id": "t-huge", "meeting_id": "m1", "title": "长" * 400_000})  # ~1.2 MB of UTF-8
    fine = new_event(type="topic-selected", source="/services/meetings", district=district,
                     data={"topic_id": "t-fine", "meeting_id": "m1", "title": "停车难"})
    await collection.insert_one({"_id": f"{district}-a", **{OUTBOX_FIELD: [huge.model_dump(mode="json")]}})
    await collection.insert_one({"_id": f"{district}-b", **{OUTBOX_FIELD: [fine.model_dump(mode="json")]}})
    relay = OutboxRelay([collection], lambda e: publish_event(meetings.runtime.broker, e),
                        policy=FailurePolicy(max_attempts=3))
    async with EventTap(kafka_settings, ["topic-selected"]) as tap:
        for _ in range(3):
            await relay.publish_pending()
        await tap.wait_for(lambda t: t.events("topic-selected", district))
        await tap.settle(1.0)
        assert [e["data"]["topic_id"] for e in tap.events("topic-selected", district)] == ["t-fine"]
    parked = await collection.find_one({"_id": f"{district}-a"})
    assert parked[OUTBOX_FIELD] == []
    [entry] = parked[FAILED_FIELD]
    assert entry["event"]["id"] == huge.id and entry["attempts"] == 3 and entry["error_class"] == "EventTooLarge"
    assert (await collection.find_one({"_id": f"{district}-b"}))[OUTBOX_FIELD] == []


async def test_the_services_relay_pipelines_every_entry_in_its_documents_order(kafka_settings, meetings, district):
    """The runtime's relay (pipelined sends): every entry of several documents reaches the
    topic, each document's in its order, and leaves the outbox once acknowledged."""
    collection = meetings.runtime.db["outbox_probe"]
    per_doc = {}
    for d in range(3):
        batch = [new_event(type="topic-selected", source="/services/meetings", district=district,
                           data={"topic_id": f"t{d}-{i}", "meeting_id": "m1", "title": "停车难"}) for i in range(5)]
        per_doc[f"{district}-{d}"] = [e.id for e in batch]
        await collection.insert_one({"_id": f"{district}-{d}", OUTBOX_FIELD: [e.model_dump(mode="json") for e in batch]})
    relay = meetings.runtime.outbox_relay(["outbox_probe"])
    async with EventTap(kafka_settings, ["topic-selected"]) as tap:
        assert await relay.publish_pending() == 15
        await tap.wait_for(lambda t: len(t.events("topic-selected", district)) >= 15)
        seen = [e["id"] for e in tap.events("topic-selected", district)]
    for doc_id, ids in per_doc.items():
        assert [i for i in seen if i in ids] == ids
        assert (await collection.find_one({"_id": doc_id}))[OUTBOX_FIELD] == []


async def test_the_pipelined_relay_parks_an_event_the_broker_refuses(kafka_settings, meetings, district):
    from fourx_platform.failures import FailurePolicy
    from fourx_platform.kafka import send_event
    from fourx_platform.outbox import FAILED_FIELD

    collection = meetings.runtime.db["outbox_probe"]
    huge = new_event(type="topic-selected", source="/services/meetings", district=district,
                     data={"topic_id": "t-huge", "meeting_id": "m1", "title": "长" * 400_000})
    fine = new_event(type="topic-selected", source="/services/meetings", district=district,
                     data={"topic_id": "t-fine", "meeting_id": "m1", "title": "停车难"})
    await collection.insert_one({"_id": f"{district}-a", OUTBOX_FIELD: [huge.model_dump(mode="json"),
                                                                       fine.model_dump(mode="json")]})
    relay = OutboxRelay([collection], send=lambda e: send_event(meetings.runtime.broker, e),
                        policy=FailurePolicy(max_attempts=2))
    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0
    doc = await collection.find_one({"_id": f"{district}-a"})
    assert doc[OUTBOX_FIELD] == [] and [e["event"]["id"] for e in doc[FAILED_FIELD]] == [huge.id]
