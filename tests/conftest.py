"""Shared fixtures. Unit tests use none of the infrastructure; integration and end-to-end
tests get a real Kafka broker and a real store, started here once per session (or taken
from KAFKA_BOOTSTRAP / MONGO_URI, or from testcontainers when a Docker engine answers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from fourx_contracts.kafka import KafkaSettings
from fourx_contracts.mongo import MongoSettings
from fourx_local.infra import Infrastructure, provide

# The suite runs the services in dev mode (clock overrides, an explicit "today"), as the local
# stack does; tests of the production behaviour switch it off with monkeypatch.
os.environ.setdefault("FOURX_DEV_MODE", "1")


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    with provide(tmp_path_factory.mktemp("infra")) as infrastructure:
        yield infrastructure


@pytest.fixture(scope="session")
def kafka_settings(infra: Infrastructure) -> KafkaSettings:
    return KafkaSettings(bootstrap=infra.kafka_bootstrap, partitions=3)


@pytest.fixture(scope="session")
def mongo_settings(infra: Infrastructure) -> MongoSettings:
    return MongoSettings(uri=infra.mongo_uri)


@pytest.fixture
def district() -> str:
    """A district of its own per test: tests share topics but never each other's data."""
    return f"test-{uuid.uuid4().hex[:10]}"
