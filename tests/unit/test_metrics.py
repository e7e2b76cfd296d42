"""Metrics and readiness (issue 12), the parts without I/O: how long a partition's lag stood
still, which samples make a service not ready, the HTTP and DLQ counters, notify's counted
senders, and the exposition text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from fourx_notify.adapters.channels import SendFailed, SendRefused
from fourx_notify.adapters.metrics import NotifyMetrics
from fourx_platform.kafka import create_broker, KafkaSettings, subscribe_events
from fourx_platform.lag import LagTracker, Reading, consumer_groups
from fourx_platform.metrics import HttpMetrics, ServiceMetrics, _DlqScope
from fourx_platform.outbox import _event_time
from fourx_platform.readiness import Observations, OutboxBacklog, ReadinessSettings, problems
from prometheus_client.parser import text_string_to_metric_families

SETTINGS = ReadinessSettings(stuck_seconds=60, outbox_max_age_seconds=300, sample_seconds=10)
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def reading(committed: int, end: int, partition: int = 0) -> Reading:
    return Reading("fourx-issues", "meeting-held", partition, committed, end)


def test_lag_that_does_not_move_stalls_and_moving_or_none_resets_it():
    tracker = LagTracker()
    [first] = tracker.observe([reading(5, 9)], now=100.0)
    assert first.lag == 4 and first.stalled_seconds == 0.0          # first seen: no history yet
    [held] = tracker.observe([reading(5, 12)], now=170.0)
    assert held.lag == 7 and held.stalled_seconds == 70.0           # new records, same commit: still stalled
    [moved] = tracker.observe([reading(6, 12)], now=171.0)
    assert moved.stalled_seconds == 0.0                             # it moved: the clock starts again
    [later] = tracker.observe([reading(6, 12)], now=200.0)
    assert later.stalled_seconds == 29.0
    [done] = tracker.observe([reading(12, 12)], now=500.0)
    assert done.lag == 0 and done.stalled_seconds == 0.0            # no lag is never stalled
    [again] = tracker.observe([reading(12, 13)], now=501.0)
    assert again.stalled_seconds == 1.0       # counted from the last sample without lag: one interval at most early


def test_a_partition_missing_from_a_sample_is_forgotten():
    tracker = LagTracker()
    tracker.observe([reading(5, 9, 0), reading(1, 2, 1)], now=0.0)
    tracker.observe([reading(1, 2, 1)], now=10.0)
    rows = tracker.observe([reading(5, 9, 0), reading(1, 2, 1)], now=20.0)
    assert [r.stalled_seconds for r in rows] == [0.0, 20.0]


def lag(stalled: float, lag_: int = 3):
    tracker = LagTracker()
    tracker.observe([reading(10, 10 + lag_)], now=0.0)
    return tracker.observe([reading(10, 10 + lag_)], now=stalled)


def test_a_consumer_stalled_past_the_bound_is_a_problem_and_one_below_is_not():
    assert problems(Observations(lags=lag(59.0)), SETTINGS, NOW) == []
    [problem] = problems(Observations(lags=lag(61.0)), SETTINGS, NOW)
    assert problem["check"] == "consumer-stuck"
    assert (problem["group"], problem["topic"], problem["partition"], problem["lag"]) == (
        "fourx-issues", "meeting-held", 0, 3)
    assert "fourx-issues" in problem["why"] and "meeting-held[0]" in problem["why"]


def test_an_old_pending_outbox_event_is_a_problem_and_an_empty_outbox_never_is():
    fresh = OutboxBacklog("meetings", 4, NOW - timedelta(seconds=10))
    old = OutboxBacklog("activity_days", 2, NOW - timedelta(seconds=301))
    empty = OutboxBacklog("directories", 0, None)
    assert problems(Observations(outbox=[fresh, empty]), SETTINGS, NOW) == []
    [problem] = problems(Observations(outbox=[fresh, old, empty]), SETTINGS, NOW)
    assert problem["check"] == "outbox-old" and problem["collection"] == "activity_days"
    assert problem["pending"] == 2 and problem["oldest_age_seconds"] == 301.0
    assert empty.age_seconds(NOW) == 0.0


def test_no_sample_yet_is_no_problem():
    assert problems(Observations(), SETTINGS, NOW) == []


@pytest.mark.parametrize("stored", ["2026-11-30T07:59:00.000000Z", "2026-11-30T07:59:00+00:00",
                                    datetime(2026, 11, 30, 7, 59), datetime(2026, 11, 30, 8, 59, tzinfo=UTC) - timedelta(hours=1)])
def test_an_outbox_entry_time_is_read_as_utc_whatever_way_it_was_stored(stored):
    assert _event_time({"time": stored}) == datetime(2026, 11, 30, 7, 59, tzinfo=UTC)


def test_an_outbox_entry_without_a_readable_time_has_none():
    assert _event_time({}) is None and _event_time({"time": "soon"}) is None


def metrics(**observed) -> ServiceMetrics:
    return ServiceMetrics("issues", observed=lambda: Observations(**observed), ready=lambda: True)


def exposition(m: ServiceMetrics) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(m.render().decode())}


def test_the_samples_are_exposed_with_their_ages_computed_at_scrape_time():
    m = metrics(lags=lag(42.0), outbox=[OutboxBacklog("items", 3, datetime.now(UTC) - timedelta(seconds=90))])
    families = exposition(m)
    [pending] = families["fourx_outbox_pending"]
    assert pending.labels == {"collection": "items"} and pending.value == 3
    [age] = families["fourx_outbox_oldest_pending_age_seconds"]
    assert 89 <= age.value <= 100
    [lag_] = families["fourx_consumer_lag"]
    assert lag_.labels == {"group": "fourx-issues", "topic": "meeting-held", "partition": "0"} and lag_.value == 3
    assert families["fourx_consumer_lag_stalled_seconds"][0].value == 42.0
    assert families["fourx_ready"][0].value == 1.0
    # FastStream's Kafka metrics are on the same registry, empty until records flow.
    assert "faststream_received_messages" in families and "faststream_published_messages" in families


async def test_http_requests_are_counted_by_route_template_and_status():
    m = metrics()
    app = FastAPI()

    @app.get("/districts/{district}/items/{item_id}")
    async def item(district: str, item_id: str) -> dict:
        return {}

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("a bug")

    app.add_middleware(HttpMetrics, metrics=lambda: m)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for item_id in ("i-1", "i-2"):
            assert (await client.get(f"/districts/d-1/items/{item_id}")).status_code == 200
        assert (await client.get("/no/such/path")).status_code == 404
        assert (await client.get("/boom")).status_code == 500
    requests = {(s.labels["route"], s.labels["status"]): s.value for s in exposition(m)["fourx_http_requests"]
                if s.name.endswith("_total")}
    assert requests == {("/districts/{district}/items/{item_id}", "200"): 2.0, ("unmatched", "404"): 1.0,
                        ("/boom", "500"): 1.0}
    counts = [s for s in exposition(m)["fourx_http_request_duration_seconds"] if s.name.endswith("_count")
              and s.labels["route"] == "/districts/{district}/items/{item_id}"]
    assert counts[0].value == 2.0


async def test_a_dlq_publish_is_counted_by_topic_group_and_error_class_and_nothing_else_is():
    m = metrics()
    published = []

    async def call_next(cmd) -> None:
        published.append(cmd)

    def cmd(destination: str, headers: dict | None) -> SimpleNamespace:
        return SimpleNamespace(destination=destination, headers=headers)

    dlq_headers = {"dlq-topic": "meeting-held", "dlq-group": "fourx-issues",
                   "dlq-error-class": "fourx_platform.errors.Invalid"}
    scope = _DlqScope(None, context=None, metrics=m)
    await scope.publish_scope(call_next, cmd("meeting-held.dlq", dlq_headers))
    await scope.publish_scope(call_next, cmd("meeting-held.dlq", dlq_headers))
    await scope.publish_scope(call_next, cmd("issue-raised", {"content-type": "application/cloudevents+json"}))
    await scope.publish_scope(call_next, cmd("issue-raised", None))
    assert len(published) == 4
    [sample] = [s for s in exposition(m)["fourx_dlq_records"] if s.name.endswith("_total")]
    assert sample.labels == {"topic": "meeting-held", "group": "fourx-issues",
                             "error_class": "fourx_platform.errors.Invalid"} and sample.value == 2.0


async def test_a_failed_dlq_publish_is_not_counted():
    m = metrics()

    async def refused(cmd) -> None:
        raise ConnectionError("broker away")

    scope = _DlqScope(None, context=None, metrics=m)
    with pytest.raises(ConnectionError):
        await scope.publish_scope(refused, SimpleNamespace(destination="meeting-held.dlq",
                                                           headers={"dlq-topic": "meeting-held"}))
    assert not [s for s in exposition(m)["fourx_dlq_records"] if s.name.endswith("_total")]


def test_the_groups_observed_are_those_the_subscribers_join():
    broker = create_broker(KafkaSettings(), client_id="t")

    async def handler(received) -> None: ...

    subscribe_events(broker, ["meeting-held", "activity-held"], group_id="fourx-issues", handler=handler)
    subscribe_events(broker, ["report-requested"], group_id="fourx-issues", handler=handler)
    subscribe_events(broker, ["issue-raised"], group_id="fourx-issues-other", handler=handler)
    assert consumer_groups(broker) == {"fourx-issues": ("activity-held", "meeting-held", "report-requested"),
                                       "fourx-issues-other": ("issue-raised",)}


class Sender:
    def __init__(self, error: Exception | None = None):
        self.error = error

    async def send(self, delivery: dict) -> None:
        if self.error is not None:
            raise self.error


async def test_notify_counts_each_attempt_by_channel_and_outcome():
    m = metrics()
    notify = NotifyMetrics(m.registry, channels=("email", "webhook"))
    senders = notify.counted({"email": Sender(), "webhook": Sender(SendFailed("503 from the robot"))})
    refusing = notify.counted({"webhook": Sender(SendRefused("not allowlisted"))})["webhook"]
    crashing = notify.counted({"email": Sender(KeyError("bug"))})["email"]
    await senders["email"].send({})
    for sender, error in ((senders["webhook"], SendFailed), (refusing, SendRefused), (crashing, KeyError)):
        with pytest.raises(error):
            await sender.send({})
    notify.bulletins.inc()
    families = exposition(m)
    attempts = {(s.labels["channel"], s.labels["outcome"]): s.value
                for s in families["fourx_notify_delivery_attempts"] if s.name.endswith("_total")}
    assert attempts[("email", "delivered")] == 1 and attempts[("webhook", "failed")] == 1
    assert attempts[("webhook", "refused")] == 1 and attempts[("email", "error")] == 1
    assert attempts[("webhook", "delivered")] == 0   # every series exists from the start
    assert [s.value for s in families["fourx_notify_bulletins"] if s.name.endswith("_total")] == [1.0]
