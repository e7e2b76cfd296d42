"""`fourx-dev seed --kafka`: the generated events reach their topics, keyed by district, in
each district's order, acknowledged by the broker (pipelined publishing)."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from typer.testing import CliRunner

from fourx_local.cli import app
from fourx_local.seed import generate

from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration


async def test_seed_publishes_every_generated_event_to_its_topic(kafka_settings):
    seed = random.randrange(10**6, 10**7)  # districts of their own: tests share topics
    expected = list(generate(2, 1, seed))
    topics = sorted({e.type for e in expected})
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["seed", "--districts", "2", "--weeks", "1", "--seed", str(seed), "--kafka"],
        env=kafka_settings.env())
    assert result.exit_code == 0, result.output
    assert f"events={len(expected)}" in result.output
    mine = {e.district for e in expected}
    async with EventTap(kafka_settings, topics) as tap:
        def seen():
            return [r for r in tap.records if r.key and r.key.decode() in mine]
        await tap.wait_for(lambda t: len(seen()) >= len(expected), timeout=60)
        records = seen()
    assert sorted(r.value for r in records) == sorted(e.value for e in expected)
    assert all(json.loads(r.value)["district"] == r.key.decode() for r in records)
    for topic in topics:  # one district's events of one topic keep their order (one partition)
        for district in mine:
            got = [json.loads(r.value)["id"] for r in sorted(records, key=lambda r: r.offset)
                   if r.topic == topic and r.key.decode() == district]
            assert got == [e.id for e in expected if e.type == topic and e.district == district]
