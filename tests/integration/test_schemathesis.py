"""schemathesis over each service's OpenAPI, with a valid token for a district whose directory
exists: whatever it sends, no answer is a 5xx.

The services run in this process over the real store and Kafka (the session fixtures), served
by uvicorn on a loopback port on the suite's event loop; schemathesis's engine runs in a worker
thread and talks HTTP to it. Generation is derandomized with a fixed seed and bounded per
operation (`FOURX_FUZZ_EXAMPLES`, default 50), so a run is repeatable and takes a minute or two.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import schemathesis
from fourx_platform.auth import issue_token
from fourx_platform.loops import poll_until
from fourx_issues.bootstrap import create_app as issues_app
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import create_app as notify_app
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from tests.support.servers import serve
from tests.unit.meetings.fixtures import DIRECTORY_YAML

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FOURX_FUZZ_EXAMPLES", "50"))
SEED = 20261129
EVERY_ROLE = ("community_secretary", "street_secretary", "street_deputy_secretary", "street_org_member",
              "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "org_deputy_head", "party_office")


def fuzz_token(district: str) -> str:
    """The one place the fuzzer's credentials come from: a person of the directory (the
    office) holding every district role (not the operators' cross-district one). Adapt here
    when token signing changes."""
    return issue_token("p-office", district, EVERY_ROLE)


@dataclass
class Findings:
    requests: int = 0
    reached_seeded: int = 0
    server_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _fuzz(openapi: dict, base_url: str, district: str, pinned: dict[str, str]) -> Findings:
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "base-url": base_url,
        "headers": {"Authorization": f"Bearer {fuzz_token(district)}"},
        "workers": 1,
        # Every route is under /districts/{district}: the token's district, or all would be 403.
        "parameters": {"path.district": district, **pinned},
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
        "phases": {"stateful": {"enabled": False}},
        "request-timeout": 30,
    })
    schema = schemathesis.openapi.from_dict(openapi, config=config)
    findings = Findings()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                findings.requests += 1
                request, response = interaction.request, interaction.response
                if any(isinstance(v, str) and v in request.uri for k, v in pinned.items() if k != "path.district"):
                    findings.reached_seeded += 1
                if response is not None and response.status_code >= 500:
                    findings.server_errors.append(
                        f"{response.status_code} {request.method} {request.uri}\n  body: {str(request.body)[:300]}"
                        f"\n  answer: {response.content[:300]!r}")
        elif isinstance(event, events.NonFatalError):
            findings.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            findings.errors.append(f"fatal: {event.exception!r}")
    return findings


async def _has_directory(issues, district: str) -> bool:
    return await issues.directory_people(district) is not None


async def _seed(meetings, issues, district: str) -> dict[str, str]:
    """A directory, an activity day with a topic, a suggestion, a supervision item and an inspection: the ids
    the "seeded" runs pin, so fuzzed bodies reach the aggregates instead of a 404."""
    headers = {"Authorization": f"Bearer {fuzz_token(district)}"}
    async with (httpx.AsyncClient(transport=httpx.ASGITransport(app=meetings_app(meetings)),
                                  base_url="http://meetings", headers=headers) as m,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=issues_app(issues)),
                                  base_url="http://issues", headers=headers) as i):
        async def ok(response: httpx.Response) -> dict:
            assert response.status_code < 300, response.text
            return response.json()

        await ok(await m.put(f"/districts/{district}/directory", content=DIRECTORY_YAML.encode(),
                             headers={"content-type": "application/yaml"}))
        # The issues service learns the directory from `directory-updated`: wait for it, or its
        # routes rightly answer 403 (no directory yet) to the seeding below.
        assert await poll_until(lambda: _has_directory(issues, district), 30), "issues never got the directory"
        # This or next month's activity day, whichever takes topics today (the service's own clock).
        today, pinned = await meetings.today(district), {}
        for month in (today.strftime("%Y-%m"), (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")):
            day = await ok(await m.post(f"/districts/{district}/activity-days/schedule", json={"month": month}))
            pinned["path.meeting_id"] = day["meeting_id"]
            topic = await m.post(f"/districts/{district}/activity-days/{day['meeting_id']}/topics",
                                 json={"title": "加装电梯"})
            if topic.status_code == 201:
                pinned["path.topic_id"] = topic.json()["topic_id"]
                break
        suggestion = await ok(await m.post(f"/districts/{district}/suggestions", json={
            "title": "停车共享", "text": "机关单位夜间开放车位"}))
        item = await ok(await i.post(f"/districts/{district}/issues", json={
            "title": "加装电梯", "source": {"kind": "community", "ref": "c-1"},
            "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-12-31"}))
        inspection = await ok(await i.post(f"/districts/{district}/inspections", json={
            "kind": "site_observation", "date": "2026-11-20", "units": [{"kind": "community", "id": "c-1"}]}))
    return {**pinned, "path.community_id": "c-1", "path.issue_id": item["issue_id"],
            "path.suggestion_id": suggestion["suggestion_id"],
            "path.inspection_id": inspection["inspection_id"], "path.week": "2026-W48"}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["free", "seeded"])
@pytest.mark.parametrize("service_name", ["meetings", "issues", "notify"])
async def test_schemathesis_finds_no_server_error(meetings, issues, notify, service_name, mode, district):
    app = {"meetings": meetings_app(meetings), "issues": issues_app(issues),
           "notify": notify_app(notify)}[service_name]
    pinned = await _seed(meetings, issues, district)
    async with serve(app) as base_url:
        started = asyncio.get_running_loop().time()
        findings = await asyncio.to_thread(_fuzz, app.openapi(), base_url, district,
                                           pinned if mode == "seeded" else {})
        elapsed = asyncio.get_running_loop().time() - started
    print(f"\nschemathesis {service_name} ({mode}): {findings.requests} requests in {elapsed:.0f} s, "
          f"{findings.reached_seeded} at seeded ids, {len(findings.server_errors)} server errors, "
          f"{len(findings.errors)} errors")
    assert not findings.errors, "\n".join(findings.errors[:20])
    assert not findings.server_errors, "\n\n".join(findings.server_errors[:20])
    assert findings.requests > 0
    if mode == "seeded" and service_name != "notify":
        assert findings.reached_seeded > findings.requests / 4, "the seeded run must reach the seeded ids"
