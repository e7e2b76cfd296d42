"""Who may produce what: the catalog's producer column (`shared/spec/events.md`) in code, and
the checks a consumer makes on the envelope before it trusts a record.

Invariant: a record is acted on only if its CloudEvent `source` is the producer the catalog
names for its topic and its `time` is plausible. This is a consistency check, not a proof of
origin — a `source` is a string any writer can type. What binds a topic to its producer is
the broker: Kafka authentication and ACLs (`fourx_platform.kafka_acl`) let only the owning
service's principal write the topic, so a record that passed the ACL *and* claims the right
source came from that service (or from an operator with the admin principal).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fourx_contracts.envelope import CloudEvent, InvalidEvent
from fourx_contracts.events import TOPICS

# service → the CloudEvent `source` it stamps on what it publishes
SERVICE_SOURCES: dict[str, str] = {
    "meetings": "/services/meetings",
    "issues": "/services/issues",
    "notify": "/services/notify",
}

# topic → producing service; the catalog's producer column. `report-requested` is "anyone
# (ops, scheduler, tests)": any source is accepted there, and who may write it is decided by
# the broker's ACLs (notify's scheduler, the ops principal, the admin) — see access.py.
PRODUCERS: dict[str, str | None] = {
    "directory-updated": "meetings",
    "meeting-scheduled": "meetings",
    "topic-proposed": "meetings",
    "topic-selected": "meetings",
    "meeting-held": "meetings",
    "activity-held": "meetings",
    "suggestion-made": "meetings",
    "suggestion-decided": "meetings",
    "issue-raised": "issues",
    "progress-recorded": "issues",
    "issue-resolved": "issues",
    "issue-overdue": "issues",
    "inspection-held": "issues",
    "notice-issued": "issues",
    "interview-scheduled": "issues",
    "supervision-snapshot": "issues",
    "report-requested": None,
    "report-published": "notify",
    "notification-sent": "notify",
}
assert set(PRODUCERS) == set(TOPICS), "every catalog topic names its producer"

# An event's `time` is when it happened. Before 2000 no fourx event can have happened; more
# than a day ahead of this consumer's clock is not a clock skew but a forged or broken
# producer (a day leaves room for any sane skew). Out of that window → DLQ.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_FUTURE = timedelta(days=1)


def topics_of(service: str) -> tuple[str, ...]:
    """The topics `service` owns (may write)."""
    return tuple(t for t, producer in PRODUCERS.items() if producer == service)


def expected_source(topic: str) -> str | None:
    """The `source` an event on `topic` must carry, or None where anyone may produce it."""
    producer = PRODUCERS.get(topic)
    return None if producer is None else SERVICE_SOURCES[producer]


def check_provenance(envelope: CloudEvent, topic: str, now: datetime | None = None) -> None:
    """InvalidEvent (→ DLQ) if the event's source or time cannot be right for `topic`."""
    wanted = expected_source(topic)
    if wanted is not None and envelope.source != wanted:
        raise InvalidEvent(f"source {envelope.source!r} is not the producer of {topic!r} ({wanted!r})")
    now = now or datetime.now(UTC)
    if envelope.time < EARLIEST_TIME:
        raise InvalidEvent(f"time {envelope.time.isoformat()} is implausible: before {EARLIEST_TIME.date()}")
    if envelope.time > now + MAX_FUTURE:
        raise InvalidEvent(f"time {envelope.time.isoformat()} is implausible: more than a day ahead of now")
