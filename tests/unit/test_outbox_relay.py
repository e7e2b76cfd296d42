"""The outbox relay's invariants, over a fake producer and an in-memory collection: an entry
leaves the outbox only once acknowledged, a document's entries are sent in order, a transient
failure ends the pass keeping what was acknowledged, a permanent one is parked after the
bounded attempts, and sends are pipelined (acknowledgements awaited per window)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, RecordTooLargeError
from fourx_contracts.envelope import new_event
from fourx_platform.failures import FailurePolicy
from fourx_platform.outbox import FAILED_FIELD, OUTBOX_FIELD, OutboxRelay


class Cursor:
    def __init__(self, docs):
        self._docs = iter(docs)

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return next(self._docs)
        except StopIteration:
            raise StopAsyncIteration from None

    async def close(self):
        self._docs = iter(())


class FakeCollection:
    """Just the operations the relay uses, with MongoDB's meaning."""

    name = "fake"

    def __init__(self, docs: list[dict[str, Any]]):
        self.docs = {d["_id"]: d for d in copy.deepcopy(docs)}
        self.bulk_writes = 0

    def find(self, query, projection=None):
        assert query == {f"{OUTBOX_FIELD}.0": {"$exists": True}}
        return Cursor([copy.deepcopy(d) for d in self.docs.values() if d.get(OUTBOX_FIELD)])

    def _pull(self, doc, ids):
        doc[OUTBOX_FIELD] = [e for e in doc[OUTBOX_FIELD] if e["id"] not in ids]

    async def bulk_write(self, ops, ordered=True):
        self.bulk_writes += 1
        for op in ops:
            doc = self.docs[op._filter["_id"]]
            self._pull(doc, set(op._doc["$pull"][OUTBOX_FIELD]["id"]["$in"]))

    async def update_one(self, query, update):
        doc = self.docs.get(query["_id"])
        if doc is None or query[f"{OUTBOX_FIELD}.id"] not in [e["id"] for e in doc[OUTBOX_FIELD]]:
            return
        self._pull(doc, {update["$pull"][OUTBOX_FIELD]["id"]})
        doc.setdefault(FAILED_FIELD, []).append(update["$push"][FAILED_FIELD])


class FakeProducer:
    """`send` queues; the broker's answer comes later, when the test lets it (`acknowledge`)."""

    def __init__(self, refuse: dict[str, BaseException] | None = None, refuse_at_send: dict | None = None):
        self.sent: list[str] = []
        self.pending: list[tuple[str, asyncio.Future]] = []
        self.refuse = refuse or {}
        self.refuse_at_send = refuse_at_send or {}
        self.max_in_flight = 0

    async def send(self, event):
        if event.id in self.refuse_at_send:
            raise self.refuse_at_send[event.id]
        self.sent.append(event.id)
        future = asyncio.get_running_loop().create_future()
        self.pending.append((event.id, future))
        self.max_in_flight = max(self.max_in_flight, sum(not f.done() for _, f in self.pending))
        asyncio.get_running_loop().call_soon(self._answer, event.id, future)
        return future

    def _answer(self, event_id, future):
        if event_id in self.refuse:
            future.set_exception(self.refuse[event_id])
        else:
            future.set_result(None)


def event(n: int):
    return new_event(type="topic-selected", source="/services/meetings", district="d1", id=f"e{n}",
                     data={"topic_id": f"t{n}", "meeting_id": "m1", "title": "停车难"})


def documents(per_doc: int, docs: int) -> list[dict[str, Any]]:
    return [{"_id": f"doc{d}", "state": "x",
             OUTBOX_FIELD: [event(d * per_doc + i).model_dump(mode="json") for i in range(per_doc)]}
            for d in range(docs)]


async def test_every_entry_is_sent_in_its_documents_order_and_removed_once_acknowledged():
    collection, producer = FakeCollection(documents(3, 40)), FakeProducer()
    relay = OutboxRelay([collection], send=producer.send, window=25)
    assert await relay.publish_pending() == 120
    assert producer.sent == [f"e{n}" for n in range(120)]
    assert all(d[OUTBOX_FIELD] == [] for d in collection.docs.values())
    assert await relay.publish_pending() == 0


async def test_sends_are_pipelined_and_removals_written_in_bulk():
    collection, producer = FakeCollection(documents(2, 100)), FakeProducer()
    await OutboxRelay([collection], send=producer.send, window=50).publish_pending()
    assert producer.max_in_flight > 1  # not one send-and-wait per entry
    assert collection.bulk_writes <= 200 // 50 + 1


async def test_a_transient_failure_ends_the_pass_and_keeps_what_was_not_acknowledged():
    collection = FakeCollection(documents(2, 5))
    producer = FakeProducer(refuse={"e5": KafkaConnectionError("broker away")})
    relay = OutboxRelay([collection], send=producer.send, window=100)
    with pytest.raises(KafkaConnectionError):
        await relay.publish_pending()
    left = [e["id"] for d in collection.docs.values() for e in d[OUTBOX_FIELD]]
    assert left == ["e5"]  # the acknowledged others are gone, the refused one waits
    assert not any(d.get(FAILED_FIELD) for d in collection.docs.values())
    producer.refuse.clear()
    assert await relay.publish_pending() == 1


async def test_a_transient_failure_at_send_stops_sending():
    collection = FakeCollection(documents(2, 5))
    producer = FakeProducer(refuse_at_send={"e4": KafkaConnectionError("broker away")})
    with pytest.raises(KafkaConnectionError):
        await OutboxRelay([collection], send=producer.send).publish_pending()
    assert producer.sent == ["e0", "e1", "e2", "e3"]
    assert [e["id"] for d in collection.docs.values() for e in d[OUTBOX_FIELD]] == ["e4", "e5", "e6", "e7", "e8", "e9"]


async def test_a_permanently_refused_entry_is_parked_after_the_bounded_attempts_and_holds_back_no_other():
    collection = FakeCollection(documents(2, 3))
    producer = FakeProducer(refuse={"e2": RecordTooLargeError("too large")})
    relay = OutboxRelay([collection], send=producer.send, policy=FailurePolicy(max_attempts=3))
    assert await relay.publish_pending() == 5
    assert collection.docs["doc1"][OUTBOX_FIELD][0]["id"] == "e2"  # attempt 1 of 3: still pending
    for _ in range(2):
        assert await relay.publish_pending() == 0
    parked = collection.docs["doc1"]
    assert parked[OUTBOX_FIELD] == []
    [entry] = parked[FAILED_FIELD]
    assert entry["event"]["id"] == "e2" and entry["attempts"] == 3 and entry["error_class"] == "RecordTooLargeError"


async def test_a_plain_publish_still_works_one_at_a_time():
    collection, published = FakeCollection(documents(2, 2)), []

    async def publish(e):
        published.append(e.id)

    assert await OutboxRelay([collection], publish).publish_pending() == 4
    assert published == ["e0", "e1", "e2", "e3"]


def test_the_relay_wants_one_way_to_publish():
    with pytest.raises(ValueError):
        OutboxRelay([])


async def test_the_next_window_is_sent_while_the_one_before_is_being_removed():
    collection, producer = FakeCollection(documents(1, 30)), FakeProducer()
    release, sent_during_first_write = asyncio.Event(), []
    write = collection.bulk_write

    async def slow_bulk_write(ops, ordered=True):
        if collection.bulk_writes == 0:
            await asyncio.sleep(0.05)
            sent_during_first_write.extend(producer.sent)
        await write(ops, ordered)

    collection.bulk_write = slow_bulk_write
    assert await OutboxRelay([collection], send=producer.send, window=10).publish_pending() == 30
    assert len(sent_during_first_write) > 10  # window 2 went out while window 1 was removed
    assert all(d[OUTBOX_FIELD] == [] for d in collection.docs.values())


async def test_a_transient_failure_in_one_window_stops_the_windows_after_it():
    collection = FakeCollection(documents(1, 50))
    producer = FakeProducer(refuse={"e3": KafkaConnectionError("broker away")})
    with pytest.raises(KafkaConnectionError):
        await OutboxRelay([collection], send=producer.send, window=10).publish_pending()
    assert len(producer.sent) <= 30  # window 1 failed; at most window 2 (in flight) and 3 went out
    left = {e["id"] for d in collection.docs.values() for e in d[OUTBOX_FIELD]}
    assert "e3" in left and left == {f"e{n}" for n in range(50)} - set(producer.sent) | {"e3"}
