"""notify's own metrics, on the service's registry (`fourx_platform.metrics`):
- `fourx_notify_delivery_attempts_total{channel,outcome}`: each try of a channel —
  `delivered`, `failed` (the other side did not take it; retried with backoff until the
  bound), `refused` (the outbound rules refuse the target: final), `error` (a sender bug);
- `fourx_notify_bulletins_total`: bulletins generated (a redelivered request regenerates
  the same bulletin, and counts again).
Counted at the channel, by wrapping each sender: the delivery worker is not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from fourx_notify.adapters.channels import SendFailed, Sender, SendRefused

OUTCOMES = ("delivered", "failed", "refused", "error")


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry, channels: tuple[str, ...]):
        self.delivery_attempts = Counter("fourx_notify_delivery_attempts", "Delivery attempts by channel and outcome",
                                         ["channel", "outcome"], registry=registry)
        self.bulletins = Counter("fourx_notify_bulletins", "Bulletins generated", registry=registry)
        for channel in channels:  # every series from 0, so a rate exists before the first failure
            for outcome in OUTCOMES:
                self.delivery_attempts.labels(channel, outcome)

    def counted(self, senders: Mapping[str, Sender]) -> dict[str, Sender]:
        return {channel: CountedSender(sender, channel, self.delivery_attempts) for channel, sender in senders.items()}


class CountedSender:
    def __init__(self, sender: Sender, channel: str, attempts: Counter):
        self._sender = sender
        self._channel = channel
        self._attempts = attempts

    async def send(self, delivery: dict[str, Any]) -> None:
        outcome = "error"
        try:
            await self._sender.send(delivery)
            outcome = "delivered"
        except SendRefused:
            outcome = "refused"
            raise
        except SendFailed:
            outcome = "failed"
            raise
        finally:
            self._attempts.labels(self._channel, outcome).inc()
