"""Part 5, latency: an HTTP command accepted → its event visible in notify's read model, at a
sustained rate (default 200 commands/s for 60 s).

The issues and notify services run as their own OS processes (uvicorn, as `make up` starts
them) on the bench's Kafka and store. The command is the supervision list's own
`POST /districts/{d}/issues` with a client-chosen `issue_id`; its `issue-raised` event has a
deterministic id (`event_id(source, type, district, issue_id)`), so the bench knows which
document of notify's `events` collection it waits for. Commands are sent open-loop (command
i at t0 + i/rate, whatever the answers), each timed from its 201 to the moment a poller
(every 5 ms, by `_id` with `$in`, served by the `_id` index) sees the document.

Before the services start, their consumer groups are moved to the end of their topics:
the earlier parts left the generator's whole load on them, and this part measures the steady
state, not a catch-up over that backlog.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fourx_contracts.envelope import event_id, new_event
from fourx_platform.kafka import KafkaSettings
from fourx_platform.mongo import MongoSettings, open_client

SOURCE = "/services/issues"
DISTRICT = "bench-latency"
POLL_SECONDS = 0.005
DIRECTORY = {
    "version": 1,
    "streets": [{"street_id": "s1", "name": "东城街道"}],
    "communities": [{"community_id": "c1", "street_id": "s1", "name": "幸福社区"}],
    "departments": [],
    "people": [{"person_id": "p-office", "name": "赵主任", "roles": ["party_office"],
                "unit": {"kind": "district", "id": "-"}}],
}


@dataclass
class Latency:
    rate: float
    seconds: float
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    warmup: int = 0                     # the first commands, sent but not counted
    latencies_ms: list[float] = field(default_factory=list)
    to_kafka_ms: list[float] = field(default_factory=list)    # accepted → on the topic
    refusals: dict[str, int] = field(default_factory=dict)    # status → count

    @property
    def lost(self) -> int:
        return self.accepted - len(self.latencies_ms)

    def percentile(self, q: float, values: list[float] | None = None) -> float | None:
        values = self.latencies_ms if values is None else values
        if not values:
            return None
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    def note(self) -> str:
        p50, p99 = self.percentile(50), self.percentile(99)
        if p50 is None:
            return f"no command became visible ({self.sent} sent, {self.refused} refused)"
        return (f"{self.accepted}/{self.sent} accepted in {self.seconds:.0f}s at {self.rate:.0f}/s; "
                f"visible {len(self.latencies_ms)}, lost {self.lost}; p50={p50:.0f}ms p99={p99:.0f}ms "
                f"max={max(self.latencies_ms):.0f}ms mean={statistics.fmean(self.latencies_ms):.0f}ms; "
                f"accepted→on Kafka p50={self.percentile(50, self.to_kafka_ms) or 0:.0f}ms "
                f"p99={self.percentile(99, self.to_kafka_ms) or 0:.0f}ms (the issues outbox relay's share); "
                f"first {self.warmup} commands not counted; refused {self.refusals or 0} "
                "(issues + notify as processes; poller every 5 ms)")


def _client_options(kafka: KafkaSettings) -> dict:
    options = {"bootstrap_servers": kafka.bootstrap, "security_protocol": kafka.security_protocol}
    if kafka.sasl:
        options.update(sasl_mechanism=kafka.sasl_mechanism, sasl_plain_username=kafka.username,
                       sasl_plain_password=kafka.password.get_secret_value() if kafka.password else None)
    return options


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 (no public call for another topic's)
    return [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or ())]


async def move_to_end(admin: KafkaSettings, groups: dict[str, list[str]]) -> None:
    """Commit each group's offsets at the end of its topics (the admin may act for any group)."""
    for group, topics in groups.items():
        consumer = AIOKafkaConsumer(**_client_options(admin), group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = await _partitions(consumer, topics)
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            await consumer.commit({tp: await consumer.position(tp) for tp in partitions})
        finally:
            await consumer.stop()


def _start_services(infra, workdir: Path) -> list:
    from fourx_local import stack
    from fourx_local.process import free_port

    ports = {name: free_port() for name in ("issues", "notify")}
    env = {**os.environ, **stack.service_env(infra.kafka_bootstrap, infra.mongo_uri, 6,
                                            f"http://127.0.0.1:{ports['notify']}"),
           "ISSUES_CHECK_EVERY_SECONDS": "0", "NOTIFY_SCHEDULE_EVERY_SECONDS": "0",
           "ISSUES_DATABASE": "bench_latency_issues", "NOTIFY_DATABASE": "bench_latency_notify"}
    procs = []
    for name, port in ports.items():
        proc = stack.spawn_service(name, port, {**env, **infra.kafka_as(name).env()}, workdir / f"{name}.log")
        procs.append((name, port, proc))
    for name, port, proc in procs:
        stack.wait_healthy(f"http://127.0.0.1:{port}", proc)
    return procs


async def measure(infra, *, rate: float = 200.0, seconds: float = 60.0, drain_seconds: float = 30.0) -> Latency:
    from fourx_issues.entrypoints.consumers import TOPICS as ISSUES_TOPICS
    from fourx_local.tokens import issue_token
    from fourx_notify.entrypoints import consumers as notify_consumers

    admin = infra.kafka_as("admin")
    await move_to_end(admin, {"fourx-issues": list(ISSUES_TOPICS),
                              notify_consumers.EVENTS_GROUP: list(notify_consumers.READ_MODEL_TOPICS),
                              notify_consumers.REPORTS_GROUP: ["report-requested"]})
    workdir = Path(tempfile.mkdtemp(prefix="fourx-latency-"))
    procs = await asyncio.to_thread(_start_services, infra, workdir)
    # The first second's commands warm the connections and the services' first writes up.
    result = Latency(rate=rate, seconds=seconds, warmup=int(rate))
    client = open_client(MongoSettings(uri=infra.mongo_uri))
    events = client["bench_latency_notify"]["events"]
    try:
        await _publish_directory(admin)
        issues_url = f"http://127.0.0.1:{procs[0][1]}"
        token = issue_token("p-office", DISTRICT, ["party_office"])
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=issues_url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=30.0, limits=limits) as http:
            await _wait_for_directory(http)
            await _run(http, events, result, rate, seconds, drain_seconds, admin)
    finally:
        await client.close()
        for _name, _port, proc in procs:
            await asyncio.to_thread(proc.stop)
    return result


async def _publish_directory(admin: KafkaSettings) -> None:
    from fourx_platform.kafka import create_broker, publish_event

    broker = create_broker(admin, client_id="bench-latency")
    await broker.start()
    try:
        await publish_event(broker, new_event(type="directory-updated", source="/services/meetings",
                                              district=DISTRICT, data=DIRECTORY))
    finally:
        await broker.stop()


async def _wait_for_directory(http: httpx.AsyncClient, timeout: float = 60.0) -> None:
    """403 until the issues service has stored the district's directory (it comes over Kafka)."""
    deadline = time.monotonic() + timeout
    while (r := await http.get(f"/districts/{DISTRICT}/issues", params={"limit": 1})).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"issues never admitted the bench district: {r.status_code} {r.text[:200]}")
        await asyncio.sleep(0.2)


async def _run(http: httpx.AsyncClient, events, result: Latency, rate: float, seconds: float,
               drain_seconds: float, admin: KafkaSettings) -> None:
    accepted: dict[str, float] = {}     # event id → when its command was accepted
    accepted_at: dict[str, float] = {}  # the same, kept (for the Kafka share)
    on_kafka: dict[str, float] = {}     # event id → when it was read from the topic
    due = (date.today() + timedelta(days=30)).isoformat()
    total = int(rate * seconds)
    done = asyncio.Event()

    async def command(i: int) -> None:
        issue_id = f"lat-{i}"
        body = {"title": f"时延 {i}", "description": "bench", "source": {"kind": "community", "ref": "c1"},
                "responsible": {"kind": "community", "id": "c1"}, "due_date": due, "issue_id": issue_id}
        try:
            r = await http.post(f"/districts/{DISTRICT}/issues", json=body)
        except httpx.HTTPError:
            result.refused += 1
            return
        if i < result.warmup:
            return
        if r.status_code == 201:
            result.accepted += 1
            ident = event_id(SOURCE, "issue-raised", DISTRICT, issue_id)
            accepted[ident] = accepted_at[ident] = time.perf_counter()
        else:
            result.refused += 1
            result.refusals[str(r.status_code)] = result.refusals.get(str(r.status_code), 0) + 1

    async def poll() -> None:
        while not (done.is_set() and not accepted):
            if accepted:
                ids = list(accepted)
                async for doc in events.find({"_id": {"$in": ids}}, {"_id": 1}):
                    seen_at = time.perf_counter()
                    result.latencies_ms.append((seen_at - accepted.pop(doc["_id"])) * 1000)
            await asyncio.sleep(POLL_SECONDS)

    tap = AIOKafkaConsumer(**_client_options(admin), group_id=None, enable_auto_commit=False)
    await tap.start()
    partitions = await _partitions(tap, ["issue-raised"])
    tap.assign(partitions)
    await tap.seek_to_end(*partitions)

    async def read_topic() -> None:
        while True:
            batches = await tap.getmany(timeout_ms=50)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    ident = json.loads(record.value).get("id")
                    on_kafka.setdefault(ident, now)

    reader = asyncio.create_task(read_topic())
    poller = asyncio.create_task(poll())
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(command(i)))
        result.sent += 1
    await asyncio.gather(*tasks)
    done.set()
    try:
        await asyncio.wait_for(poller, drain_seconds)
    except TimeoutError:
        pass  # what is still pending counts as lost
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await tap.stop()
    result.to_kafka_ms = [(on_kafka[i] - t) * 1000 for i, t in accepted_at.items() if i in on_kafka]
