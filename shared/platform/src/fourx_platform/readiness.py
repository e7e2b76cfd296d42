"""Is this service doing its work, beyond "the store and Kafka answer"?

Two rules, with bounds from the environment (`ReadinessSettings`):
- a consumer group has a partition whose lag has not moved for `FOURX_READY_STUCK_SECONDS`
  (a consumer held on a record: a transient failure is retried in place for up to
  `FOURX_CONSUMER_TRANSIENT_WINDOW_SECONDS`, 240 s by default, holding its partition; or no
  consumer at all);
- the outbox's oldest pending event is older than `FOURX_READY_OUTBOX_MAX_AGE_SECONDS` (the
  relay cannot publish: the broker refuses, or nothing runs it).

The `Observer` samples both every `FOURX_READY_SAMPLE_SECONDS` in the background (the same
samples feed `/metrics`); `problems` judges the last sample. Pure except for `Observer.sample`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.asynchronous.collection import AsyncCollection

from fourx_platform.lag import LagSampler, LagTracker, PartitionLag
from fourx_platform.outbox import pending_summary


class ReadinessSettings(BaseSettings):
    """`FOURX_READY_STUCK_SECONDS`, `FOURX_READY_OUTBOX_MAX_AGE_SECONDS`, `FOURX_READY_SAMPLE_SECONDS`."""

    model_config = SettingsConfigDict(env_prefix="FOURX_READY_", extra="ignore")

    # Above the longest honest pause of a partition: a Monday run's batch of bulletin requests
    # takes a minute or two before its offsets are committed.
    stuck_seconds: float = 120.0
    # The relay publishes within a second; minutes mean the broker refuses it or nothing runs it.
    outbox_max_age_seconds: float = 300.0
    # How often lag and outbox are sampled (read each round); 0 or less: never (no readiness rules).
    sample_seconds: float = 10.0


@dataclass(frozen=True)
class OutboxBacklog:
    collection: str
    pending: int
    oldest: datetime | None   # the CloudEvent `time` of the oldest pending entry

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest is not None else 0.0


@dataclass(frozen=True)
class Observations:
    lags: Sequence[PartitionLag] = ()
    outbox: Sequence[OutboxBacklog] = ()
    sampled_at: datetime | None = None   # when the last sample ended (None: none yet)


def problems(observed: Observations, settings: ReadinessSettings, now: datetime) -> list[dict[str, Any]]:
    """What makes the service not ready, one entry per stuck partition or old outbox."""
    found: list[dict[str, Any]] = []
    for p in observed.lags:
        if p.lag > 0 and p.stalled_seconds >= settings.stuck_seconds:
            found.append({"check": "consumer-stuck", "group": p.group, "topic": p.topic, "partition": p.partition,
                          "lag": p.lag, "stalled_seconds": round(p.stalled_seconds, 1),
                          "why": f"{p.group} has not moved on {p.topic}[{p.partition}] for "
                                 f"{p.stalled_seconds:.0f}s with {p.lag} records behind"})
    for backlog in observed.outbox:
        age = backlog.age_seconds(now)
        if backlog.pending and age >= settings.outbox_max_age_seconds:
            found.append({"check": "outbox-old", "collection": backlog.collection, "pending": backlog.pending,
                          "oldest_age_seconds": round(age, 1),
                          "why": f"{backlog.collection}: oldest of {backlog.pending} pending events is "
                                 f"{age:.0f}s old"})
    return found


class Observer:
    """Samples the service's consumer groups and outbox collections (asked of the runtime at
    every round: subscribers and relays are added after the runtime is built)."""

    def __init__(self, sampler: LagSampler, groups: Callable[[], Mapping[str, Sequence[str]]],
                 collections: Callable[[], Sequence[AsyncCollection]]):
        self._sampler = sampler
        self._groups = groups
        self._collections = collections
        self._tracker = LagTracker()
        self.latest = Observations()

    async def sample(self) -> None:
        """One round. Each half keeps its last value when it fails (the store or the broker is
        away: /health reports those itself); the first failure is raised after."""
        lags, outbox, failure = self.latest.lags, self.latest.outbox, None
        try:
            outbox = [OutboxBacklog(c.name, *await pending_summary(c)) for c in self._collections()]
        except Exception as exc:
            failure = exc
        try:
            lags = self._tracker.observe(await self._sampler.sample(self._groups()), time.monotonic())
        except Exception as exc:
            failure = failure or exc
        self.latest = Observations(lags, outbox, datetime.now(UTC))
        if failure is not None:
            raise failure

    async def close(self) -> None:
        await self._sampler.close()

