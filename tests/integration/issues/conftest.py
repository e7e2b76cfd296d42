from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from fourx_platform.auth import issue_token
from fourx_contracts.events import DirectoryUpdated
from fourx_issues.bootstrap import IssuesService, create_app
from fourx_issues.service_layer import handlers

pytestmark = pytest.mark.integration

# The people the issues tests act as; the service admits only people of the district's directory.
DIRECTORY = {
    "version": 1,
    "streets": [{"street_id": "s1", "name": "东城街道"}],
    "communities": [{"community_id": "c1", "street_id": "s1", "name": "幸福社区"},
                    {"community_id": "c2", "street_id": "s1", "name": "和平社区"}],
    "departments": [{"department_id": "zhujian", "name": "区住建局"}],
    "people": [
        {"person_id": "p-office", "name": "赵主任", "roles": ["party_office"], "unit": {"kind": "district", "id": "-"}},
        {"person_id": "p-head", "name": "孙部长", "roles": ["org_deputy_head"], "unit": {"kind": "district", "id": "-"}},
        {"person_id": "p-sec-1", "name": "王书记", "roles": ["community_secretary"],
         "unit": {"kind": "community", "id": "c1"}},
        {"person_id": "p-other", "name": "陈书记", "roles": ["community_secretary"],
         "unit": {"kind": "community", "id": "c2"}},
        {"person_id": "p-zj", "name": "李副局长", "roles": ["dept_responsible_leader"],
         "unit": {"kind": "department", "id": "zhujian"}},
    ],
}


async def seed_directory(issues: IssuesService, district: str, directory: dict = DIRECTORY) -> None:
    """What a `directory-updated` from the meetings service leaves in the issues service."""
    await handlers.on_directory_updated(district, DirectoryUpdated.model_validate(directory), issues.unit_of_work())


@pytest_asyncio.fixture(scope="session")
async def issues_app(issues: IssuesService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(issues))
    async with httpx.AsyncClient(transport=transport, base_url="http://issues") as client:
        yield client


@pytest_asyncio.fixture
async def as_person(issues: IssuesService, district: str) -> Callable[..., dict]:
    """Headers for a person of this test's district (or another one) with roles; both
    districts have the directory above."""
    for name in (district, f"{district}-other"):
        await seed_directory(issues, name)

    def headers(person_id: str = "p-office", *roles: str, in_district: str | None = None) -> dict:
        token = issue_token(person_id, in_district or district, roles or ("party_office",))
        return {"Authorization": f"Bearer {token}"}
    return headers
