"""Composition root of the meetings service: the only place real adapters are wired."""

from __future__ import annotations

from datetime import date

import structlog
from fastapi import FastAPI
from fourx_platform.access import people_of
from fourx_platform.auth import TokenVerifier, startup_verifier
from fourx_platform.clock import Clock, SystemClock
from fourx_platform.http import service_app
from fourx_platform.kafka import KafkaSettings
from fourx_platform.mongo import MongoSettings
from fourx_platform.outbound import OutboundPolicy
from fourx_platform.runtime import ServiceRuntime
from fourx_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict

from fourx_meetings.adapters.repository import OUTBOX_COLLECTIONS, create_indexes
from fourx_meetings.entrypoints import consumers, http
from fourx_meetings.entrypoints.access import ACCESS
from fourx_meetings.service_layer import handlers
from fourx_meetings.service_layer.clock import DistrictClock
from fourx_meetings.service_layer.unit_of_work import MongoUnitOfWork

log = structlog.get_logger("fourx.meetings")


class MeetingsSettings(ServiceSettings):
    """`MEETINGS_DATABASE`, `MEETINGS_TIME_ZONE`, … (the common fields: fourx_platform.settings)."""

    model_config = SettingsConfigDict(env_prefix="MEETINGS_")

    database: str = "fourx_meetings"
    default_venue: str = "区党群服务中心"
    # How often every replica makes sure this and next month's activity days are scheduled;
    # 0 turns it off.
    schedule_every_seconds: float = 3600.0
    # PUT /districts/{d}/clock (operators only) for tests, the demo and rehearsals; it takes
    # effect only in dev mode (FOURX_DEV_MODE=1), never in production.
    allow_clock_override: bool = True


class MeetingsService:
    def __init__(self, kafka: KafkaSettings | None = None, mongo: MongoSettings | None = None,
                 settings: MeetingsSettings | None = None, clock: Clock | None = None,
                 outbound: OutboundPolicy | None = None):
        self.settings = settings or MeetingsSettings()
        # FOURX_DEV_MODE, FOURX_WEBHOOK_ALLOWLIST: which channels an imported directory may name.
        self.outbound = outbound or OutboundPolicy.from_env()
        self.clock: Clock = clock or SystemClock(self.settings.time_zone)
        self.district_clock = DistrictClock(self.clock, lambda: self.unit_of_work().clocks,
                                            self.settings.allow_clock_override)
        self.runtime = ServiceRuntime("meetings", kafka or KafkaSettings(), mongo or MongoSettings(),
                                      self.settings.database)
        consumers.register(self)

    def unit_of_work(self) -> MongoUnitOfWork:
        return MongoUnitOfWork(self.runtime.db, after_commit=self.runtime.kick_outbox)

    def clock_override_allowed(self) -> bool:
        return self.district_clock.override_allowed()

    async def today(self, district: str) -> date:
        return await self.district_clock.today(district)

    async def directory_people(self, district: str) -> list[dict] | None:
        return people_of(await self.unit_of_work().directories.snapshot(district))

    async def schedule_due(self) -> int:
        created = await handlers.schedule_due_months(self.unit_of_work(), self.clock.today(),
                                                     self.settings.default_venue)
        if created:
            log.info("activity days scheduled", count=created)
        return created

    async def start(self) -> None:
        await self.runtime.open_store()
        await create_indexes(self.runtime.db)
        await self.runtime.start()
        self.runtime.run_outbox(OUTBOX_COLLECTIONS)
        self.runtime.run_every("scheduler", self.settings.schedule_every_seconds, self.schedule_due)

    async def stop(self) -> None:
        await self.runtime.stop()


def create_app(service: MeetingsService | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    verifier = verifier or startup_verifier()  # refuse a bad token configuration before anything else
    return service_app(service or MeetingsService(), title="fourx meetings", routers=[http.router],
                       access_table=ACCESS, verifier=verifier, uploads=[("PUT", "/districts/{district}/directory")])
