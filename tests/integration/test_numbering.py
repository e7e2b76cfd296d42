"""`fourx_platform.numbering` on the real store: callers at once get one number each, no gap and
no repeat; asking again gives the same number; only the latest number is handed back."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fourx_platform import numbering
from fourx_platform.mongo import open_client

pytestmark = pytest.mark.integration


async def test_numbers_at_once_have_no_gap_and_no_repeat_and_only_the_latest_is_released(mongo_settings):
    client = open_client(mongo_settings)
    collection = client[f"it_numbering_{uuid.uuid4().hex[:8]}"]["counters"]
    try:
        holders = [f"h{i}" for i in range(20)]
        # Every holder asks twice, all at once (two replicas, a redelivery).
        got = await asyncio.gather(*(numbering.number_for(collection, "s", h, "seq") for h in holders + holders))
        first, again = got[:20], got[20:]
        assert sorted(first) == list(range(1, 21)) and first == again
        assert await numbering.number_for(collection, "other", "h0", "seq") == 1   # series are separate

        latest = first.index(20)
        assert await numbering.release(collection, "s", holders[0 if latest else 1], "seq") is False
        assert await numbering.release(collection, "s", holders[latest], "seq") is True
        assert await numbering.release(collection, "s", "nobody", "seq") is True
        assert await numbering.number_for(collection, "s", "new", "seq") == 20      # the freed number, no gap
    finally:
        await client.drop_database(collection.database.name)
        await client.close()
