"""The document store: PyMongo's async API (motor's successor), one database per service."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo import AsyncMongoClient


class MongoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONGO_", extra="ignore")

    # retryWrites=false: SecantusDB (local and CI) has no retryable writes; real MongoDB
    # works either way.
    uri: str = "mongodb://127.0.0.1:27017/?retryWrites=false"


def open_client(settings: MongoSettings) -> AsyncMongoClient:
    """A client belongs to the event loop it is first used on: open it in the app's lifespan."""
    return AsyncMongoClient(settings.uri, tz_aware=True, uuidRepresentation="standard")
