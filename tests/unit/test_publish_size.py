"""An event too large for its topic is refused before it reaches the producer (no sequence
number is spent on a record the broker would refuse)."""

from __future__ import annotations

import pytest
from fourx_contracts.envelope import new_event
from fourx_platform.failures import is_transient
from fourx_platform.kafka import MAX_EVENT_BYTES, EventTooLarge, publish_event


class RecordingBroker:
    def __init__(self):
        self.sent: list[bytes] = []

    async def publish(self, value, topic, **_):
        self.sent.append(value)


def selected(title: str):
    return new_event(type="topic-selected", source="/services/meetings", district="d1",
                     data={"topic_id": "t", "meeting_id": "m1", "title": title})


async def test_an_oversized_event_is_refused_without_sending_and_others_go_out():
    broker = RecordingBroker()
    with pytest.raises(EventTooLarge) as refused:
        await publish_event(broker, selected("长" * (MAX_EVENT_BYTES // 3 + 1)))
    assert not is_transient(refused.value)  # permanent: the outbox relay parks it
    await publish_event(broker, selected("停车难"))
    assert len(broker.sent) == 1
