"""The one failure policy of every fourx consumer (contract v1.1, "Failures and the DLQ").

Two kinds of failure, told apart here and nowhere else:
- *transient*: the store or the broker is unreachable, a write lost a race. Waiting helps, so
  it is retried with exponential backoff and jitter for as long as it lasts, and never parked.
- *permanent*: anything else (a domain rule refused the event, a bug). Retrying rarely helps,
  so it is tried `max_attempts` times in all and then handed back to the caller, who moves the
  record to `<topic>.dlq`. The partition then moves on: one bad record delays the other
  districts on its partition by at most `bound_seconds()`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import stamina
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

WRITE_CONFLICT = 112


class TransientError(Exception):
    """Raised by a service for a failure that waiting cures (e.g. an optimistic-concurrency
    conflict that outlasted its own retries)."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | ConnectionFailure | ConnectionError | TimeoutError
                  | KafkaConnectionError | KafkaTimeoutError):
        return True  # ConnectionFailure covers AutoReconnect, NetworkTimeout, server selection
    if isinstance(exc, KafkaError):
        return bool(getattr(exc, "retriable", False))
    if isinstance(exc, OperationFailure) and exc.code == WRITE_CONFLICT:
        return True
    if isinstance(exc, PyMongoError):
        return exc.has_error_label("RetryableWriteError") or exc.has_error_label("TransientTransactionError")
    return False


class ConsumerSettings(BaseSettings):
    """`FOURX_CONSUMER_MAX_ATTEMPTS`, `FOURX_CONSUMER_RETRY_SECONDS`, … in the environment."""

    model_config = SettingsConfigDict(env_prefix="FOURX_CONSUMER_", extra="ignore")

    max_attempts: int = 3               # tries of a permanently failing record before its DLQ
    retry_seconds: float = 0.2          # first backoff; doubles per attempt
    retry_max_seconds: float = 5.0      # longest backoff of a transient failure
    # A transient failure is retried in place this long, then the record is handed back to
    # the broker client unacknowledged (redelivered from its offset), so a long store outage
    # never outlives the consumer's max.poll.interval and costs its group membership.
    transient_window_seconds: float = 240.0


@dataclass(frozen=True)
class GaveUp:
    """A permanent failure that outlasted its attempts: what the DLQ headers report."""

    error: BaseException
    attempts: int

    @property
    def message(self) -> str:
        return str(self.error) or repr(self.error)

    @property
    def error_class(self) -> str:
        return f"{type(self.error).__module__}.{type(self.error).__qualname__}"


@dataclass(frozen=True)
class FailurePolicy:
    max_attempts: int = 3
    retry_seconds: float = 0.2
    retry_max_seconds: float = 5.0
    transient_window_seconds: float = 240.0

    @classmethod
    def from_settings(cls, settings: ConsumerSettings | None = None) -> "FailurePolicy":
        s = settings or ConsumerSettings()
        return cls(max(1, s.max_attempts), s.retry_seconds, s.retry_max_seconds, s.transient_window_seconds)

    def backoff(self, failures: int) -> float:
        """Exponential with full jitter on top: replicas retrying together don't stampede."""
        base = min(self.retry_seconds * 2 ** (failures - 1), self.retry_max_seconds)
        return base + random.uniform(0, base)

    def bound_seconds(self) -> float:
        """The longest a permanently failing record waits in backoff before its DLQ."""
        return sum(2 * min(self.retry_seconds * 2 ** (n - 1), self.retry_max_seconds)
                   for n in range(1, self.max_attempts))

    async def until_transient_passes(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action`, retrying transient failures only (stamina: exponential backoff,
        jitter); a permanent failure is raised at once."""
        async for attempt in stamina.retry_context(
            on=is_transient, attempts=None, timeout=self.transient_window_seconds,
            wait_initial=self.retry_seconds, wait_max=self.retry_max_seconds, wait_jitter=self.retry_seconds,
        ):
            with attempt:
                await action()

    async def apply(self, action: Callable[[], Awaitable[None]]) -> GaveUp | None:
        """Apply a record: None when it was applied, `GaveUp` when it failed permanently
        `max_attempts` times. A transient failure longer than the window is raised."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.until_transient_passes(action)
                return None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    raise
                if attempt == self.max_attempts:
                    return GaveUp(exc, attempt)
                await asyncio.sleep(self.backoff(attempt))
        raise AssertionError("unreachable")
