"""Sending what is due: one attempt per leased delivery, exponential backoff, a bound.

Safe with several replicas: a delivery is leased (conditional update) before its attempt,
so only one replica tries it at a time; a replica that dies mid-attempt loses its lease and
another tries again after it expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fourx_platform.loops import every

from fourx_notify.adapters.channels import SendFailed, Sender, SendRefused
from fourx_notify.adapters.deliveries import DELIVERED, FAILED, DeliveryRepository
from fourx_notify.domain.distribution import backoff_seconds
from fourx_notify.service_layer.handlers import delivery_texts, outcome_event

log = structlog.get_logger("fourx.notify.delivery")


async def attempt(delivery: dict[str, Any], senders: Mapping[str, Sender], repo: DeliveryRepository,
                  settings: Any, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """One try; records the outcome (and its `notification-sent` when final). Returns the status."""
    attempts = int(delivery.get("attempts", 0)) + 1
    sender = senders.get(delivery["channel"])
    error: str | None = None
    final = False
    try:
        if sender is None:
            raise SendFailed(f"no sender for channel {delivery['channel']!r}")
        await sender.send(delivery)
    except SendRefused as exc:  # the outbound rules refuse the target: no try will do better
        error, final = f"目标被安全策略拒绝：{exc}", True
    except SendFailed as exc:
        error = str(exc)
    except Exception as exc:  # a bug in a sender must not stop the others
        log.exception("sender crashed", channel=delivery["channel"])
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        await repo.record_attempt(delivery["_id"], {"status": DELIVERED, "attempts": attempts,
                                                    "delivered_at": now(), "last_error": None},
                                  [outcome_event(delivery, DELIVERED, attempts)])
        return DELIVERED
    if final or attempts >= settings.max_attempts:
        log.warning("delivery failed for good", key=delivery["_id"], channel=delivery["channel"],
                    attempts=attempts, error=error)
        await repo.record_attempt(delivery["_id"], {"status": FAILED, "attempts": attempts, "last_error": error,
                                                    "failed_at": now()},
                                  [outcome_event(delivery, FAILED, attempts)])
        return FAILED
    delay = backoff_seconds(attempts, settings.retry_seconds, settings.retry_max_seconds)
    retry_at = now() + timedelta(seconds=delay)
    await repo.record_attempt(delivery["_id"], {"attempts": attempts, "last_error": error,
                                                "next_attempt_at": retry_at, "lease_until": retry_at}, [])
    return "retry"


async def deliver_due(repo: DeliveryRepository, senders: Mapping[str, Sender], settings: Any,
                      after_commit: Callable[[], None]) -> int:
    """Attempt every due delivery (concurrently, bounded); returns how many were tried."""
    now = datetime.now(UTC)
    due = await repo.due(now, limit=200)
    if not due:
        return 0
    gate = asyncio.Semaphore(settings.send_concurrency)

    async def one(doc: dict[str, Any]) -> None:
        async with gate:
            leased = await repo.lease(doc["_id"], now, now + timedelta(seconds=settings.lease_seconds))
            if leased is not None:
                [leased] = await repo.with_bodies([leased])
                await attempt(leased, senders, repo, settings)

    await asyncio.gather(*(one(d) for d in due))
    after_commit()
    return len(due)


async def make_queued(repo: DeliveryRepository, queued: dict[str, Any]) -> int:
    """One queued bulletin version's texts and deliveries; returns how many were new. A crash
    half way makes the same version again: the inserts skip what is there."""
    markdown, html, streets = delivery_texts(queued["texts"])
    await repo.save_bodies(queued["_id"], markdown, html, streets)
    created = await repo.create_many(queued["deliveries"])
    await repo.fanout_made(queued["_id"])
    return created


async def expand_fanouts(repo: DeliveryRepository, limit: int = 50) -> int:
    """Make the queued bulletins' deliveries; returns how many were new."""
    return sum([await make_queued(repo, queued) for queued in await repo.queued_fanouts(limit)])


async def make_now(repo: DeliveryRepository, body_ref: str) -> None:
    """A bulletin version's deliveries, if still queued, made now: someone is looking at who
    has received and signed it (the worker would make them after the Monday run)."""
    if (queued := await repo.queued_fanout(body_ref)) is not None:
        await make_queued(repo, queued)


class DeliveryWorker:
    """Sends what is due, except while `give_way()` says bulletins are being made: on a Monday
    run the bulletins come first, then their deliveries (each delivery's lease, outcome and
    `notification-sent` are store writes that the bulletins would otherwise queue behind).
    Whoever gives way kicks the worker when done."""

    def __init__(self, repo_factory: Callable[[], DeliveryRepository], senders: Mapping[str, Sender],
                 settings: Any, after_commit: Callable[[], None], give_way: Callable[[], bool] = lambda: False):
        self._repo_factory = repo_factory
        self._senders = senders
        self._settings = settings
        self._after_commit = after_commit
        self._give_way = give_way
        self._wake = asyncio.Event()

    def kick(self) -> None:
        self._wake.set()

    async def deliver_due(self) -> int:
        if self._give_way():
            return 0
        repo = self._repo_factory()
        created = await expand_fanouts(repo)
        return created + await deliver_due(repo, self._senders, self._settings, self._after_commit)

    async def run(self) -> None:
        """Every `delivery_every_seconds` (read each round), or at once when kicked."""
        await every(lambda: self._settings.delivery_every_seconds, self.deliver_due, wake=self._wake,
                    name="notify:delivery")
