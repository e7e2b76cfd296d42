"""Logging (issue 12): JSON lines in production, readable lines in dev mode, chosen by
FOURX_LOG_FORMAT; every line written while an event is handled names the service, district,
event type, event id and correlation id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from fourx_contracts.envelope import new_event
from fourx_platform.logs import configure_logging, event_context, log_format


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back for the other tests."""
    root = logging.getLogger()
    handlers, level, config = list(root.handlers), root.level, structlog.get_config()
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_format_is_json_unless_dev_mode_or_chosen():
    assert log_format({}) == "json"
    assert log_format({"FOURX_DEV_MODE": "1"}) == "console"
    assert log_format({"FOURX_DEV_MODE": "1", "FOURX_LOG_FORMAT": "json"}) == "json"
    assert log_format({"FOURX_LOG_FORMAT": "Console"}) == "console"
    with pytest.raises(ValueError, match="json or console"):
        log_format({"FOURX_LOG_FORMAT": "xml"})


def event():
    return new_event(type="report-requested", source="/services/notify", district="d-1", data={"week": "2026-W48"},
                     correlationid="corr-1")


def test_json_lines_carry_the_event_handled_and_the_service(capsys, restore_logging):
    configure_logging("issues", fmt="json")
    handled = event()
    with event_context(handled, group="fourx-issues"):
        structlog.get_logger("fourx.test").warning("applied", items=2)
        logging.getLogger("aiokafka").warning("a library's line")   # the standard library's too
    structlog.get_logger("fourx.test").info("after")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    first, library, after = lines
    assert first["event"] == "applied" and first["items"] == 2 and first["level"] == "warning"
    for line in (first, library):
        assert {k: line[k] for k in ("service", "district", "event_type", "event_id", "correlation_id", "group")} == {
            "service": "issues", "district": "d-1", "event_type": "report-requested", "event_id": handled.id,
            "correlation_id": "corr-1", "group": "fourx-issues"}
        assert line["timestamp"].endswith("Z")
    assert "district" not in after and after["service"] == "issues"   # unbound when the handling ended


def test_json_lines_keep_a_traceback_as_one_field(capsys, restore_logging):
    configure_logging("notify", fmt="json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structlog.get_logger("fourx.test").exception("failed")
    [line] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert "RuntimeError: boom" in line["exception"]


def test_console_lines_are_readable_and_configuring_twice_adds_no_second_handler(capsys, restore_logging):
    configure_logging("meetings", fmt="console")
    configure_logging("meetings", fmt="console")
    structlog.get_logger("fourx.test").info("scheduled", count=3)
    err = capsys.readouterr().err
    assert err.count("scheduled") == 1
    assert "count=3" in err and "service=meetings" in err and not err.lstrip().startswith("{")


class FakeBroker:
    """Takes what `subscribe_events` registers, so the test can hand it a record itself."""

    def __init__(self) -> None:
        self.registered = None

    def subscriber(self, *topics, **options):
        def register(func):
            self.registered = func
            return func
        return register


class Record:
    def __init__(self, value: bytes, key: bytes):
        self.topic, self.partition, self.offset = "report-requested", 2, 41
        self.value, self.key, self.headers = value, key, []


class Message:
    def __init__(self, record: Record):
        self.raw_message = record


async def test_the_subscriber_binds_the_event_to_every_line_its_handler_writes():
    from fourx_platform.kafka import subscribe_events
    from structlog.testing import LogCapture

    capture, config = LogCapture(), structlog.get_config()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
    try:
        broker, handled = FakeBroker(), event()

        async def handler(received) -> None:
            structlog.get_logger("fourx.test").info("handling")

        subscribe_events(broker, ["report-requested"], group_id="fourx-issues", handler=handler)
        await broker.registered(b"", Message(Record(handled.to_json_bytes(), b"d-1")))
    finally:
        structlog.configure(**config)
    [line] = capture.entries
    assert line["event"] == "handling"
    assert {k: line[k] for k in ("district", "event_type", "event_id", "correlation_id", "group", "topic",
                                 "partition", "offset")} == {
        "district": "d-1", "event_type": "report-requested", "event_id": handled.id, "correlation_id": "corr-1",
        "group": "fourx-issues", "topic": "report-requested", "partition": 2, "offset": 41}
