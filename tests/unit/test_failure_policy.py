"""The consumer failure policy, without a broker: what is transient, how often a permanent
failure is tried, how long it may hold a partition, and which records are not events."""

from __future__ import annotations

import json

import pytest
from aiokafka.errors import KafkaConnectionError, NotLeaderForPartitionError, RecordTooLargeError
from fourx_contracts.envelope import InvalidEvent, new_event
from fourx_platform.failures import FailurePolicy, GaveUp, TransientError, is_transient
from fourx_platform.kafka import Tombstone, decode_record
from pymongo.errors import AutoReconnect, DuplicateKeyError, OperationFailure, ServerSelectionTimeoutError

from tests.support.flaky import Flaky

FAST = FailurePolicy(max_attempts=3, retry_seconds=0.001, retry_max_seconds=0.002, transient_window_seconds=5)


@pytest.mark.parametrize("exc, transient", [
    (ServerSelectionTimeoutError("store away"), True),
    (AutoReconnect("reconnecting"), True),
    (OperationFailure("conflict", code=112), True),
    (KafkaConnectionError("broker away"), True),
    (NotLeaderForPartitionError(), True),
    (TransientError("optimistic lock lost five times"), True),
    (ConnectionResetError(), True),
    (DuplicateKeyError("E11000"), False),
    (RecordTooLargeError(), False),
    (ValueError("bad title"), False),
    (KeyError("issue_id"), False),
])
def test_transient_or_permanent(exc, transient):
    assert is_transient(exc) is transient


async def test_transient_failures_are_retried_past_the_attempt_bound():
    action = Flaky(*[AutoReconnect("away")] * 7)
    assert await FAST.apply(action) is None
    assert action.calls == 8


async def test_a_permanent_failure_gives_up_after_max_attempts():
    action = Flaky(*[ValueError("refused")] * 10)
    gave_up = await FAST.apply(action)
    assert isinstance(gave_up, GaveUp) and gave_up.attempts == 3 and action.calls == 3
    assert gave_up.message == "refused" and gave_up.error_class == "builtins.ValueError"


async def test_a_permanent_failure_that_then_passes_is_applied():
    action = Flaky(ValueError("once"))
    assert await FAST.apply(action) is None and action.calls == 2


async def test_a_transient_failure_longer_than_the_window_is_raised_not_parked():
    policy = FailurePolicy(max_attempts=3, retry_seconds=0.01, retry_max_seconds=0.01, transient_window_seconds=0.1)
    with pytest.raises(AutoReconnect):
        await policy.apply(Flaky(*[AutoReconnect("away")] * 1000))


def test_the_bound_is_the_sum_of_the_longest_backoffs():
    policy = FailurePolicy(max_attempts=3, retry_seconds=0.2, retry_max_seconds=5.0)
    assert policy.bound_seconds() == pytest.approx(2 * (0.2 + 0.4))
    assert all(0.2 <= policy.backoff(1) <= 0.4 for _ in range(50))
    assert FailurePolicy(max_attempts=1).bound_seconds() == 0


def test_policy_from_the_environment(monkeypatch):
    monkeypatch.setenv("FOURX_CONSUMER_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("FOURX_CONSUMER_RETRY_SECONDS", "0.05")
    policy = FailurePolicy.from_settings()
    assert policy.max_attempts == 5 and policy.retry_seconds == 0.05


def _directory_event(district: str) -> bytes:
    return new_event(type="directory-updated", source="/services/meetings", district=district, data={
        "version": 1, "streets": [], "communities": [], "departments": [], "people": []}).to_json_bytes()


def test_a_tombstone_on_the_compacted_topic_is_not_an_event():
    with pytest.raises(Tombstone):
        decode_record("directory-updated", None, b"d1")
    with pytest.raises(InvalidEvent, match="no value"):
        decode_record("meeting-held", None, b"d1")


def test_a_record_keyed_for_another_district_is_refused():
    with pytest.raises(InvalidEvent, match="not the event's district"):
        decode_record("directory-updated", _directory_event("d2"), b"d1")
    envelope, _ = decode_record("directory-updated", _directory_event("d1"), b"d1")
    assert envelope.district == "d1"
    assert json.loads(_directory_event("d1"))["district"] == "d1"
