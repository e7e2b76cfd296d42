"""`make up`, events straight onto Kafka for a new district, a report within 10 s, `make down`."""

from __future__ import annotations

import time

from fourx_contracts.envelope import new_event
from fourx_local.process import pid_alive

from tests.integration.test_report_stats import EXPECTED, STREAM
from tests.support.kafka import EventTap, produce


async def test_report_from_the_running_stack_within_ten_seconds(local_stack, district):
    bootstrap = local_stack.value("KAFKA_BOOTSTRAP")
    assert local_stack.value("MONGO_URI").startswith("mongodb://")
    for topic, when, data in STREAM:
        event = new_event(type=topic, source="/tests/e2e", district=district, data=data, time=when)
        await produce(bootstrap, topic, event.to_json_bytes(), district.encode())
    request = new_event(type="report-requested", source="/tests/e2e", district=district, data={"week": "2026-W48"})
    async with EventTap(bootstrap, ["report-published"]) as tap:
        started = time.monotonic()
        await produce(bootstrap, "report-requested", request.to_json_bytes(), district.encode())
        published = await tap.wait_for(lambda t: t.events("report-published", district), timeout=10)
        elapsed = time.monotonic() - started
    assert elapsed < 10
    assert published[0]["data"]["stats"] == EXPECTED


def test_status_then_down_leaves_nothing_running(local_stack):
    status = local_stack.cli("status")
    assert status.returncode == 0 and "running" in status.stdout
    pids = local_stack.pids()
    assert len(pids) == 5
    down = local_stack.cli("down")
    assert down.returncode == 0, down.stderr
    deadline = time.monotonic() + 10
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in pids if pid_alive(p)] == []
    assert local_stack.cli("status").returncode == 1
