"""Shared fixtures. Unit tests use none of the infrastructure; integration and end-to-end
tests get a real Kafka broker and a real store, started here once per session (or taken
from KAFKA_BOOTSTRAP / MONGO_URI, or from testcontainers when a Docker engine answers)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fourx_platform import devkeys
from fourx_platform.kafka import KafkaSettings
from fourx_platform.logs import configure_logging
from fourx_platform.mongo import MongoSettings
from fourx_local.infra import Infrastructure, provide
from fourx_local.tokens import DEMO_OPERATOR
from fourx_meetings.bootstrap import MeetingsService, MeetingsSettings
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_issues.bootstrap import IssuesService, IssuesSettings
from fourx_platform.clock import FixedClock
from fourx_notify.bootstrap import NotifyService, NotifySettings

# Tests run as the local stack does: dev mode (e.g. plain-http webhooks, `.test` mail domains),
# and the demo's webhook receiver as the one allowlisted internal target.
os.environ.setdefault("FOURX_DEV_MODE", "1")
os.environ.setdefault("FOURX_WEBHOOK_ALLOWLIST", "127.0.0.1:8026")
# The operator subject of the tests' tokens (FOURX_AUTH_OPERATORS): acts in any district.
OPERATOR = "ops"


def pytest_configure(config: pytest.Config) -> None:
    """The suite is its own token issuer: a key pair of its own per session, never a key from
    the repository. Services built in-process read these settings; dev mode as the local stack."""
    keys = devkeys.generate(Path(tempfile.mkdtemp(prefix="fourx-test-keys-")))
    os.environ.update(keys.env(operators=[OPERATOR, DEMO_OPERATOR]))
    # The in-process services log as a service does (fourx_platform.logs), on the stream pytest
    # captures now — never into the output of a CLI a test runs meanwhile (CliRunner swaps stdout).
    configure_logging("test-suite")


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    with provide(tmp_path_factory.mktemp("infra"), partitions=3) as infrastructure:
        yield infrastructure


@pytest.fixture(scope="session")
def kafka_settings(infra: Infrastructure) -> KafkaSettings:
    """The admin principal (a super user): test helpers write and read any topic with it."""
    return infra.kafka_as("admin")


@pytest.fixture(scope="session")
def kafka_as(infra: Infrastructure) -> Callable[[str], KafkaSettings]:
    """A service's own principal (`kafka_as("notify")`), as the local stack gives it; on a
    broker without per-principal credentials (KAFKA_BOOTSTRAP, testcontainers) the admin's."""
    return infra.kafka_as


@pytest.fixture(scope="session")
def mongo_settings(infra: Infrastructure) -> MongoSettings:
    return MongoSettings(uri=infra.mongo_uri)


@pytest.fixture
def district() -> str:
    """A district of its own per test: tests share topics but never each other's data."""
    return f"test-{uuid.uuid4().hex[:10]}"


# --- the three services, in this process over the real Kafka and store (integration, browser) ---
# The issues service's own clock stands still; its daily check is driven with an explicit "today".
CLOCK_DAY = date(2026, 11, 10)


@pytest.fixture(scope="session")
def trace_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tracing on for the whole session, to a file (one JSON span per line): every service
    fixture depends on it, so it is set before any service starts (each reads it in its
    `start()`), the shared services trace every test and `test_tracing.py` reads what they
    wrote. Restored afterwards."""
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
                 issues: IssuesService, trace_file: Path) -> AsyncIterator[NotifyService]:
    # The issues service runs whenever notify does: it answers every bulletin request with the
    # week's lights and league (`supervision-snapshot`), which the bulletin waits for.
    # The Monday run only when a test asks for it (`scheduler.run_due`): on a real Monday the
    # background check would claim a test's fresh districts before the test does.
    service = NotifyService(kafka_as("notify"), mongo_settings,
                            NotifySettings(database="it_notify", catch_up_seconds=20, schedule_every_seconds=0))
    await service.start()
    yield service
    await service.stop()


@pytest_asyncio.fixture(scope="session")
async def meetings(kafka_as: Callable[[str], KafkaSettings], mongo_settings: MongoSettings,
                   trace_file: Path) -> AsyncIterator[MeetingsService]:
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
async def issues(kafka_as: Callable[[str], KafkaSettings], mongo_settings: MongoSettings,
                 trace_file: Path) -> AsyncIterator[IssuesService]:
    service = IssuesService(kafka_as("issues"), mongo_settings,
                            IssuesSettings(database="it_issues", check_every_seconds=0),
                            clock=FixedClock(CLOCK_DAY))
    await service.start()
    yield service
    await service.stop()
