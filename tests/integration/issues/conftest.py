from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date

import httpx
import pytest
import pytest_asyncio
from fourx_contracts.auth import issue_token
from fourx_contracts.kafka import KafkaSettings
from fourx_contracts.mongo import MongoSettings
from fourx_issues.bootstrap import IssuesService, IssuesSettings, create_app
from fourx_issues.service_layer.clock import FixedClock

pytestmark = pytest.mark.integration

# The service's own clock stands still; the daily check is driven with an explicit "today".
CLOCK_DAY = date(2026, 11, 10)


@pytest_asyncio.fixture(scope="session")
async def issues(kafka_settings: KafkaSettings, mongo_settings: MongoSettings) -> AsyncIterator[IssuesService]:
    service = IssuesService(kafka_settings, mongo_settings,
                            IssuesSettings(database="it_issues", check_interval_seconds=0),
                            clock=FixedClock(CLOCK_DAY))
    await service.start()
    yield service
    await service.stop()


@pytest_asyncio.fixture(scope="session")
async def issues_app(issues: IssuesService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(issues))
    async with httpx.AsyncClient(transport=transport, base_url="http://issues") as client:
        yield client


@pytest.fixture
def as_person(district: str) -> Callable[..., dict]:
    """Headers for a person of this test's district (or another one) with roles."""
    def headers(person_id: str = "p-office", *roles: str, in_district: str | None = None) -> dict:
        token = issue_token(person_id, in_district or district, roles or ("party_office",))
        return {"Authorization": f"Bearer {token}"}
    return headers
