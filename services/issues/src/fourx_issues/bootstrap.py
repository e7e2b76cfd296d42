"""Composition root of the issues service (the supervision list, "1")."""

from __future__ import annotations

from fastapi import FastAPI
from fourx_contracts.http import service_app
from fourx_contracts.kafka import KafkaSettings
from fourx_contracts.mongo import MongoSettings
from fourx_contracts.runtime import ServiceRuntime
from pydantic_settings import BaseSettings, SettingsConfigDict


class IssuesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISSUES_", extra="ignore")

    database: str = "fourx_issues"


class IssuesService:
    def __init__(self, kafka: KafkaSettings | None = None, mongo: MongoSettings | None = None,
                 settings: IssuesSettings | None = None):
        self.settings = settings or IssuesSettings()
        self.runtime = ServiceRuntime("issues", kafka or KafkaSettings(), mongo or MongoSettings(),
                                      self.settings.database)

    async def start(self) -> None:
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()


def create_app(service: IssuesService | None = None) -> FastAPI:
    return service_app(service or IssuesService(), title="fourx issues")
