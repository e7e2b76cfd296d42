from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fourx_platform.kafka import KafkaSettings
from fourx_platform.mongo import MongoSettings
from fourx_meetings.bootstrap import MeetingsService, MeetingsSettings
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_issues.bootstrap import IssuesService, IssuesSettings
from fourx_platform.clock import FixedClock
from fourx_notify.bootstrap import NotifyService, NotifySettings

pytestmark = pytest.mark.integration

# The issues service's own clock stands still; its daily check is driven with an explicit "today".
CLOCK_DAY = date(2026, 11, 10)


@pytest.fixture(scope="session", autouse=True)
def trace_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tracing on for the whole session, to a file (one JSON span per line): set before any
    service starts (each reads it in its `start()`), so the shared services trace every test
    and `test_tracing.py` reads what they wrote. Restored afterwards."""
    path = tmp_path_factory.mktemp("traces") / "spans.jsonl"
    before = os.environ.get("FOURX_TRACE_FILE")
    os.environ["FOURX_TRACE_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("FOURX_TRACE_FILE", None)
    else:
        os.environ["FOURX_TRACE_FILE"] = before


@pytest_asyncio.fixture(scope="session")
async def notify(kafka_as: Callable[[str], KafkaSettings], mongo_settings: MongoSettings,
                 issues: IssuesService) -> AsyncIterator[NotifyService]:
    # The issues service runs whenever notify does: it answers every bulletin request with the
    # week's lights and league (`supervision-snapshot`), which the bulletin waits for.
    service = NotifyService(kafka_as("notify"), mongo_settings, NotifySettings(database="it_notify", catch_up_seconds=20))
    await service.start()
    yield service
    await service.stop()


@pytest_asyncio.fixture(scope="session")
async def meetings(kafka_as: Callable[[str], KafkaSettings], mongo_settings: MongoSettings) -> AsyncIterator[MeetingsService]:
    service = MeetingsService(kafka_as("meetings"), mongo_settings, MeetingsSettings(database="it_meetings"))
    await service.start()
    yield service
    await service.stop()


@pytest_asyncio.fixture(scope="session")
async def meetings_http(meetings: MeetingsService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=meetings_app(meetings))
    async with httpx.AsyncClient(transport=transport, base_url="http://meetings") as client:
        yield client


@pytest_asyncio.fixture(scope="session")
async def issues(kafka_as: Callable[[str], KafkaSettings], mongo_settings: MongoSettings) -> AsyncIterator[IssuesService]:
    service = IssuesService(kafka_as("issues"), mongo_settings,
                            IssuesSettings(database="it_issues", check_every_seconds=0),
                            clock=FixedClock(CLOCK_DAY))
    await service.start()
    yield service
    await service.stop()
