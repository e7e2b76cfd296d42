"""c4: poison of every kind, produced raw to Kafka for district A, while bystander districts
whose keys hash to the same partition (murmur2, Kafka's default partitioner) keep flowing.

Contract v1.1 ("Failures and the DLQ"): a record that is not JSON, not a CloudEvent, fails
validation (a bad value in an additive field included), or is keyed for another district
goes to `<topic>.dlq` at once, and so does one whose `source` is not the topic's producer or whose
`time` is implausible; one a handler keeps refusing goes there after the bounded
retries; a tombstone on the compacted `directory-updated` is skipped. Every consumer group
that reads the topic parks the record itself (`dlq-group`), exactly once, with the original
key and value and the headers below. No bystander waits longer than the bounded retry time.

Counted here on top of the workload's own reconciliation: a poison record missing from the
DLQ of a group that reads its topic (or parked with wrong headers, key or value) is `lost`;
one parked twice by a group, or a tombstone parked at all, is `doubled`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from fourx_contracts.events import dlq_topic
from fourx_platform.failures import FailurePolicy
from fourx_contracts.producers import PRODUCERS, SERVICE_SOURCES

from faults.drill import at, drill
from faults.harness import Stack
from faults.reconcile import Reconciliation, read_all
from faults.result import CaseResult
from faults.workload import Workload

log = logging.getLogger("faults")

CASE = "c4 poison of every kind, one partition"
PARTITIONS = 3
POISONED = "c4-poison"
DLQ_HEADERS = ("dlq-error", "dlq-error-class", "dlq-group", "dlq-attempts", "dlq-topic", "dlq-partition",
               "dlq-offset")
# Who reads what (entrypoints/consumers.py of each service).
GROUPS = {
    "meeting-held": ("fourx-issues", "fourx-notify"),
    "issue-raised": ("fourx-meetings-supervision", "fourx-notify"),
    "directory-updated": ("fourx-issues", "fourx-notify"),
}
# The consumer failure policy's knobs, at their documented defaults (said out loud here).
POLICY_ENV = {"FOURX_CONSUMER_MAX_ATTEMPTS": "3", "FOURX_CONSUMER_RETRY_SECONDS": "0.2"}
PATH_SLACK_S = 8.0


def partition_of(key: str) -> int:
    return DefaultPartitioner()(key.encode(), list(range(PARTITIONS)), list(range(PARTITIONS)))


def bystanders(n: int) -> list[str]:
    """Districts on the poisoned district's partition (same number of partitions everywhere)."""
    target = partition_of(POISONED)
    candidates = (f"c4-b{i}" for i in range(1000))
    return [d for d in candidates if partition_of(d) == target][:n]


def _event(type_: str, data: dict, district: str = POISONED, **extra: object) -> dict:
    """Poison that claims to come from the topic's own producer, so only its fault is at stake."""
    return {"specversion": "1.0", "id": f"poison-{uuid.uuid4()}",
            "type": type_, "source": SERVICE_SOURCES[PRODUCERS[type_]], "time": datetime.now(UTC).isoformat(),
            "subject": "poison", "district": district, "datacontenttype": "application/json",
            "data": data, **extra}


def _meeting(tasks: list[dict], summary: str = "poison") -> dict:
    return {"meeting_id": "m-poison", "kind": "activity_day", "date": "2027-01-08", "attendees": [],
            "community_reports": [], "comments": [], "tasks": tasks, "summary": summary, "topic_ids": []}


def _issue(raised_on: str) -> dict:
    return {"issue_id": "i-poison", "title": "毒丸", "description": "", "source": {"kind": "community", "ref": "x"},
            "responsible": {"kind": "community", "id": "c-1"}, "owner": None, "due_date": "2027-02-01",
            "street_id": None, "community_id": "c-1", "raised_on": raised_on}


@dataclass(frozen=True)
class Poison:
    kind: str
    topic: str
    value: bytes | None
    groups: tuple[str, ...]      # the groups that must park it ((): must be skipped)
    attempts: int = 1            # `dlq-attempts`: 1 for what is no event, the bound for a refusal


def poisons() -> list[Poison]:
    dump = lambda body: json.dumps(body, ensure_ascii=False).encode()  # noqa: E731
    held = GROUPS["meeting-held"]
    # Near the broker's default limit (message.max.bytes ≈ 1 MiB): valid JSON, an invalid event.
    huge = _event("meeting-held", {"meeting_id": "m-huge", "summary": "x" * 1_000_000})
    return [
        Poison("not JSON", "meeting-held", b"\xff\xfe{not json", held),
        Poison("not a CloudEvent", "meeting-held", dump({"hello": "world"}), held),
        Poison("wrong schema", "meeting-held", dump(_event("meeting-held", {"meeting_id": "m-bad"})), held),
        # Valid by schema, refused by the issues service's domain (an item needs a title).
        Poison("refused by the handler", "meeting-held",
               dump(_event("meeting-held", _meeting([{"task_id": "t-blank", "title": "   ",
                                                      "assigned_to": {"kind": "community", "id": "c-1"},
                                                      "due_date": "2027-02-01"}]))), ("fourx-issues",),
               attempts=int(POLICY_ENV["FOURX_CONSUMER_MAX_ATTEMPTS"])),
        Poison("bad additive field", "issue-raised", dump(_event("issue-raised", _issue("not-a-date"))),
               GROUPS["issue-raised"]),
        Poison("key is not the district", "meeting-held",
               dump(_event("meeting-held", _meeting([]), district="c4-elsewhere")), held),
        Poison("source not the topic's producer", "meeting-held",
               dump(_event("meeting-held", _meeting([]), source="/services/notify")), held),
        Poison("time a week ahead", "meeting-held",
               dump(_event("meeting-held", _meeting([]), time=(datetime.now(UTC) + timedelta(days=7)).isoformat())),
               held),
        Poison("tombstone", "directory-updated", None, ()),
        Poison("~1 MB", "meeting-held", dump(huge), held),
    ]


async def produce(bootstrap: str, items: list[Poison]) -> list[tuple[Poison, int, int]]:
    """Send each poison keyed for district A; returns (poison, partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                max_request_size=2 * 1024 * 1024)
    await producer.start()
    try:
        sent = []
        for p in items:
            meta = await producer.send_and_wait(p.topic, p.value, key=POISONED.encode())
            sent.append((p, meta.partition, meta.offset))
            log.info("poison %-24s → %s[%d]@%d (%d bytes)", p.kind, p.topic, meta.partition, meta.offset,
                     len(p.value or b""))
        return sent
    finally:
        await producer.stop()


async def check_dlq(stack: Stack, sent: list[tuple[Poison, int, int]], result: Reconciliation,
                    timeout: float = 30.0) -> None:
    """Every poison parked once per group that reads it, with the contract's headers."""
    topics = sorted({dlq_topic(p.topic) for p, _, _ in sent})
    expected = {(p.topic, part, off, g): p for p, part, off in sent for g in p.groups}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        parked: Counter[tuple[str, int, int, str]] = Counter()
        bad: dict[tuple[str, int, int, str], str] = {}
        for r in await read_all(stack.bootstrap, topics):
            h = r.headers
            try:
                where = (h["dlq-topic"], int(h["dlq-partition"]), int(h["dlq-offset"]), h["dlq-group"])
            except (KeyError, ValueError):
                result.double(("dlq", r.topic, str(r.offset)), f"DLQ record without its headers: {h}")
                continue
            parked[where] += 1
            poison = expected.get(where)
            if poison is not None:
                missing = [k for k in DLQ_HEADERS if not h.get(k)]
                if missing:
                    bad[where] = f"headers missing {missing}"
                elif r.key != POISONED.encode() or r.value != (poison.value or b""):
                    bad[where] = "key or value not the original"
                elif h["dlq-attempts"] != str(poison.attempts):
                    bad[where] = f"dlq-attempts {h['dlq-attempts']}, expected {poison.attempts}"
        if all(parked[w] for w in expected) or loop.time() > deadline:
            break
        await asyncio.sleep(2.0)
    for (topic, part, off, group), poison in expected.items():
        fact = ("dlq", poison.kind, group)
        if not parked[(topic, part, off, group)]:
            result.miss(fact, f"{topic}[{part}]@{off} not in {dlq_topic(topic)} for {group}")
        elif (topic, part, off, group) in bad:
            result.miss(fact, bad[(topic, part, off, group)])
    kinds = {(p.topic, part, off): p for p, part, off in sent}
    for where, n in parked.items():
        poison = kinds.get(where[:3])
        if poison is None:
            continue  # not ours
        if where not in expected:
            result.double(("dlq", poison.kind, where[3]), f"parked by {where[3]}, which should not have")
        elif n > 1:
            result.double(("dlq", poison.kind, where[3]), f"parked {n} times")
    log.info("DLQ: %d poison records expected parked, %d parked", len(expected),
             sum(n for w, n in parked.items() if w[:3] in kinds))


async def run(workdir: Path, days: int = 3, districts: int = 3) -> CaseResult:
    async with Stack(workdir, partitions=PARTITIONS, env=POLICY_ENV) as stack:
        await stack.start()
        flowing = bystanders(districts)
        log.info("district A %s and bystanders %s share partition %d", POISONED, flowing, partition_of(POISONED))
        workload = Workload(stack, flowing, days=days)
        sent: list[tuple[Poison, int, int]] = []

        async def fault() -> None:
            await at(workload, 0.2)
            sent.extend(await produce(stack.bootstrap, poisons()))

        async def dlq(result: Reconciliation) -> None:
            await check_dlq(stack, sent, result)

        # A bystander may wait for the poison's bounded retries (3 attempts: ≤ 1.2 s of backoff)
        # on top of its own path through HTTP, the outbox, Kafka and the read model (~1 s here,
        # a few s on a loaded 2-core box): past bound + PATH_SLACK_S it is stalled behind it.
        policy = FailurePolicy(max_attempts=int(POLICY_ENV["FOURX_CONSUMER_MAX_ATTEMPTS"]),
                               retry_seconds=float(POLICY_ENV["FOURX_CONSUMER_RETRY_SECONDS"]))
        result = await drill(CASE, stack, workload, fault, stall_bound=policy.bound_seconds() + PATH_SLACK_S,
                             extra_check=dlq)
        log.info("bystanders' worst delay %.1fs (whole pipeline); the policy parks a refused record within "
                 "%.1fs of backoff at most", result.max_delay_s, policy.bound_seconds())
        return result
