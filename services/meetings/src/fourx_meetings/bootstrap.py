"""Composition root of the meetings service: the only place real adapters are wired."""

from __future__ import annotations

from fastapi import FastAPI
from fourx_contracts.http import service_app
from fourx_contracts.kafka import KafkaSettings, publish_event
from fourx_contracts.mongo import MongoSettings
from fourx_contracts.outbox import OutboxRelay
from fourx_contracts.runtime import ServiceRuntime
from pydantic_settings import BaseSettings, SettingsConfigDict

from fourx_meetings.adapters.repository import COLLECTION
from fourx_meetings.entrypoints import http
from fourx_meetings.service_layer.unit_of_work import MongoUnitOfWork


class MeetingsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEETINGS_", extra="ignore")

    database: str = "fourx_meetings"


class MeetingsService:
    def __init__(self, kafka: KafkaSettings | None = None, mongo: MongoSettings | None = None,
                 settings: MeetingsSettings | None = None):
        self.settings = settings or MeetingsSettings()
        self.runtime = ServiceRuntime("meetings", kafka or KafkaSettings(), mongo or MongoSettings(),
                                      self.settings.database)
        self.relay: OutboxRelay | None = None

    def unit_of_work(self) -> MongoUnitOfWork:
        return MongoUnitOfWork(self.runtime.db, after_commit=self.relay.kick if self.relay else lambda: None)

    async def start(self) -> None:
        await self.runtime.start()
        self.relay = OutboxRelay([self.runtime.db[COLLECTION]],
                                 lambda event: publish_event(self.runtime.broker, event))
        self.runtime.spawn(self.relay.run(), "outbox-relay")

    async def stop(self) -> None:
        await self.runtime.stop()


def create_app(service: MeetingsService | None = None) -> FastAPI:
    return service_app(service or MeetingsService(), title="fourx meetings", routers=[http.router])
