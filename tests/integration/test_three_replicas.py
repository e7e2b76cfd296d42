"""Three live replicas of each service over real Kafka and the store: one consumer group per
service shared by its three members, every replica's periodic jobs fired at the same moment.
What must hold: one bulletin per district and week, one delivery per recipient and channel,
the weekly stats exact (nothing counted twice), one supervision item per task, one
`meeting-scheduled` per month.

The replicas run in this process as separate service objects, each with its own broker
clients (producer, consumers in the group) and store client — not the session's services:
this test starts a Kafka and a store of its own, so no other member joins its groups."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from aiokafka.admin import AIOKafkaAdminClient
from fourx_issues.bootstrap import IssuesService, IssuesSettings
from fourx_local.infra import Infrastructure, provide
from fourx_local.process import free_port
from fourx_meetings.bootstrap import MeetingsService, MeetingsSettings
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import NotifyService, NotifySettings
from fourx_notify.entrypoints import consumers as notify_consumers
from fourx_notify.entrypoints import scheduler as notify_scheduler
from fourx_platform.clock import FixedClock
from fourx_platform.mongo import MongoSettings
from fourx_platform.outbound import OutboundPolicy

from tests.integration.meetings import flow
from tests.integration.test_report_stats import (
    DERIVED_ISSUES, EXPECTED_WITH_SUPERVISION, derived_issues, publish_stream)
from tests.support.kafka import EventTap, client_options, sleep_until

pytestmark = pytest.mark.integration

REPLICAS = 3
DISTRICT = "replicas-3"
WEEK = "2026-W48"
MONDAY_0805 = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)   # Monday 08:05 in Shanghai: W48's bulletin is due
TODAY = MONDAY_0805.date()
# The meetings test directory, with an email address for some people (the bulletin's channels).
DIRECTORY = copy.deepcopy(flow.DIRECTORY)
for _person in DIRECTORY["people"]:
    if _person["person_id"] in ("p-head", "p-org-east", "p-zhujian"):
        _person["channels"] = [{"kind": "email", "address": f"{_person['person_id']}@example.test"}]


class Mailbox:
    def __init__(self) -> None:
        self.received: Counter[tuple[str, str]] = Counter()   # (recipient, X-Fourx-Ref)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        from email import message_from_bytes, policy
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[(rcpt, str(msg["X-Fourx-Ref"]))] += 1
        return "250 OK"


@pytest.fixture(scope="module")
def own_infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    with provide(Path(tmp_path_factory.mktemp("replicas")), partitions=6) as infrastructure:
        yield infrastructure


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest_asyncio.fixture(scope="module")
async def replicas(own_infra: Infrastructure, mailbox) -> AsyncIterator[dict[str, list]]:
    mongo = MongoSettings(uri=own_infra.mongo_uri)
    outbound = OutboundPolicy(dev_mode=True)
    services: dict[str, list] = {"meetings": [], "issues": [], "notify": []}
    for _ in range(REPLICAS):
        services["meetings"].append(MeetingsService(
            own_infra.kafka_as("meetings"), mongo, MeetingsSettings(database="r3_meetings", schedule_every_seconds=0),
            outbound=outbound))
        services["issues"].append(IssuesService(
            own_infra.kafka_as("issues"), mongo, IssuesSettings(database="r3_issues", check_every_seconds=0),
            clock=FixedClock(TODAY)))
        services["notify"].append(NotifyService(
            own_infra.kafka_as("notify"), mongo, NotifySettings(
                database="r3_notify", schedule_every_seconds=0, catch_up_seconds=20, smtp_host="127.0.0.1",
                smtp_port=mailbox[1], retry_seconds=0.1, retry_max_seconds=0.4, delivery_every_seconds=0.1),
            outbound=outbound))
    everyone = [s for group in services.values() for s in group]
    await asyncio.gather(*(s.start() for s in everyone))
    try:
        yield services
    finally:
        await asyncio.gather(*(s.stop() for s in everyone), return_exceptions=True)


async def _members(infra: Infrastructure, group: str) -> int:
    admin = AIOKafkaAdminClient(**client_options(infra.kafka_as("admin")))
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        [described] = response.groups   # (error, group, state, protocol type, protocol, members, …)
        return len(described[5])
    finally:
        await admin.close()


async def test_three_replicas_of_each_service_one_bulletin_one_delivery_exact_stats(own_infra, replicas, mailbox):
    admin = own_infra.kafka_as("admin")
    meetings, notify = replicas["meetings"], replicas["notify"]
    async with EventTap(admin, ["issue-raised", "meeting-scheduled", "report-published", "notification-sent",
                                "directory-updated"]) as tap:
        # The directory through one meetings replica's API; the three notify replicas' read model
        # (one group) stores it once.
        transport = httpx.ASGITransport(app=meetings_app(meetings[0]))
        async with httpx.AsyncClient(transport=transport, base_url="http://meetings") as http:
            await flow.import_directory(http, DISTRICT, DIRECTORY)
        # Every meetings replica's scheduler fires at once: one activity day per month.
        created = await asyncio.gather(*(m.schedule_due() for m in meetings))
        assert sum(created) == 2, created
        await publish_stream(admin, DISTRICT)
        await tap.wait_for(lambda t: len(derived_issues(t, DISTRICT)) >= DERIVED_ISSUES, timeout=60)

        # Every group has its three members: the partitions are shared, not copied.
        assert await _members(own_infra, notify_consumers.EVENTS_GROUP) == REPLICAS
        # The read model holds every event before the Monday run (as the 08:00 schedule would find it).
        async def stored() -> bool:
            events = await notify[0].event_store().up_to(DISTRICT, TODAY)
            return {e.type for e in events} >= {"directory-updated", "interview-scheduled", "issue-raised"} \
                and len([e for e in events if e.type == "issue-raised"]) == 4 + DERIVED_ISSUES
        await sleep_until(stored, timeout=60)

        # The Monday run fires on all three notify replicas at the same moment: one claims it.
        claimed = await asyncio.gather(*(notify_scheduler.run_due(n, now=MONDAY_0805, districts=[DISTRICT])
                                         for n in notify))
        assert sorted(len(c) for c in claimed) == [0, 0, 1], claimed
        reports = await tap.wait_for(lambda t: t.events("report-published", DISTRICT), timeout=60)
        ref = reports[0]["data"]["report_id"]

        def final(t: EventTap) -> list[dict]:
            return [e for e in t.events("notification-sent", DISTRICT) if e["data"]["ref"] == ref]
        recipients = reports[0]["data"]["recipients"]
        assert recipients > 0
        await tap.wait_for(lambda t: len({(e["data"]["recipient_id"], e["data"]["channel"]) for e in final(t)})
                           >= recipients, timeout=60)
        await tap.settle(4.0)   # anything doubled would arrive now

    # One item per task, however many replicas consumed the meetings.
    assert len({e["data"]["issue_id"] for e in derived_issues(tap, DISTRICT)}) == DERIVED_ISSUES
    scheduled = Counter(e["data"]["meeting_id"] for e in tap.events("meeting-scheduled", DISTRICT))
    assert len(scheduled) == 2 and len({e["id"] for e in tap.events("meeting-scheduled", DISTRICT)}) == 2
    # One bulletin for the district and week, with the exact stats.
    published = tap.events("report-published", DISTRICT)
    assert len({e["id"] for e in published}) == 1 and {e["data"]["report_id"] for e in published} == {ref}
    assert published[0]["data"]["week"] == WEEK
    assert published[0]["data"]["stats"] == EXPECTED_WITH_SUPERVISION
    assert await notify[1].runtime.db["bulletins"].count_documents({"_id": {"$regex": f"^{DISTRICT}:"}}) == 1
    # One delivery per recipient and channel: on the topic and at the mail server.
    outcomes = Counter((e["data"]["recipient_id"], e["data"]["channel"]) for e in final(tap)
                       if e["data"]["status"] == "delivered")
    distinct = {(e["data"]["recipient_id"], e["data"]["channel"]): e["id"] for e in final(tap)}
    assert outcomes and len(distinct) == len({e["id"] for e in final(tap)}), final(tap)
    assert {e["data"]["status"] for e in final(tap)} == {"delivered"}
    mails = {rcpt: n for (rcpt, mail_ref), n in mailbox[0].received.items() if mail_ref == ref}
    assert mails and set(mails.values()) == {1}, mails
    assert len(mails) == sum(1 for (_r, channel) in outcomes if channel == "email")
