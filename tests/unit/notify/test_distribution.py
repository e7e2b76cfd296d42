from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from fourx_notify.adapters.channels import SendFailed, SendRefused
from fourx_notify.adapters.deliveries import DELIVERED, FAILED
from fourx_notify.domain.distribution import (
    addressed,
    backoff_seconds,
    bulletin_recipients,
    channels_of,
    delivery_key,
    due_bulletin,
    street_of,
)
from fourx_notify.service_layer.delivery import attempt
from fourx_notify.service_layer.handlers import delivery_docs

from tests.unit.notify.sample import DIRECTORY

PEOPLE = {p["person_id"]: p for p in DIRECTORY["people"]}
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_recipients_by_role_not_community_secretaries():
    assert [p["person_id"] for p in bulletin_recipients(DIRECTORY)] == ["p-mz", "p-office", "p-s1-sec", "p-s2-org"]


def test_channels_from_preferences_always_with_the_inbox():
    assert [c.kind for c in channels_of(PEOPLE["p-s1-sec"])] == ["email", "webhook", "inbox"]
    assert [c.kind for c in channels_of(PEOPLE["p-s2-org"])] == ["inbox"]   # in_app = inbox; sms not sendable
    assert [c.kind for c in channels_of(PEOPLE["p-mz"])] == ["inbox"]       # none given: the inbox


def test_idempotency_key_per_recipient_channel_and_source():
    assert delivery_key("p", "email", "r") == delivery_key("p", "email", "r")
    assert len({delivery_key("p", "email", "r"), delivery_key("p", "inbox", "r"), delivery_key("q", "email", "r"),
                delivery_key("p", "email", "r2")}) == 4
    docs = delivery_docs(district="d", person=PEOPLE["p-s1-sec"], ref="d:2026-W48", version="h", kind="bulletin",
                         subject="s", body="b", html="<p>", correlationid=None, now=NOW)
    again = delivery_docs(district="d", person=PEOPLE["p-s1-sec"], ref="d:2026-W48", version="h", kind="bulletin",
                          subject="s", body="b", html="<p>", correlationid=None, now=NOW)
    assert [d["_id"] for d in docs] == [d["_id"] for d in again]
    inbox = docs[-1]
    assert inbox["status"] == DELIVERED and inbox["_outbox"][0]["data"]["status"] == "delivered"


def test_street_and_leaders():
    assert street_of(PEOPLE["p-s1-sec"], DIRECTORY) == "s1"
    assert street_of(PEOPLE["p-c1"], DIRECTORY) == "s1"
    assert street_of(PEOPLE["p-mz"], DIRECTORY) is None
    people = addressed(["p-c1"], {"kind": "community", "id": "c1"}, DIRECTORY)
    assert [p["person_id"] for p in people] == ["p-c1"]
    people = addressed(["p-c1", None], {"kind": "street", "id": "s1"}, DIRECTORY)
    assert [p["person_id"] for p in people] == ["p-c1", "p-s1-sec"]


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_seconds(n, 2, 10) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]


def test_weekly_run_is_monday_0800_shanghai_for_the_week_before():
    # Monday 2026-11-30 07:59 Shanghai = 23:59 UTC Sunday: the run of the 23rd is the latest.
    run, week = due_bulletin(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    assert (run, week) == (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W47")
    run, week = due_bulletin(datetime(2026, 11, 30, 0, 0, tzinfo=UTC))
    assert (run, week) == (datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "2026-W48")


class FakeRepo:
    def __init__(self):
        self.updates = []

    async def record_attempt(self, key, fields, outgoing):
        self.updates.append((fields, [e.data for e in outgoing]))


class Refusing:
    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0

    async def send(self, delivery):
        self.calls += 1
        if self.calls <= self.failures:
            raise SendFailed("451 try later")


SETTINGS = SimpleNamespace(max_attempts=3, retry_seconds=1.0, retry_max_seconds=60.0)
DELIVERY = {"_id": "k", "district": "d", "recipient_id": "p", "channel": "email", "ref": "r", "attempts": 0}


async def test_attempts_retry_then_deliver_once():
    repo, sender = FakeRepo(), Refusing(2)
    delivery = dict(DELIVERY)
    outcomes = []
    for _ in range(3):
        outcomes.append(await attempt(delivery, {"email": sender}, repo, SETTINGS, now=lambda: NOW))
        delivery["attempts"] = repo.updates[-1][0]["attempts"]
    assert outcomes == ["retry", "retry", DELIVERED]
    assert [u[0].get("next_attempt_at") for u in repo.updates[:2]] == [
        datetime(2026, 11, 30, 0, 0, 1, tzinfo=UTC), datetime(2026, 11, 30, 0, 0, 2, tzinfo=UTC)]
    assert repo.updates[-1][1][0]["status"] == "delivered" and repo.updates[-1][1][0]["attempts"] == 3


async def test_attempts_end_failed_at_the_bound():
    repo, sender = FakeRepo(), Refusing(99)
    delivery = dict(DELIVERY, attempts=2)
    assert await attempt(delivery, {"email": sender}, repo, SETTINGS, now=lambda: NOW) == FAILED
    assert repo.updates[-1][1] == [{"notification_id": "k", "recipient_id": "p", "channel": "email", "ref": "r",
                                    "status": "failed", "attempts": 3}]


def test_one_delivery_per_target_and_still_one_per_target_when_asked_again():
    person = {"person_id": "p", "channels": [
        {"kind": "webhook", "url": "https://a.example.org/1"}, {"kind": "webhook", "url": "https://a.example.org/2"},
        {"kind": "email", "address": "x@example.org"}, {"kind": "email", "address": "y@example.org"},
        {"kind": "webhook", "url": "https://a.example.org/1"}]}
    assert [(c.kind, c.target) for c in channels_of(person)] == [
        ("webhook", "https://a.example.org/1"), ("webhook", "https://a.example.org/2"),
        ("email", "x@example.org"), ("email", "y@example.org"), ("inbox", "")]
    make = lambda: delivery_docs(district="d", person=person, ref="r", version="h", kind="bulletin",  # noqa: E731
                                 subject="s", body="b", html=None, correlationid=None, now=NOW)
    docs = make()
    assert len({d["_id"] for d in docs}) == 5
    assert [d["_id"] for d in make()] == [d["_id"] for d in docs]
    # The inbox keeps the key it had before targets were part of it (signed items keep their ids).
    assert delivery_key("p", "inbox", "r#h") == docs[-1]["_id"]


class PolicyRefuses:
    def __init__(self):
        self.calls = 0

    async def send(self, delivery):
        self.calls += 1
        raise SendRefused("webhook 地址指向回环地址，不允许发送")


async def test_a_target_the_rules_refuse_fails_at_the_first_attempt():
    repo, sender = FakeRepo(), PolicyRefuses()
    delivery = dict(DELIVERY, channel="webhook")
    assert await attempt(delivery, {"webhook": sender}, repo, SETTINGS, now=lambda: NOW) == FAILED
    fields, events = repo.updates[-1]
    assert fields["status"] == FAILED and fields["last_error"].startswith("目标被安全策略拒绝：webhook 地址指向回环地址")
    assert events[0]["status"] == "failed" and events[0]["attempts"] == 1 and sender.calls == 1
