"""A small counted workload for the broker cases, over the issues service's HTTP API: each
district raises supervision items (with ids of its own, so a retried command is idempotent)
and records a week's progress on each. Every 2xx is a fact that must reach Kafka and notify's
read model exactly once: `issue-raised` keyed by the item id, `progress-recorded` by
item/week/percent.

Invariant of `Ledger`: a fact is written down only after the service accepted its command,
with the time it did; `Watcher` notes when each fact first appeared in notify's read model;
`reconcile` compares both against the topics read from the beginning. One fact under two
event ids, or stored twice, is doubled; a republished record with the same id is not (the
outbox is at-least-once, consumers dedupe by id).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fourx_contracts.auth import issue_token
from pymongo import AsyncMongoClient

from faults.replicated import read_all

TOPICS = ("issue-raised", "progress-recorded")
NOTIFY_DB = "fourx_notify"


def last_week() -> str:
    year, week, _ = (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def fact_of(topic: str, data: dict[str, Any]) -> str:
    if topic == "issue-raised":
        return data["issue_id"]
    return f"{data['issue_id']}/{data['week']}/{data['percent']}"


@dataclass
class Ledger:
    accepted: dict[tuple[str, str, str], float] = field(default_factory=dict)   # (topic, district, fact) → when
    commands: int = 0
    retries: int = 0
    failures: dict[str, str] = field(default_factory=dict)                     # district → why it broke off


async def _command(http: httpx.AsyncClient, url: str, district: str, body: dict[str, Any], ledger: Ledger,
                   retry_for: float) -> None:
    """POST until a 2xx; connection errors and 5xx (the service or what it needs is away) are
    retried with the same body, which carries its own ids."""
    headers = {"Authorization": f"Bearer {issue_token('faults-office', district, ['party_office'])}"}
    deadline, delay = time.monotonic() + retry_for, 0.1
    while True:
        try:
            response = await http.post(url, json=body, headers=headers)
            if response.status_code < 300:
                ledger.commands += 1
                return
            if response.status_code < 500 and response.status_code != 409:
                raise RuntimeError(f"POST {url} → {response.status_code}: {response.text[:300]}")
            problem = str(response.status_code)
        except httpx.TransportError as exc:
            problem = type(exc).__name__
        if time.monotonic() > deadline:
            raise RuntimeError(f"POST {url}: no 2xx within {retry_for:.0f}s ({problem})")
        ledger.retries += 1
        await asyncio.sleep(delay)
        delay = min(2 * delay, 2.0)


async def run_district(issues_url: str, district: str, items: int, pace: float, ledger: Ledger,
                       retry_for: float = 120.0) -> None:
    week = last_week()
    due = (date.today() + timedelta(days=60)).isoformat()
    async with httpx.AsyncClient(base_url=issues_url, timeout=10.0) as http:
        for i in range(items):
            issue_id = f"{district}-item-{i}"
            await _command(http, f"/districts/{district}/issues", district, {
                "issue_id": issue_id, "title": f"演练问题 {i}", "source": {"kind": "community", "ref": issue_id},
                "responsible": {"kind": "community", "id": "c-1"}, "due_date": due}, ledger, retry_for)
            ledger.accepted.setdefault(("issue-raised", district, issue_id), time.monotonic())
            await _command(http, f"/districts/{district}/issues/{issue_id}/progress", district,
                           {"week": week, "note": f"第 {i} 项已推进", "percent": 50}, ledger, retry_for)
            ledger.accepted.setdefault(("progress-recorded", district, f"{issue_id}/{week}/50"), time.monotonic())
            await asyncio.sleep(pace)


async def run(issues_url: str, districts: list[str], items: int, pace: float, ledger: Ledger) -> None:
    results = await asyncio.gather(*(run_district(issues_url, d, items, pace, ledger) for d in districts),
                                   return_exceptions=True)
    for district, result in zip(districts, results):
        if isinstance(result, BaseException):
            ledger.failures[district] = f"{type(result).__name__}: {result}"


class Watcher:
    """Polls notify's read model and remembers when each fact of `districts` first appeared."""

    def __init__(self, mongo_uri: str, districts: list[str], every: float = 0.25):
        self.mongo_uri, self.districts, self.every = mongo_uri, districts, every
        self.first_seen: dict[tuple[str, str, str], float] = {}
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "Watcher":
        self._task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _poll(self) -> None:
        client = AsyncMongoClient(self.mongo_uri)
        try:
            events = client[NOTIFY_DB]["events"]
            while True:
                try:
                    now = time.monotonic()
                    async for doc in events.find({"district": {"$in": self.districts}, "type": {"$in": list(TOPICS)}},
                                                 {"type": 1, "district": 1, "data": 1}):
                        self.first_seen.setdefault((doc["type"], doc["district"], fact_of(doc["type"], doc["data"])),
                                                   now)
                except asyncio.CancelledError:
                    raise
                except Exception:  # the store is busy or away: look again
                    pass
                await asyncio.sleep(self.every)
        finally:
            await client.close()

    async def until_all(self, ledger: Ledger, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(k in self.first_seen for k in ledger.accepted):
                return True
            await asyncio.sleep(0.25)
        return False


@dataclass
class Reconciled:
    lost: int
    doubled: int
    stalled: int
    max_delay_s: float
    notes: list[str]


async def reconcile(bootstrap: str, mongo_uri: str, ledger: Ledger, watcher: Watcher) -> Reconciled:
    """Kafka (every record from the beginning) and notify's read model against the ledger."""
    notes: list[str] = []
    ids_by_fact: dict[tuple[str, str, str], set[str]] = {}
    for record in await read_all(bootstrap, TOPICS):
        event = json.loads(record.value)
        key = (record.topic, event["district"], fact_of(record.topic, event["data"]))
        ids_by_fact.setdefault(key, set()).add(event["id"])
    client = AsyncMongoClient(mongo_uri)
    try:
        stored = Counter()
        async for doc in client[NOTIFY_DB]["events"].find({"type": {"$in": list(TOPICS)}},
                                                            {"type": 1, "district": 1, "data": 1}):
            stored[(doc["type"], doc["district"], fact_of(doc["type"], doc["data"]))] += 1
    finally:
        await client.close()
    lost = doubled = 0
    for key in ledger.accepted:
        if key not in ids_by_fact:
            lost += 1
            notes.append(f"not on Kafka: {key}")
        elif stored[key] == 0:
            lost += 1
            notes.append(f"not in notify's read model: {key}")
    for key, ids in ids_by_fact.items():
        if len(ids) > 1:
            doubled += len(ids) - 1
            notes.append(f"one fact, {len(ids)} event ids on Kafka: {key}")
        if key not in ledger.accepted:
            notes.append(f"on Kafka but never accepted: {key}")
    doubled += sum(n - 1 for n in stored.values() if n > 1)
    delays: dict[str, float] = {}
    for key, at in ledger.accepted.items():
        if key in watcher.first_seen:
            district = key[1]
            delays[district] = max(delays.get(district, 0.0), watcher.first_seen[key] - at)
    districts = {k[1] for k in ledger.accepted} | set(ledger.failures)
    stalled = len(set(ledger.failures) | {d for d in districts
                                          if any(k[1] == d and k not in watcher.first_seen for k in ledger.accepted)})
    notes += [f"{d} broke off: {why}" for d, why in ledger.failures.items()]
    return Reconciled(lost, doubled, stalled, round(max(delays.values(), default=0.0), 1), notes)
