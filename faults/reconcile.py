"""After the fault healed: what was accepted against what Kafka holds and every consumer applied.

- Kafka: every topic read from the beginning with a raw consumer (no group). An id seen more
  than once is the outbox republishing after a crash — allowed (at-least-once). One fact under
  two different ids is doubled.
- notify: its read model (`events`, keyed by event id) must hold every fact exactly once.
- issues: every task of a held activity day is exactly one supervision item.
- meetings: its supervision read model has seen every `issue-raised` and `progress-recorded`
  of its items (the event ids are remembered in the item's document).

`lost` counts expected facts missing anywhere; `doubled` facts published or stored twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from fourx_contracts.events import TOPICS
from fourx_platform.mongo import MongoSettings, open_client

from faults.harness import Stack
from faults.workload import Fact, Ledger, fact_key

log = logging.getLogger("faults")

NOTIFY_DB, ISSUES_DB, MEETINGS_DB = "fourx_notify", "fourx_issues", "fourx_meetings"


@dataclass
class KafkaRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]
    body: dict[str, Any] | None    # the JSON object, when the value is one


async def read_all(bootstrap: str, topics: Iterable[str], timeout: float = 60.0) -> list[KafkaRecord]:
    """Every record of `topics` from the beginning up to the end offsets at the time of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=2 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or set())]
        if not partitions:
            await consumer._client.force_metadata_update()  # first contact: metadata not fetched yet
            partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or set())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp, end in ends.items() if end > 0}
        out: list[KafkaRecord] = []
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            batches = await consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp]:
                        out.append(_record(r))
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        if pending:
            raise TimeoutError(f"could not read {sorted(map(str, pending))} to the end within {timeout:.0f}s")
        return out
    finally:
        await consumer.stop()


def _record(r: Any) -> KafkaRecord:
    body = None
    if r.value is not None:
        try:
            parsed = json.loads(r.value)
            body = parsed if isinstance(parsed, dict) else None
        except ValueError:
            body = None
    headers = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in (r.headers or ())}
    return KafkaRecord(r.topic, r.partition, r.offset, r.key, r.value, headers, body)


class Applied:
    """Polls notify's read model while the workload runs and remembers when each fact of the
    watched districts first appeared there: the end of its journey through every service."""

    def __init__(self, stack: Stack, districts: Iterable[str], every: float = 0.5):
        self.stack, self.districts, self.every = stack, list(districts), every
        self.first_seen: dict[tuple[str, str, str], float] = {}
        self._ids: set[str] = set()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "Applied":
        self._task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _poll(self) -> None:
        client = open_client(MongoSettings(uri=self.stack.mongo_uri))
        try:
            events = client[NOTIFY_DB]["events"]
            while True:
                try:
                    cursor = events.find({"district": {"$in": self.districts}}, {"type": 1, "district": 1, "data": 1})
                    now = time.monotonic()
                    async for doc in cursor:
                        if doc["_id"] in self._ids:
                            continue
                        self._ids.add(doc["_id"])
                        key = (doc["type"], doc["district"], fact_key(doc["type"], doc.get("data") or {}, doc["_id"]))
                        self.first_seen.setdefault(key, now)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the store is away (that may be the fault): look again later
                    log.debug("watcher: %s", exc)
                await asyncio.sleep(self.every)
        finally:
            await client.close()

    def missing(self, facts: Iterable[Fact]) -> list[Fact]:
        return [f for f in facts if (f.topic, f.district, f.key) not in self.first_seen]

    async def wait_for(self, facts: list[Fact], timeout: float) -> list[Fact]:
        """Until every fact reached notify (or `timeout`); returns those that did not."""
        deadline = time.monotonic() + timeout
        while (missing := self.missing(facts)) and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        return missing


@dataclass
class Reconciliation:
    lost: set[tuple[str, str, str]] = field(default_factory=set)
    doubled: set[tuple[str, str, str]] = field(default_factory=set)
    republished: int = 0     # ids on a topic more than once (the outbox's allowed at-least-once)
    notes: list[str] = field(default_factory=list)

    def miss(self, fact: tuple[str, str, str], where: str) -> None:
        self.lost.add(fact)
        self.notes.append(f"lost {'/'.join(fact)}: {where}")

    def double(self, fact: tuple[str, str, str], where: str) -> None:
        self.doubled.add(fact)
        self.notes.append(f"doubled {'/'.join(fact)}: {where}")

    def log(self, limit: int = 40) -> None:
        for note in self.notes[:limit]:
            log.warning("%s", note)
        if len(self.notes) > limit:
            log.warning("… and %d more", len(self.notes) - limit)


Fact3 = tuple[str, str, str]   # (topic, district, fact key)


def on_kafka(records: Iterable[KafkaRecord], ledger: Ledger, districts: set[str]
             ) -> tuple[Reconciliation, dict[Fact3, set[str]]]:
    """The Kafka half, pure: facts of `districts` by their ids; a fact under two ids is
    doubled, an id on its topic twice only republished; a ledger fact with no record lost."""
    result = Reconciliation()
    ids_by_fact: dict[Fact3, set[str]] = defaultdict(set)
    id_count: Counter[tuple[str, str]] = Counter()
    for r in records:
        body = r.body
        if body is None or body.get("district") not in districts or not isinstance(body.get("data"), dict):
            continue
        fact = (r.topic, body["district"], fact_key(r.topic, body["data"], str(body.get("id"))))
        ids_by_fact[fact].add(str(body.get("id")))
        id_count[(r.topic, str(body.get("id")))] += 1
    result.republished = sum(1 for n in id_count.values() if n > 1)
    for fact, ids in ids_by_fact.items():
        if len(ids) > 1:
            result.double(fact, f"on Kafka under {len(ids)} ids")
    for fact in ledger.facts:
        if fact not in ids_by_fact:
            result.miss(fact, "not on Kafka")
    return result, ids_by_fact


async def reconcile(stack: Stack, ledger: Ledger, districts: Iterable[str],
                    records: list[KafkaRecord] | None = None) -> Reconciliation:
    """Compare the ledger's facts (and every fact of `districts` on Kafka) with Kafka and the
    three services' stores; call it once the workload finished and things had time to settle."""
    districts = set(districts)
    if records is None:
        records = await read_all(stack.bootstrap, TOPICS)
    result, ids_by_fact = on_kafka(records, ledger, districts)

    client = open_client(MongoSettings(uri=stack.mongo_uri))
    try:
        await _check_notify(client, ledger, districts, result)
        await _check_issues(client, ledger, result)
        await _check_meetings(client, ledger, ids_by_fact, result)
    finally:
        await client.close()
    return result


async def _check_notify(client: Any, ledger: Ledger, districts: set[str], result: Reconciliation) -> None:
    stored: Counter[tuple[str, str, str]] = Counter()
    async for doc in client[NOTIFY_DB]["events"].find({"district": {"$in": sorted(districts)}},
                                                     {"type": 1, "district": 1, "data": 1}):
        stored[(doc["type"], doc["district"], fact_key(doc["type"], doc.get("data") or {}, doc["_id"]))] += 1
    for fact, n in stored.items():
        if n > 1:
            result.double(fact, f"notify stored it {n} times")
    for fact in ledger.facts:
        if stored[fact] == 0:
            result.miss(fact, "not in notify's read model")


async def _check_issues(client: Any, ledger: Ledger, result: Reconciliation) -> None:
    items = client[ISSUES_DB]["items"]
    for fact in ledger.facts:
        topic, district, key = fact
        if topic != "issue-raised":
            continue
        kind, ref = key.split(":", 1)
        n = await items.count_documents({"district": district, "source.kind": kind, "source.ref": ref})
        if n == 0:
            result.miss(fact, "no supervision item in the issues service")
        elif n > 1:
            result.double(fact, f"{n} supervision items in the issues service")


async def _check_meetings(client: Any, ledger: Ledger, ids_by_fact: dict[tuple[str, str, str], set[str]],
                          result: Reconciliation) -> None:
    supervision = client[MEETINGS_DB]["supervision_items"]
    issue_of: dict[tuple[str, str], str] = {}
    for fact in ledger.facts:
        topic, district, key = fact
        if topic not in ("issue-raised", "progress-recorded") or fact not in ids_by_fact:
            continue
        ids = ids_by_fact[fact]
        if topic == "progress-recorded":
            issue_id = key.split("/", 1)[0]
        else:
            issue_id = issue_of.get((district, key)) or await _issue_id(client, district, key)
        doc = await supervision.find_one({"_id": f"{district}/{issue_id}"}) if issue_id else None
        seen = set((doc or {}).get("seen", []))
        if not ids & seen:
            result.miss(fact, "not applied by meetings' supervision read model")


async def _issue_id(client: Any, district: str, key: str) -> str | None:
    kind, ref = key.split(":", 1)
    doc = await client[ISSUES_DB]["items"].find_one({"district": district, "source.kind": kind, "source.ref": ref},
                                                     {"issue_id": 1})
    return doc.get("issue_id") if doc else None


def delays(ledger: Ledger, applied: Applied, districts: Iterable[str]) -> dict[str, float]:
    """Per district, the worst time from acceptance to notify's read model (inf: never)."""
    worst: dict[str, float] = {d: 0.0 for d in districts}
    for fact in ledger.facts.values():
        if fact.district not in worst:
            continue
        seen = applied.first_seen.get((fact.topic, fact.district, fact.key))
        delay = float("inf") if seen is None else max(0.0, seen - fact.accepted_at)
        worst[fact.district] = max(worst[fact.district], delay)
    return worst
