"""A known, counted workload: districts living through activity days over the services'
HTTP APIs, as their people would, while a fault is injected.

Invariant: every command the services accepted (HTTP 2xx) is written down in the `Ledger`
with the facts it must cause — its own event, and what that event causes downstream (a
task at a closed activity day becomes an `issue-raised`). Commands carry their own ids
(topic, task), so retrying one whose answer was lost in a crash is safe, as a real client's
retry would be. A fact is named by what it is about (`fact_key`), not by its event id, so
the same fact under two ids is seen as doubled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fourx_local.tokens import DEMO_OPERATOR, issue_token
from fourx_platform.clock import DEFAULT_TIME_ZONE

from faults.harness import Stack

log = logging.getLogger("faults")

TZ = ZoneInfo(DEFAULT_TIME_ZONE)  # the services' default: the workload moves their districts' today
TASKS_PER_DAY = 2
TOPICS_PER_DAY = 2
COMMUNITIES = ("c-1", "c-2")
# Commands one district sends: the directory, then per activity day: schedule, clock, topics,
# select, clock, reports and comments, tasks, summary, close, one progress record per item.
COMMANDS_PER_DAY = 1 + 1 + TOPICS_PER_DAY + 1 + 1 + 2 * len(COMMUNITIES) + TASKS_PER_DAY + 1 + 1 + TASKS_PER_DAY

PEOPLE = {
    "p-office": (["party_office"], ("district", None)),
    "p-head": (["org_deputy_head"], ("district", None)),
    "p-org": (["street_org_member"], ("street", "s-1")),
    "p-sec-1": (["community_secretary"], ("community", "c-1")),
    "p-sec-2": (["community_secretary"], ("community", "c-2")),
    "p-dept": (["dept_responsible_leader"], ("department", "d-1")),
}
SECRETARY = {"c-1": "p-sec-1", "c-2": "p-sec-2"}


def directory(district: str) -> dict[str, Any]:
    """A small organisation; in-app channels only, so no drill waits on a mail server."""
    return {
        "district_name": f"演练区 {district}",
        "streets": [{"street_id": "s-1", "name": "一街道"}],
        "communities": [{"community_id": c, "street_id": "s-1", "name": f"社区 {c}"} for c in COMMUNITIES],
        "departments": [{"department_id": "d-1", "name": "区住建局"}],
        "people": [{"person_id": p, "name": p, "roles": roles,
                    "unit": {"kind": kind, "id": unit_id or district}, "channels": [{"kind": "in_app"}]}
                   for p, (roles, (kind, unit_id)) in PEOPLE.items()],
    }


def fact_key(topic: str, data: dict[str, Any], event_id: str = "") -> str:
    """What an event is about, within its district: one fact, one key, whatever its id."""
    try:
        if topic == "directory-updated":
            return str(data["version"])
        if topic in ("meeting-scheduled", "meeting-held"):
            return data["meeting_id"]
        if topic in ("topic-proposed", "topic-selected"):
            return data["topic_id"]
        if topic == "activity-held":
            return data["activity_id"]
        if topic == "issue-raised":
            return f"{data['source']['kind']}:{data['source']['ref']}"
        if topic == "progress-recorded":
            # A record is known by its number on the item (the same content may be recorded
            # twice, 30 → 40 → 30); producers from before numbering, by their content.
            if data.get("seq"):
                return f"{data['issue_id']}/#{data['seq']}"
            return f"{data['issue_id']}/{data['week']}/{data['percent']}"
        if topic in ("issue-resolved", "issue-overdue", "notice-issued", "interview-scheduled"):
            return data["issue_id"]
        if topic == "inspection-held":
            return data["inspection_id"]
        if topic == "report-published":
            return f"{data['week']}/{data['report_id']}"
        if topic == "notification-sent":
            return data["notification_id"]
    except (KeyError, TypeError):
        pass
    return f"id:{event_id}"


@dataclass
class Fact:
    topic: str
    district: str
    key: str
    accepted_at: float   # time.monotonic() of the 2xx that made it due


@dataclass
class Ledger:
    facts: dict[tuple[str, str, str], Fact] = field(default_factory=dict)
    accepted: int = 0        # commands answered 2xx
    planned: int = 0         # commands the workload means to send in all

    def expect(self, topic: str, district: str, key: str, at: float | None = None) -> None:
        self.facts.setdefault((topic, district, key), Fact(topic, district, key, at or time.monotonic()))

    def progress(self) -> float:
        return self.accepted / self.planned if self.planned else 1.0


class CommandFailed(RuntimeError):
    pass


class Api:
    """The services' HTTP APIs as the district's people use them, retrying what did not get
    an answer (connection refused while a replica restarts, 5xx while the store is away)."""

    def __init__(self, stack: Stack, ledger: Ledger, retry_for: float = 120.0, pace: float = 0.0):
        self.stack, self.ledger, self.retry_for, self.pace = stack, ledger, retry_for, pace
        self.http = httpx.AsyncClient(timeout=10.0)
        self.retries = 0

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, service: str, method: str, path: str, district: str, person: str,
                   json: Any = None, count: bool = True, not_yet: frozenset[int] = frozenset()) -> dict[str, Any]:
        """`not_yet`: statuses that mean "ask again" here rather than "refused"."""
        # "ops": the operator the local stack configures (FOURX_AUTH_OPERATORS), for the clock.
        subject, roles = (DEMO_OPERATOR, []) if person == "ops" else (person, PEOPLE[person][0])
        headers = {"Authorization": f"Bearer {issue_token(subject, district, roles)}"}
        deadline = time.monotonic() + self.retry_for
        delay = 0.1
        while True:
            url = self.stack.url(service) + path
            try:
                response = await self.http.request(method, url, json=json, headers=headers)
                if response.status_code < 300:
                    if count:
                        self.ledger.accepted += 1
                        await asyncio.sleep(self.pace)  # people take their time; faults land mid-flow
                    return response.json() if response.content else {}
                # 409: a concurrent change (two replicas); 5xx/503: the store or broker is away.
                if response.status_code != 409 and response.status_code < 500 \
                        and response.status_code not in not_yet:
                    raise CommandFailed(f"{method} {path} → {response.status_code}: {response.text[:300]}")
                problem = f"{response.status_code}"
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            if time.monotonic() > deadline:
                raise CommandFailed(f"{method} {path}: no answer within {self.retry_for:.0f}s ({problem})")
            self.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def progress_week() -> str:
    """Last ISO week in the services' time zone: it has begun whatever the hour."""
    year, week, _ = (datetime.now(TZ).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


async def run_district(api: Api, district: str, days: int, follow_up: bool = True, first_month: int = 1) -> None:
    """One district's months: `days` activity days (2027-01 onwards), each with topics, the
    four standing items, tasks that become supervision items, and weekly progress on them
    (`follow_up=False`: not waiting for the items, so no progress either)."""
    ledger = api.ledger
    d = district
    imported = await api.call("meetings", "PUT", f"/districts/{d}/directory", d, "p-office", directory(d))
    ledger.expect("directory-updated", d, str(imported["version"]))
    week = progress_week()
    for n in range(days):
        month = f"2027-{first_month + n:02d}"
        day = await api.call("meetings", "POST", f"/districts/{d}/activity-days/schedule", d, "p-office",
                             {"month": month})
        meeting, day_date = day["meeting_id"], date.fromisoformat(day["date"])
        ledger.expect("meeting-scheduled", d, meeting)
        base = f"/districts/{d}/activity-days/{meeting}"
        deadline = date.fromisoformat(day["topic_deadline"])
        await api.call("meetings", "PUT", f"/districts/{d}/clock", d, "ops",
                       {"today": (deadline - timedelta(days=1)).isoformat()})
        for i in range(TOPICS_PER_DAY):
            topic_id = f"{meeting}-topic-{i}"
            await api.call("meetings", "POST", f"{base}/topics", d, "p-sec-1",
                           {"title": f"议题 {month} #{i}", "topic_id": topic_id})
            ledger.expect("topic-proposed", d, topic_id)
        await api.call("meetings", "POST", f"{base}/topics/{meeting}-topic-0/select", d, "p-office")
        ledger.expect("topic-selected", d, f"{meeting}-topic-0")
        await api.call("meetings", "PUT", f"/districts/{d}/clock", d, "ops", {"today": day_date.isoformat()})
        for i, community in enumerate(COMMUNITIES, start=1):
            await api.call("meetings", "PUT", f"{base}/reports/{community}", d, f"p-sec-{i}",
                           {"last_month": "完成入户走访", "next_month": "推进加装电梯"})
            await api.call("meetings", "PUT", f"{base}/comments/{community}", d, "p-org", {"text": "台账清楚"})
        tasks = []
        for i in range(TASKS_PER_DAY):
            task_id = f"{meeting}-task-{i}"
            await api.call("meetings", "POST", f"{base}/tasks", d, "p-dept", {
                "task_id": task_id, "title": f"任务 {month} #{i}", "assigned_to": {"kind": "community", "id": COMMUNITIES[i % 2]},
                "due_date": (day_date + timedelta(days=30)).isoformat()})
            tasks.append(task_id)
        await api.call("meetings", "PUT", f"{base}/summary", d, "p-head", {"text": "落实到人。"})
        await api.call("meetings", "POST", f"{base}/close", d, "p-head", {"attendees": []})
        closed_at = time.monotonic()
        ledger.expect("meeting-held", d, meeting, closed_at)
        refs = {f"{meeting}/{t}" for t in tasks}
        for ref in refs:
            ledger.expect("issue-raised", d, f"meeting_task:{ref}", closed_at)
        if not follow_up:
            continue
        for issue_id, unit in await _wait_for_items(api, d, refs):
            # The responsible community's secretary records the week's work (only its people may).
            item = await api.call("issues", "POST", f"/districts/{d}/issues/{issue_id}/progress", d, SECRETARY[unit],
                                  {"week": week, "note": f"{month} 已推进", "percent": 50})
            record = next(r for r in item["progress"] if r["week"] == week)
            ledger.expect("progress-recorded", d, fact_key("progress-recorded", {"issue_id": issue_id, **record}))


async def _wait_for_items(api: Api, district: str, refs: set[str], timeout: float = 120.0) -> list[tuple[str, str]]:
    """The supervision items the issues service raised from these tasks (it consumes
    `meeting-held`); their ids are the service's to choose, so they are looked up."""
    deadline = time.monotonic() + timeout
    while True:
        # 403 until the issues service has the district's directory: it comes by Kafka
        # (`directory-updated`), so on a busy box it may arrive after the first look.
        listed = await api.call("issues", "GET", f"/districts/{district}/issues?limit=200", district, "p-office", count=False,
                                not_yet=frozenset({403}))
        found = {i["source"]["ref"]: (i["issue_id"], i["responsible"]["id"])
                 for i in listed["items"] if i["source"]["ref"] in refs}
        if len(found) == len(refs):
            return [found[r] for r in sorted(refs)]
        if time.monotonic() > deadline:
            raise CommandFailed(f"{district}: items for {sorted(refs - set(found))} not raised within {timeout:.0f}s")
        await asyncio.sleep(0.3)


@dataclass
class Workload:
    """`districts` × `days` activity days, run concurrently; `run()` returns the districts
    whose script broke off (a command never accepted), which the case reports as stalled."""

    stack: Stack
    districts: list[str]
    days: int = 3
    pace: float = 0.0             # seconds after each accepted command
    follow_up: bool = True        # progress on the raised items (needs the issues service flowing)
    ledger: Ledger = field(default_factory=Ledger)
    failures: dict[str, str] = field(default_factory=dict)
    done: bool = False

    def __post_init__(self) -> None:
        per_day = COMMANDS_PER_DAY if self.follow_up else COMMANDS_PER_DAY - TASKS_PER_DAY
        self.ledger.planned = len(self.districts) * (1 + self.days * per_day)

    def describe(self) -> str:
        return f"{self.ledger.accepted} commands, {len(self.districts)} districts, {len(self.ledger.facts)} facts"

    async def run(self) -> dict[str, str]:
        api = Api(self.stack, self.ledger, pace=self.pace)
        try:
            results = await asyncio.gather(*(run_district(api, d, self.days, self.follow_up) for d in self.districts),
                                           return_exceptions=True)
        finally:
            await api.close()
            self.done = True
        for district, result in zip(self.districts, results):
            if isinstance(result, BaseException):
                self.failures[district] = f"{type(result).__name__}: {result}"
                log.error("workload of %s broke off: %s", district, result)
        log.info("workload done: %s (%d retried requests)", self.describe(), api.retries)
        return self.failures


def districts(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i}" for i in range(1, n + 1)]


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
