"""What every service opens in its lifespan and closes again: Kafka broker, store, relay, and
the observer that samples consumer lag and the outbox for `/metrics` and `/health`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import structlog
from faststream.kafka import KafkaBroker
from fourx_contracts.envelope import CloudEvent
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from fourx_platform.kafka import KafkaSettings, create_broker, ensure_topics, send_event
from fourx_platform.lag import LagSampler, consumer_groups
from fourx_platform.loops import every
from fourx_platform.metrics import ServiceMetrics
from fourx_platform.mongo import MongoSettings, open_client
from fourx_platform.outbox import OutboxRelay, OutboxSettings
from fourx_platform.tracing import Tracing, attach, publishing
from fourx_platform.readiness import Observer, ReadinessSettings, problems

log = structlog.get_logger("fourx.runtime")


class ServiceRuntime:
    """Created by a service's composition root; nothing here touches the network until
    `start()`, which the app's lifespan calls."""

    def __init__(self, service: str, kafka: KafkaSettings, mongo: MongoSettings, database: str):
        self.service = service
        self.kafka_settings = kafka
        self.mongo_settings = mongo
        self.database_name = database
        # Read once; tests may change the fields of this instance at run time.
        self.readiness = ReadinessSettings()
        self._outbox_collections: list[str] = []
        self.observer = Observer(LagSampler(kafka, client_id=f"fourx-{service}-lag"),
                                 groups=lambda: consumer_groups(self.broker),
                                 collections=lambda: [self.db[name] for name in self._outbox_collections])
        self.metrics = ServiceMetrics(service, observed=lambda: self.observer.latest,
                                      ready=lambda: not self.problems())
        self.broker: KafkaBroker = create_broker(kafka, client_id=f"fourx-{service}",
                                                 middlewares=self.metrics.broker_middlewares())
        self.tracing = Tracing(service)  # off until start() reads the OTEL_* environment
        attach(self.broker, self.tracing)
        self._client: AsyncMongoClient | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._relay: OutboxRelay | None = None

    @property
    def db(self) -> AsyncDatabase:
        if self._client is None:
            raise RuntimeError(f"{self.service}: the store is not open (runtime not started)")
        return self._client[self.database_name]

    async def open_store(self) -> None:
        if self._client is None:
            self._client = open_client(self.mongo_settings)
            await self._client.admin.command("ping")

    async def start(self) -> None:
        self.tracing.start()
        await ensure_topics(self.kafka_settings)
        await self.open_store()
        await self.broker.start()
        if self.readiness.sample_seconds > 0:
            self.spawn(every(lambda: max(0.1, self.readiness.sample_seconds), self.observer.sample,
                             name=f"{self.service}:observe"), "observe")
        log.info("service started", service=self.service, kafka=self.kafka_settings.bootstrap)

    def outbox_relay(self, collections: list[str]) -> OutboxRelay:
        """A relay that publishes the pending events of these collections on this broker
        (they are observed for metrics and readiness from now on)."""
        for name in collections:
            if name not in self._outbox_collections:
                self._outbox_collections.append(name)

        async def send(event: CloudEvent) -> Awaitable[Any]:
            with publishing(self.broker, event):
                return await send_event(self.broker, event)

        return OutboxRelay([self.db[name] for name in collections], send=send,
                           hold_seconds=OutboxSettings().hold_seconds)

    def run_outbox(self, collections: list[str]) -> None:
        """Relay the outbox of these collections in the background (after `start()`)."""
        self._relay = self.outbox_relay(collections)
        self.spawn(self._relay.run(), "outbox-relay")

    def kick_outbox(self) -> None:
        """Publish what was just written now, not at the next poll; nothing before the relay runs."""
        if self._relay is not None:
            self._relay.kick()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"{self.service}:{name}")
        self._tasks.append(task)
        return task

    def run_every(self, name: str, seconds: float, job: Callable[[], Awaitable[object]], *,
                  wake: asyncio.Event | None = None) -> asyncio.Task[Any] | None:
        """Run `job` in the background every `seconds` (or when `wake` is set) until `stop()`;
        0 seconds or less: the job is turned off and never runs."""
        if seconds <= 0:
            log.info("background job off", service=self.service, job=name)
            return None
        return self.spawn(every(seconds, job, wake=wake, name=f"{self.service}:{name}"), name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.observer.close()
        await self.broker.stop()
        if self._client is not None:
            await self._client.close()
            self._client = None
        self.tracing.stop()

    async def health(self) -> dict[str, Any]:
        store_ok = kafka_ok = False
        try:
            await self.db.command("ping")
            store_ok = True
        except Exception:  # reported, not raised: health says what is down
            pass
        try:
            kafka_ok = bool(await self.broker.ping(timeout=2.0))
        except Exception:
            pass
        found = self.problems()
        return {"service": self.service, "status": "ok" if store_ok and kafka_ok and not found else "degraded",
                "store": store_ok, "kafka": kafka_ok, "problems": found}

    def problems(self) -> list[dict[str, Any]]:
        """The readiness rules on the observer's last sample (none before the first)."""
        return problems(self.observer.latest, self.readiness, datetime.now(UTC))
