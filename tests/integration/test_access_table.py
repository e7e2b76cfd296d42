"""Authorization, table-driven: every district route of every service × every role, another
district's token, a person not in the directory, a role the directory does not give, an
operator, no token, forged tokens → the expected status. Routes come from the apps themselves, so a new route
without a row here fails. Then ownership: only an item's responsible unit acts on it."""

from __future__ import annotations

import asyncio
import functools
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from fourx_platform import devkeys
from fourx_platform.access import district_routes
from fourx_platform.auth import DEV_AUDIENCE, DEV_ISSUER, issue_token
from fourx_issues.bootstrap import create_app as issues_app
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import create_app as notify_app

from tests.conftest import OPERATOR
from tests.integration.meetings.flow import DIRECTORY as BASE_DIRECTORY

pytestmark = pytest.mark.integration

ROLES = ("community_secretary", "street_secretary", "street_deputy_secretary", "street_org_member",
         "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "org_deputy_head", "party_office")
# One person per role, each in a unit that role belongs to.
PEOPLE = {
    "community_secretary": ("p-sec", {"kind": "community", "id": "c-1"}),
    "street_secretary": ("p-street-sec", {"kind": "street", "id": "s-east"}),
    "street_deputy_secretary": ("p-street-dep", {"kind": "street", "id": "s-east"}),
    "street_org_member": ("p-org", {"kind": "street", "id": "s-east"}),
    "dept_main_leader": ("p-dept-main", {"kind": "department", "id": "zhujian"}),
    "dept_responsible_leader": ("p-dept-resp", {"kind": "department", "id": "zhujian"}),
    "dept_section_chief": ("p-dept-chief", {"kind": "department", "id": "zhujian"}),
    "org_deputy_head": ("p-head", {"kind": "district", "id": "-"}),
    "party_office": ("p-office", {"kind": "district", "id": "-"}),
}
DIRECTORY = {**{k: v for k, v in BASE_DIRECTORY.items() if k != "people"}, "people": [
    {"person_id": pid, "name": f"人员{i}", "roles": [role], "unit": unit}
    for i, (role, (pid, unit)) in enumerate(PEOPLE.items())]}

ALL = frozenset(ROLES)
# Any person of the directory, whatever roles count for them.
ANYONE = frozenset({"<any person of the directory>"})
OFFICE = frozenset({"party_office"})
SUPERVISORS = frozenset({"party_office", "org_deputy_head"})
READERS = frozenset({"street_secretary", "street_deputy_secretary", "street_org_member", "dept_main_leader",
                     "dept_responsible_leader", "dept_section_chief", "party_office", "org_deputy_head"})
NOBODY = frozenset()  # operators only

# (method, path) → the roles that pass the access check. Written out here on purpose: it is
# the specification the services' access tables are checked against.
EXPECTED: dict[str, dict[tuple[str, str], frozenset[str]]] = {
    "meetings": {
        ("PUT", "/directory"): OFFICE,
        ("GET", "/directory"): ANYONE,
        ("GET", "/directory/template.xlsx"): OFFICE,
        ("GET", "/me"): ANYONE,
        ("POST", "/activity-days/schedule"): OFFICE,
        ("GET", "/activity-days"): ANYONE,
        ("GET", "/activity-days/{meeting_id}"): ANYONE,
        ("POST", "/activity-days/{meeting_id}/topics"): ANYONE,
        ("POST", "/activity-days/{meeting_id}/topics/{topic_id}/select"): OFFICE,
        ("GET", "/activity-days/{meeting_id}/reports/{community_id}/form"): ANYONE,
        ("PUT", "/activity-days/{meeting_id}/reports/{community_id}"): {"community_secretary"},
        ("PUT", "/activity-days/{meeting_id}/comments/{community_id}"): {"street_org_member"},
        ("POST", "/activity-days/{meeting_id}/tasks"): {"dept_responsible_leader"},
        ("PUT", "/activity-days/{meeting_id}/summary"): {"org_deputy_head"},
        ("POST", "/activity-days/{meeting_id}/close"): SUPERVISORS,
        ("POST", "/activities"): OFFICE,
        ("GET", "/activities"): ANYONE,
        ("POST", "/suggestions"): ANYONE,
        ("GET", "/suggestions"): ANYONE,
        ("GET", "/suggestions/{suggestion_id}"): ANYONE,
        ("POST", "/suggestions/{suggestion_id}/adopt"): OFFICE,
        ("POST", "/suggestions/{suggestion_id}/decline"): OFFICE,
        ("GET", "/clock"): ANYONE,
        ("PUT", "/clock"): NOBODY,
    },
    "issues": {
        ("POST", "/issues"): ALL,
        ("GET", "/issues"): ANYONE,
        ("GET", "/issues/export.xlsx"): ANYONE,
        ("GET", "/issues/{issue_id}"): ANYONE,
        ("POST", "/issues/{issue_id}/start"): ALL,
        ("POST", "/issues/{issue_id}/progress"): ALL,
        ("POST", "/issues/{issue_id}/resolution"): ALL,
        ("POST", "/issues/{issue_id}/verification"): SUPERVISORS,
        ("POST", "/issues/{issue_id}/reopen"): SUPERVISORS,
        ("POST", "/issues/{issue_id}/notice"): SUPERVISORS,
        ("POST", "/issues/{issue_id}/notice/acknowledgement"): ALL,
        ("POST", "/issues/{issue_id}/interview"): SUPERVISORS,
        ("POST", "/issues/{issue_id}/interview/outcome"): SUPERVISORS,
        ("POST", "/daily-check"): SUPERVISORS,
        ("POST", "/inspections"): SUPERVISORS,
        ("POST", "/inspections/{inspection_id}/findings"): SUPERVISORS,
        ("GET", "/inspections"): ANYONE,
        ("GET", "/league"): ANYONE,
    },
    "notify": {
        ("GET", "/bulletins"): READERS,
        ("GET", "/bulletins/{week}"): READERS,
        ("GET", "/bulletins/{week}/html"): READERS,
        ("GET", "/bulletins/{week}/markdown"): READERS,
        ("GET", "/bulletins/{week}/docx"): READERS,
        ("GET", "/bulletins/{week}/deliveries"): SUPERVISORS,
        ("GET", "/bulletins/{week}/acknowledgements"): SUPERVISORS,
        ("GET", "/inbox"): ANYONE,
        ("POST", "/inbox/{item_id}/acknowledge"): ANYONE,
        ("GET", "/outcomes"): READERS,
        ("GET", "/outcomes/summary.docx"): SUPERVISORS,
    },
}
FACTORIES = {"meetings": meetings_app, "issues": issues_app, "notify": notify_app}


def bearer(person_id: str, district: str, roles) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(person_id, district, roles)}"}


@functools.cache
def forged(district: str) -> list[tuple[str, dict[str, str]]]:
    """Tokens an attacker can make: signed with a key of their own, or with the HS256 secret
    that shipped in the repository before issue 9. Both name the district's office."""
    claims = {"sub": "p-office", "district": district, "roles": ["party_office"], "iss": DEV_ISSUER,
              "aud": DEV_AUDIENCE, "exp": datetime.now(UTC) + timedelta(hours=1)}
    with tempfile.TemporaryDirectory(prefix="attacker-") as folder:   # signed, then gone
        own_key = devkeys.generate(Path(folder))
        signed = devkeys.sign(claims, own_key.private_key_file)
    old_secret = "fourx-dev-secret-change-me-in-production-0123456789"
    return [("a token signed with another key", {"Authorization": f"Bearer {signed}"}),
            ("an HS256 token with the repository's old secret",
             {"Authorization": f"Bearer {jwt.encode(claims, old_secret, algorithm='HS256')}"})]


def identities(district: str) -> list[tuple[str, dict[str, str], set[str] | None]]:
    """(who, headers, what counts for them) — ANYONE joins the roles of a person of the
    directory; None is 'passes every rule' (an operator)."""
    out = [(role, bearer(pid, district, [role]), {role} | ANYONE) for role, (pid, _) in PEOPLE.items()]
    return out + [
        ("another district's office", bearer("p-office", f"{district}-b", ROLES), set()),
        ("not in the directory", bearer("p-ghost", district, ROLES), set()),
        # The token claims every role; the directory gives this person one.
        ("claims roles the directory does not give", bearer("p-sec", district, ROLES),
         {"community_secretary"} | ANYONE),
        # platform_admin in a district token is ignored: only a person of the directory, no role.
        ("a district token claiming platform_admin", bearer("p-sec", district, ["platform_admin"]), set(ANYONE)),
        ("operator", bearer(OPERATOR, district, []), None),
        # A city-level token (its city, a city role, no district) changes and reads no district route.
        ("a city token", {"Authorization": f"Bearer {issue_token('p-city', None, ['city_org_dept'], city='city-x')}"},
         set()),
        ("no token", {}, set()),
        *((who, headers, set()) for who, headers in forged(district)),
    ]


def url_of(path: str, district: str) -> str:
    # Ids that name nothing: an admitted caller reaches the handler and gets 404/422, not 403.
    path = path.replace("{district}", district).replace("{week}", "2026-W48")
    return re.sub(r"\{[a-z_]+\}", "x-404", path)


def body_of(method: str, path: str) -> dict | None:
    if path.endswith("/directory"):
        return DIRECTORY  # the same directory again: admitted callers change nothing
    if path.endswith("/daily-check"):
        return {"today": "2026-11-10"}
    if path.endswith("/outcomes") or path.endswith("summary.docx"):
        return None
    return {} if method in ("POST", "PUT") else None


async def _directory_everywhere(services: dict, district: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        people = [await s.directory_people(district) for s in services.values()]
        if all(p and len(p) == len(PEOPLE) for p in people):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the directory did not reach every service")


@pytest.fixture
async def clients(meetings, issues, notify, district):
    services = {"meetings": meetings, "issues": issues, "notify": notify}
    apps = {name: FACTORIES[name](service) for name, service in services.items()}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["meetings"]), base_url="http://m") as m, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["issues"]), base_url="http://i") as i, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["notify"]), base_url="http://n") as n:
        first = await m.put(f"/districts/{district}/directory", json=DIRECTORY,
                            headers=bearer("p-office", district, ["party_office"]))
        assert first.status_code == 200, first.text
        await _directory_everywhere(services, district)
        yield apps, {"meetings": m, "issues": i, "notify": n}


@pytest.mark.parametrize("service", list(EXPECTED))
async def test_every_route_answers_each_role_as_the_table_says(clients, service, district):
    apps, http = clients
    routes = district_routes(apps[service])
    prefix = "/districts/{district}"
    expected = {(m, prefix + p): roles for (m, p), roles in EXPECTED[service].items()}
    assert set(routes) == set(expected), "a route was added or removed: give it a row in EXPECTED"
    wrong = []
    for method, path in routes:
        for who, headers, roles in identities(district):
            query = {"period": "2026"} if "/outcomes" in path else None
            response = await http[service].request(method, url_of(path, district), headers=headers,
                                                   json=body_of(method, path), params=query)
            if who == "no token" or who.startswith(("a token signed", "an HS256")):
                want = "401"
            elif roles is None or roles & expected[(method, path)]:
                want = "admitted"
            else:
                want = "403"
            got = response.status_code
            ok = (got == 401) if want == "401" else (got == 403) if want == "403" else got not in (401, 403)
            if not ok or got >= 500:
                wrong.append(f"{method} {path} as {who}: {got} (want {want}) {response.text[:120]}")
    assert not wrong, "\n".join(wrong)


async def test_a_person_not_in_the_directory_gets_403_with_a_reason(clients, district):
    _, http = clients
    response = await http["issues"].get(f"/districts/{district}/issues", headers=bearer("p-ghost", district, ROLES))
    assert response.status_code == 403 and "组织名册" in response.json()["detail"]


# --- ownership: only the responsible unit's people, and the supervising offices -------------------
def as_role(district: str, role: str) -> dict[str, str]:
    return bearer(PEOPLE[role][0], district, [role])


async def test_only_the_responsible_unit_acts_on_an_item(clients, district):
    _, http = clients
    api = http["issues"]
    base = f"/districts/{district}/issues"
    dept_item = {"title": "加装电梯摸底", "source": {"kind": "community", "ref": "c-1"},
                 "responsible": {"kind": "department", "id": "zhujian"}, "due_date": "2026-12-31",
                 "raised_on": "2026-11-02"}
    # A community secretary may not put a department on the list; the office may.
    assert (await api.post(base, json=dept_item, headers=as_role(district, "community_secretary"))).status_code == 403
    created = await api.post(base, json=dept_item, headers=as_role(district, "party_office"))
    assert created.status_code == 201, created.text
    item = f"{base}/{created.json()['issue_id']}"
    progress = {"week": "2026-W45", "note": "已摸底三个小区", "percent": 20}

    for role in ("community_secretary", "street_secretary", "street_org_member"):
        outsider = as_role(district, role)
        assert (await api.post(f"{item}/start", headers=outsider)).status_code == 403, role
        assert (await api.post(f"{item}/progress", json=progress, headers=outsider)).status_code == 403, role
        assert (await api.post(f"{item}/resolution", json={"resolution": "完成"},
                               headers=outsider)).status_code == 403, role

    chief = as_role(district, "dept_section_chief")  # any person of the responsible department
    assert (await api.post(f"{item}/start", headers=chief)).status_code == 200
    assert (await api.post(f"{item}/progress", json=progress, headers=chief)).status_code == 200
    assert (await api.post(f"{item}/resolution", json={"resolution": "全部完成"}, headers=chief)).status_code == 200
    # Verifying is supervision: not the unit's own people, but the deputy head may.
    assert (await api.post(f"{item}/verification", headers=chief)).status_code == 403
    verified = await api.post(f"{item}/verification", headers=as_role(district, "org_deputy_head"))
    assert verified.status_code == 200 and verified.json()["status"] == "closed"


async def test_a_unit_raises_items_for_itself(clients, district):
    _, http = clients
    own = {"title": "楼道堆物", "source": {"kind": "community", "ref": "c-1"},
           "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-12-31", "raised_on": "2026-11-02"}
    secretary = as_role(district, "community_secretary")
    assert (await http["issues"].post(f"/districts/{district}/issues", json=own, headers=secretary)).status_code == 201
    elsewhere = {**own, "responsible": {"kind": "community", "id": "c-2"}}
    refused = await http["issues"].post(f"/districts/{district}/issues", json=elsewhere, headers=secretary)
    assert refused.status_code == 403
