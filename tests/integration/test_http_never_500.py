"""Every district route of every service, fed garbage by a caller of the right district with
every role: the answer is a 4xx (or a success), never a 500."""

from __future__ import annotations

import re

import httpx
import pytest
from fourx_platform.auth import issue_token
from fourx_issues.bootstrap import create_app as issues_app
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import create_app as notify_app

from tests.conftest import OPERATOR

pytestmark = pytest.mark.integration

EVERY_ROLE = ("community_secretary", "street_secretary", "street_deputy_secretary", "street_org_member",
              "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "org_deputy_head", "party_office")
GARBAGE_BODIES = [
    b"", b"{", b"\xff\xfe\x00", b"null", b"[]", b'"text"', b"12", b"{}",
    b'{"date": "not-a-date", "due_date": 5, "title": ["x"], "today": "2026-13-40", "percent": "many", '
    b'"week": "W99", "community_id": {}, "kind": "nonsense", "outcomes": "x", "units": [1], "findings": 7}',
]
ODD_IDS = ["x-1", "%E4%B8%AD%E6%96%87", "..", "2026-W99", "a" * 300]


def routes(app) -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            if path.startswith("/districts/{district}") for method in operations]


@pytest.mark.parametrize("service_name", ["meetings", "issues", "notify"])
async def test_no_route_answers_500(meetings, issues, notify, service_name, district):
    service = {"meetings": meetings, "issues": issues, "notify": notify}[service_name]
    app = {"meetings": meetings_app, "issues": issues_app, "notify": notify_app}[service_name](service)
    # An operator (FOURX_AUTH_OPERATORS, see tests/conftest.py) passes every access rule, so
    # every handler sees the garbage; a person outside the directory would only get 403s.
    headers = {"Authorization": f"Bearer {issue_token(OPERATOR, district, EVERY_ROLE)}"}
    checked = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://svc") as client:
        for method, path in routes(app):
            for odd in ODD_IDS:
                url = re.sub(r"\{[a-z_]+\}", odd, path.replace("{district}", district))
                bodies = GARBAGE_BODIES if method in ("POST", "PUT", "PATCH") else [None]
                for body in bodies:
                    response = await client.request(method, url, content=body, headers={
                        **headers, "content-type": "application/json"})
                    checked += 1
                    assert response.status_code < 500, (method, url, body, response.status_code, response.text[:300])
    assert checked > 50
