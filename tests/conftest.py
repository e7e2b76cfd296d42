"""Shared fixtures. Unit tests use none of the infrastructure; integration and end-to-end
tests get a real Kafka broker and a real store, started here once per session (or taken
from KAFKA_BOOTSTRAP / MONGO_URI, or from testcontainers when a Docker engine answers)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fourx_platform import devkeys
from fourx_platform.kafka import KafkaSettings
from fourx_platform.logs import configure_logging
from fourx_platform.mongo import MongoSettings
from fourx_local.infra import Infrastructure, provide
from fourx_local.tokens import DEMO_OPERATOR

# Tests run as the local stack does: dev mode (e.g. plain-http webhooks, `.test` mail domains),
# and the demo's webhook receiver as the one allowlisted internal target.
os.environ.setdefault("FOURX_DEV_MODE", "1")
os.environ.setdefault("FOURX_WEBHOOK_ALLOWLIST", "127.0.0.1:8026")
# The operator subject of the tests' tokens (FOURX_AUTH_OPERATORS): acts in any district.
OPERATOR = "ops"


def pytest_configure(config: pytest.Config) -> None:
    """The suite is its own token issuer: a key pair of its own per session, never a key from
    the repository. Services built in-process read these settings; dev mode as the local stack."""
    keys = devkeys.generate(Path(tempfile.mkdtemp(prefix="fourx-test-keys-")))
    os.environ.update(keys.env(operators=[OPERATOR, DEMO_OPERATOR]))
    # The in-process services log as a service does (fourx_platform.logs), on the stream pytest
    # captures now — never into the output of a CLI a test runs meanwhile (CliRunner swaps stdout).
    configure_logging("test-suite")


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    with provide(tmp_path_factory.mktemp("infra"), partitions=3) as infrastructure:
        yield infrastructure


@pytest.fixture(scope="session")
def kafka_settings(infra: Infrastructure) -> KafkaSettings:
    """The admin principal (a super user): test helpers write and read any topic with it."""
    return infra.kafka_as("admin")


@pytest.fixture(scope="session")
def kafka_as(infra: Infrastructure) -> Callable[[str], KafkaSettings]:
    """A service's own principal (`kafka_as("notify")`), as the local stack gives it; on a
    broker without per-principal credentials (KAFKA_BOOTSTRAP, testcontainers) the admin's."""
    return infra.kafka_as


@pytest.fixture(scope="session")
def mongo_settings(infra: Infrastructure) -> MongoSettings:
    return MongoSettings(uri=infra.mongo_uri)


@pytest.fixture
def district() -> str:
    """A district of its own per test: tests share topics but never each other's data."""
    return f"test-{uuid.uuid4().hex[:10]}"
