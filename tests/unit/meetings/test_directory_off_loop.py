"""Importing a directory parses it in a worker thread: the event loop goes on serving others."""

from __future__ import annotations

import asyncio
import time

import pytest
from fourx_meetings.domain.directory import DirectoryInvalid, Problem
from fourx_meetings.service_layer import handlers


async def test_the_parse_does_not_hold_the_event_loop(monkeypatch):
    def slow_parse(text: str, outbound=None):
        time.sleep(0.5)  # a large file: half a second of parsing
        raise DirectoryInvalid([Problem(1, "(file)", "slow")])

    monkeypatch.setattr(handlers, "parse_directory", slow_parse)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    with pytest.raises(DirectoryInvalid):
        await handlers.import_directory(handlers.ImportDirectory("d", "streets: []"), uow=None)
    task.cancel()
    assert ticks >= 10, "the loop stood still while the directory was parsed"
