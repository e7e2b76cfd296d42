"""Composition root of the notify service."""

from __future__ import annotations

from fastapi import FastAPI
from fourx_contracts.http import service_app
from fourx_contracts.kafka import KafkaSettings, publish_event
from fourx_contracts.mongo import MongoSettings
from fourx_contracts.outbox import OutboxRelay
from fourx_contracts.runtime import ServiceRuntime
from pydantic_settings import BaseSettings, SettingsConfigDict

from fourx_notify.adapters import reports
from fourx_notify.adapters.consumer_progress import ConsumerProgress
from fourx_notify.adapters.event_store import EventStore
from fourx_notify.entrypoints import consumers, http


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    database: str = "fourx_notify"
    # Where the bulletin pages are served, for `report-published.url`; none when unset.
    public_url: str | None = None
    # How long a report waits for the read model to reach the events sent before it.
    catch_up_seconds: float = 30.0


class NotifyService:
    def __init__(self, kafka: KafkaSettings | None = None, mongo: MongoSettings | None = None,
                 settings: NotifySettings | None = None):
        self.settings = settings or NotifySettings()
        self.runtime = ServiceRuntime("notify", kafka or KafkaSettings(), mongo or MongoSettings(),
                                      self.settings.database)
        self.progress = ConsumerProgress(self.runtime.kafka_settings.bootstrap, consumers.EVENTS_GROUP,
                                         consumers.READ_MODEL_TOPICS)
        self.relay: OutboxRelay | None = None
        consumers.register(self)

    def event_store(self) -> EventStore:
        return EventStore(self.runtime.db)

    def bulletins(self) -> reports.BulletinRepository:
        return reports.BulletinRepository(self.runtime.db)

    def kick_relay(self) -> None:
        if self.relay is not None:
            self.relay.kick()

    async def start(self) -> None:
        await self.runtime.open_store()
        await self.event_store().create_indexes()
        self.relay = OutboxRelay([self.runtime.db[reports.COLLECTION]],
                                 lambda event: publish_event(self.runtime.broker, event))
        await self.progress.start()
        await self.runtime.start()
        self.runtime.spawn(self.relay.run(), "outbox-relay")

    async def stop(self) -> None:
        await self.runtime.stop()
        await self.progress.stop()


def create_app(service: NotifyService | None = None) -> FastAPI:
    return service_app(service or NotifyService(), title="fourx notify", routers=[http.router])
