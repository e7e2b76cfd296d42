"""`fourx-meetings import-directory` against the real store and Kafka."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from fourx_meetings.entrypoints.cli import app
from typer.testing import CliRunner

from tests.integration.meetings.flow import DIRECTORY, auth, ok
from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration


async def test_cli_import_publishes_once_and_the_service_sees_it(kafka_settings, kafka_as, mongo_settings, meetings,
                                                                 meetings_http, district, tmp_path, monkeypatch):
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(DIRECTORY, allow_unicode=True), encoding="utf-8")
    for name, value in kafka_as("meetings").env().items():  # the CLI runs as its service
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MONGO_URI", mongo_settings.uri)
    monkeypatch.setenv("MEETINGS_DATABASE", meetings.settings.database)
    runner = CliRunner()
    async with EventTap(kafka_settings, ["directory-updated"]) as tap:
        first = await asyncio.to_thread(runner.invoke, app, ["import-directory", str(path), "--district", district])
        second = await asyncio.to_thread(runner.invoke, app, ["import-directory", str(path), "--district", district])
        assert first.exit_code == 0, first.output
        assert "version 1" in first.output and "unchanged" in second.output
        await tap.wait_for(lambda t: t.events("directory-updated", district))
        await tap.settle(1.0)
        # One event (one id). The CLI's relay and the running service's both scan the outbox, so
        # the same entry may go out twice when their passes meet; consumers drop it by id
        # (fourx_platform.outbox) — what the topic must never hold is a second, different event.
        assert len({e["id"] for e in tap.events("directory-updated", district)}) == 1
    stored = await ok(await meetings_http.get(f"/districts/{district}/directory", headers=auth(district, "p-office")))
    assert stored["version"] == 1 and len(stored["communities"]) == 3
