"""The issues step of `make demo`, run against the service over real HTTP, Kafka and store,
after the events the meetings step leaves behind."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from fourx_platform.auth import issue_token
from fourx_contracts.envelope import new_event
from fourx_issues.bootstrap import create_app
from fourx_local.demo import issues as demo_issues
from fourx_local.demo import meetings as demo_meetings
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_local.demo.context import DemoContext
from rich.console import Console

from tests.support.kafka import produce, source_of, sleep_until

pytestmark = pytest.mark.integration

DIRECTORY = {
    "version": 1,
    "streets": [{"street_id": "s1", "name": "东城街道"}],
    "communities": [{"community_id": "c1", "street_id": "s1", "name": "幸福社区"},
                    {"community_id": "c2", "street_id": "s1", "name": "和平社区"}],
    "departments": [{"department_id": "zhujian", "name": "区住建局"}],
    "people": [
        {"person_id": "p-office", "name": "赵主任", "roles": ["party_office"], "unit": {"kind": "district", "id": "d"}},
        {"person_id": "p-sec-1", "name": "王书记", "roles": ["community_secretary"], "unit": {"kind": "community", "id": "c1"}},
        {"person_id": "p-sec-2", "name": "陈书记", "roles": ["community_secretary"], "unit": {"kind": "community", "id": "c2"}},
        {"person_id": "p-zj", "name": "李副局长", "roles": ["dept_responsible_leader"], "unit": {"kind": "department", "id": "zhujian"}},
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def serving(app) -> AsyncIterator[str]:
    """Serve an app whose service is already started (the session fixture) over real HTTP."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_demo_step_runs_the_whole_story(kafka_settings, kafka_as, issues, district):
    events = [
        ("directory-updated", DIRECTORY),
        ("meeting-held", {
            "meeting_id": "m-2026-11", "kind": "activity_day", "date": "2026-11-06", "attendees": ["p-sec-1"],
            "community_reports": [], "comments": [], "summary": "落实到人", "topic_ids": [],
            "tasks": [
                {"task_id": "t1", "title": "老旧小区加装电梯摸底", "assigned_to": {"kind": "community", "id": "c1"}, "due_date": "2026-11-27"},
                {"task_id": "t2", "title": "社区养老服务站建设", "assigned_to": {"kind": "department", "id": "zhujian"}, "due_date": "2026-12-18"},
            ]}),
        ("activity-held", {
            "activity_id": "a-diag", "meeting_id": "m-2026-11", "kind": "collective_diagnosis", "date": "2026-11-06",
            "title": "停车难集体会诊", "participants": [],
            "outcomes": [{"title": "错时共享停车", "responsible": {"kind": "community", "id": "c2"}, "due_date": "2026-12-31"}]}),
    ]
    for topic, data in events:
        event = new_event(type=topic, source=source_of(topic), district=district, data=data)
        await produce(kafka_settings, topic, event.to_json_bytes(), district.encode())

    # The meetings step published the directory long before; here it went out a moment ago.
    await sleep_until(lambda: issues.unit_of_work().directory.get(district))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(issues), host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        ctx = DemoContext(district=district, urls={"issues": f"http://127.0.0.1:{port}"},
                          kafka_bootstrap=kafka_settings.bootstrap, kafka=kafka_as("ops"), console=Console(record=True, width=160),
                          sign=issue_token, facts={"directory": DIRECTORY, "activity_day_date": "2026-11-06",
                                 "meeting_id": "m-2026-11", "people": {"party_office": ["p-office"]}})
        await demo_issues.run(ctx)
    finally:
        server.should_exit = True
        await serving
    output = ctx.console.export_text()
    assert "督办通知 督办〔2026〕第1号" in output and "约谈" in output and "inspection-held" in output
    facts = ctx.facts["issues"]
    chain_item = await issues.unit_of_work().items.get(district, facts["chain_issue_id"])
    assert chain_item.interview is not None and chain_item.notice.acknowledged_by == "p-sec-1"
    assert (await issues.unit_of_work().items.get(district, facts["resolved_issue_id"])).status == "closed"


async def test_demo_step_goes_on_from_the_meetings_step(kafka_settings, kafka_as, meetings, issues, district):
    async with serving(meetings_app(meetings)) as meetings_url, serving(create_app(issues)) as issues_url:
        ctx = DemoContext(district=district, urls={"meetings": meetings_url, "issues": issues_url},
                          kafka_bootstrap=kafka_settings.bootstrap, kafka=kafka_as("ops"), console=Console(record=True, width=160),
                          sign=issue_token)
        await demo_meetings.run(ctx)
        await demo_issues.run(ctx)
    output = ctx.console.export_text()
    assert "督办通知 督办〔" in output and "inspection-held 1 条" in output
    chain_item = await issues.unit_of_work().items.get(district, ctx.facts["issues"]["chain_issue_id"])
    assert chain_item.overdue_on and chain_item.notice and chain_item.interview
