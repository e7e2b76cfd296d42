"""`make up`, events straight onto Kafka for a new district, a report within 10 s, `make down`."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime

import httpx

from chinese_calendar import is_workday

from fourx_contracts.envelope import new_event
from fourx_contracts.events import TOPICS
from fourx_contracts.vocabulary import OUTCOME_FIGURES
from fourx_local.process import pid_alive
from fourx_notify.domain.stats import StoredEvent, compute_stats, dating

from tests.integration.test_report_stats import (
    DERIVED_ISSUES, EXPECTED_WITH_SUPERVISION, derived_issues, publish_stream)
from tests.support.kafka import EventTap, produce


async def test_report_from_the_running_stack_within_ten_seconds(local_stack, district):
    bootstrap = local_stack.kafka("admin")
    assert local_stack.value("MONGO_URI").startswith("mongodb://")
    async with EventTap(bootstrap, ["issue-raised"]) as tap:
        await publish_stream(bootstrap, district)
        await tap.wait_for(lambda t: len(derived_issues(t, district)) == DERIVED_ISSUES)
    request = new_event(type="report-requested", source="/tests/e2e", district=district, data={"week": "2026-W48"})
    async with EventTap(bootstrap, ["report-published"]) as tap:
        started = time.monotonic()
        await produce(bootstrap, "report-requested", request.to_json_bytes(), district.encode())
        published = await tap.wait_for(lambda t: t.events("report-published", district), timeout=10)
        elapsed = time.monotonic() - started
    assert elapsed < 10
    assert published[0]["data"]["stats"] == EXPECTED_WITH_SUPERVISION


CATALOG_TOPICS = [t for t in TOPICS if t != "report-requested"]


async def test_demo_month_leaves_the_whole_method_on_the_stream(local_stack, district):
    """`make demo` (the README's main job, less set-up): its output ends with the bulletin,
    and the event stream holds what issues 3, 4 and 5 ask of the demo."""
    demo = local_stack.cli("demo", "--district", district, timeout=600)
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    bulletin = demo.stdout[demo.stdout.rindex("周工作记实通报（Markdown）"):]
    held = re.search(r"\| `meetings_held` \| (\d+) \|", bulletin)
    assert held and int(held.group(1)) >= 1, bulletin[:2000]

    bootstrap = local_stack.kafka("ops")
    async with EventTap(bootstrap, CATALOG_TOPICS) as tap:
        await tap.wait_for(lambda t: t.events("report-published", district), timeout=30)
        await tap.settle(3.0)
    on = lambda topic: tap.events(topic, district)  # noqa: E731

    # meetings (issue 3)
    communities = {c["community_id"] for c in on("directory-updated")[-1]["data"]["communities"]}
    assert len(communities) >= 6
    scheduled = on("meeting-scheduled")[0]["data"]
    day = date.fromisoformat(scheduled["date"])
    first_friday = next(date(day.year, day.month, d) for d in range(1, 8) if date(day.year, day.month, d).weekday() == 4)
    assert day == first_friday or (day > first_friday and not is_workday(first_friday))
    assert on("topic-proposed") and on("topic-selected")
    meetings = [e["data"] for e in on("meeting-held")]
    assert any({r["community_id"] for r in m["community_reports"]} == communities
               and {c["community_id"] for c in m["comments"]} == communities for m in meetings)
    activities = [e["data"] for e in on("activity-held")]
    assert any(a["kind"] == "collective_diagnosis" and len(a["outcomes"]) >= 2 for a in activities)

    # issues (issue 4): one item per task and per outcome, one full escalation chain, an inspection
    raised = on("issue-raised")
    sources = {(e["data"]["source"]["kind"], e["data"]["title"]) for e in raised}
    assert all(("meeting_task", t["title"]) in sources for m in meetings for t in m["tasks"])
    # The contract has one source kind for what an X activity decided: "diagnosis".
    assert all(("diagnosis", o["title"]) in sources for a in activities for o in a["outcomes"])
    overdue = {e["data"]["issue_id"] for e in on("issue-overdue")}
    noticed = {e["data"]["issue_id"] for e in on("notice-issued")}
    interviewed = {e["data"]["issue_id"] for e in on("interview-scheduled")}
    assert overdue & noticed & interviewed
    assert on("inspection-held")

    # notify (issue 5): the published stats are the stream's counts, every recipient got it
    report = on("report-published")[-1]
    week = report["data"]["week"]
    stored = []
    for e in (ev for topic in CATALOG_TOPICS for ev in on(topic)):
        occurred_on, in_week = dating(e["type"], e["data"], datetime.fromisoformat(e["time"].replace("Z", "+00:00")))
        stored.append(StoredEvent(e["id"], e["type"], district, datetime.now(), occurred_on, in_week, e["data"]))
    assert report["data"]["stats"] == compute_stats(stored, week)
    delivered = {e["data"]["recipient_id"] for e in on("notification-sent")
                 if e["data"]["ref"] == report["data"]["report_id"] and e["data"]["status"] == "delivered"}
    assert report["data"]["recipients"] > 0 and len(delivered) == report["data"]["recipients"]

    # The web console (issue 13): `up` printed PORTAL_URL and the demo ends with sign-in links;
    # the secretary's link shows their items with lights, the office's the week's bulletin.
    portal = local_stack.value("PORTAL_URL")
    links = dict(re.findall(r"^(社区书记|区委党建办)\S*：(http\S+)$", demo.stdout, re.MULTILINE))
    assert set(links) == {"社区书记", "区委党建办"} and all(u.startswith(f"{portal}/login?as=") for u in links.values())
    with httpx.Client(base_url=portal, timeout=30, follow_redirects=True) as secretary:
        assert secretary.get(links["社区书记"]).status_code == 200  # followed to the app
        me = secretary.get("/api/me").json()
        assert me["district"] == district and me["roles"] == ["community_secretary"]
        items = secretary.get(f"/api/issues/districts/{district}/issues", params={"limit": 200}).json()["items"]
        assert any(i["owner"] == me["person_id"] and i["light"] in ("green", "yellow", "red") for i in items)
    with httpx.Client(base_url=portal, timeout=30, follow_redirects=True) as office:
        office.get(links["区委党建办"])
        assert "party_office" in office.get("/api/me").json()["roles"]
        bulletin = office.get(f"/api/notify/districts/{district}/bulletins/{week}")
        assert bulletin.status_code == 200, bulletin.text
    # The city level (issue 15): the demo's directory names its city; the city person's link
    # signs a city token in, and the city's figures list the demo district.
    city_link = re.search(r"^市委组织部\S*：(http\S+)$", demo.stdout, re.MULTILINE)
    assert city_link, demo.stdout[-2000:]
    with httpx.Client(base_url=portal, timeout=30, follow_redirects=True) as city_person:
        assert city_person.get(city_link[1]).status_code == 200
        me = city_person.get("/api/me").json()
        assert me["district"] is None and me["city"] and me["roles"] == ["city_org_dept"]
        overview = city_person.get(f"/api/notify/cities/{me['city']}/outcomes", params={"period": str(day.year)})
        assert overview.status_code == 200, overview.text
        assert district in [d["district"] for d in overview.json()["districts"]]
    # outcomes (issue 15): the figures of the demo's year, as `fourx-dev outcomes --json` prints them
    figures = json.loads(local_stack.cli("outcomes", "--district", district, "--period", str(day.year), "--json").stdout)
    assert list(figures) == list(OUTCOME_FIGURES)
    assert figures["activity_days_held"] == 1 and figures["site_observations"] >= 1
    assert figures["study_visit_people"] == 12 and figures["study_visit_places"] == 2
    assert figures["secretaries_taught"] == 2 and figures["problems_solved"] >= 1
    assert figures["suggestions_made"] == 2 and figures["suggestions_adopted"] == 1
    assert figures["issues_raised"] == len({e["data"]["issue_id"] for e in raised}) and figures["notices_issued"] >= 1
    assert figures["interviews_held"] == 1 and figures["issues_resolved"] >= 1
    assert ("suggestion", "签订机关单位停车位夜间共享协议") in {
        (e["data"]["source"]["kind"], e["data"]["title"]) for e in on("issue-raised")}
    table = local_stack.cli("outcomes", "--district", district, "--period", str(day.year))
    assert table.returncode == 0 and "会诊解决工作难题" in table.stdout


def test_status_then_down_leaves_nothing_running(local_stack):
    status = local_stack.cli("status")
    assert status.returncode == 0 and "running" in status.stdout
    pids = local_stack.pids()
    assert len(pids) == 6  # Kafka, the store, three services, the portal
    assert "portal" in status.stdout
    down = local_stack.cli("down")
    assert down.returncode == 0, down.stderr
    deadline = time.monotonic() + 10
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in pids if pid_alive(p)] == []
    assert local_stack.cli("status").returncode == 1
