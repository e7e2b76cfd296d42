from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from fourx_contracts.auth import issue_token
from fourx_issues.bootstrap import IssuesService, create_app

pytestmark = pytest.mark.integration


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
