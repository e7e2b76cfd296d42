"""Composition root of the issues service (the supervision list, "1"): the only place real
adapters, the clock and the ladder policy are wired."""

from __future__ import annotations

from fastapi import FastAPI
from fourx_platform.access import people_of
from fourx_platform.auth import TokenVerifier, startup_verifier
from fourx_platform.clock import Clock, SystemClock
from fourx_platform.http import service_app
from fourx_platform.kafka import KafkaSettings
from fourx_platform.mongo import MongoSettings
from fourx_platform.runtime import ServiceRuntime
from fourx_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict

from fourx_issues.adapters.repository import OUTBOX_COLLECTIONS, create_indexes
from fourx_issues.domain.model import LadderPolicy
from fourx_issues.entrypoints import consumers, http, scheduler
from fourx_issues.entrypoints.access import ACCESS
from fourx_issues.service_layer.unit_of_work import MongoUnitOfWork


class IssuesSettings(ServiceSettings):
    """`ISSUES_DATABASE`, `ISSUES_TIME_ZONE`, … (the common fields: fourx_platform.settings)."""

    model_config = SettingsConfigDict(env_prefix="ISSUES_")

    database: str = "fourx_issues"
    # How often the service runs the daily check by itself; 0 turns it off (tests, demo).
    check_every_seconds: float = 3600.0
    notice_after_days: int = 0
    respond_within_days: int = 7
    interview_in_days: int = 3


class IssuesService:
    def __init__(self, kafka: KafkaSettings | None = None, mongo: MongoSettings | None = None,
                 settings: IssuesSettings | None = None, clock: Clock | None = None):
        self.settings = settings or IssuesSettings()
        self.runtime = ServiceRuntime("issues", kafka or KafkaSettings(), mongo or MongoSettings(),
                                      self.settings.database)
        self.clock: Clock = clock or SystemClock(self.settings.time_zone)
        self.policy = LadderPolicy(notice_after_days=self.settings.notice_after_days,
                                   respond_within_days=self.settings.respond_within_days,
                                   interview_in_days=self.settings.interview_in_days)
        consumers.register(self)

    def unit_of_work(self) -> MongoUnitOfWork:
        return MongoUnitOfWork(self.runtime.db, after_commit=self.runtime.kick_outbox)

    async def directory_people(self, district: str) -> list[dict] | None:
        return people_of(await self.unit_of_work().directory.get(district))

    async def start(self) -> None:
        await self.runtime.open_store()
        await create_indexes(self.runtime.db)
        await self.runtime.start()
        self.runtime.run_outbox(OUTBOX_COLLECTIONS)
        self.runtime.run_every("daily-check", self.settings.check_every_seconds, lambda: scheduler.check_all(self))

    async def stop(self) -> None:
        await self.runtime.stop()


def create_app(service: IssuesService | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    verifier = verifier or startup_verifier()  # refuse a bad token configuration before anything else
    return service_app(service or IssuesService(), title="fourx issues", routers=[http.router],
                       access_table=ACCESS, verifier=verifier)
