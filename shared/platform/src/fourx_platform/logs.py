"""Logging of every fourx process, configured once at its start (never at import).

`FOURX_LOG_FORMAT=json` writes one JSON object per line (what a log pipeline parses);
`console` writes readable, coloured lines. Unset: `console` in dev mode (the local stack,
the tests, the demo), `json` everywhere else. `FOURX_LOG_LEVEL` (default INFO) sets the level.

structlog's own lines and the standard library's (uvicorn, aiokafka, FastStream) go through
the same processors to stderr, so a deployment sees one format. Every line carries the
service; lines written while a record is handled also carry what `event_context` bound
(the subscribers in `fourx_platform.kafka` bind it around each record).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import structlog

from fourx_platform.devmode import dev_mode

LogFormat = Literal["json", "console"]
# The loggers that come with handlers of their own (uvicorn's dictConfig, FastStream's at
# import): ours replace them. The brokers log through `fourx.faststream` (kafka.create_broker).
_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream")


def log_format(env: Mapping[str, str] | None = None) -> LogFormat:
    env = os.environ if env is None else env
    chosen = env.get("FOURX_LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "console"):
        return chosen  # type: ignore[return-value]
    if chosen:
        raise ValueError(f"FOURX_LOG_FORMAT={chosen!r}: use json or console")
    return "console" if dev_mode(env) else "json"


def _processors(service: str) -> list[Any]:
    def add_service(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        return event

    return [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def configure_logging(service: str, *, fmt: LogFormat | None = None, level: str | None = None) -> None:
    """Set up structlog and the standard library's logging for this process. Calling it again
    replaces the configuration (no handler is added twice)."""
    fmt = fmt or log_format()
    level_name = (level or os.environ.get("FOURX_LOG_LEVEL") or "INFO").upper()
    shared = _processors(service)
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json"
                     else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # No caching: a second call (a test, a CLI inside a service) must reach every logger.
        cache_logger_on_first_use=False,
    )
    # JSON needs the traceback as a field; the console renders it itself.
    final = [structlog.processors.format_exc_info, renderer] if fmt == "json" else [renderer]
    formatter = structlog.stdlib.ProcessorFormatter(
        # A library's `extra=` fields (FastStream's topic and group) become fields too.
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("fourx")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "fourx"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_name)
    for name in _OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # One line per poll or heartbeat from the clients drowns what an operator reads (and one
    # per SMTP command from aiosmtpd's `mail.log`, the demo's and the tests' mail sink).
    for noisy in ("aiokafka", "pymongo", "httpx", "mail.log"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def event_fields(envelope: Any) -> dict[str, Any]:
    """What every log line about one event carries (the names the ops tool filters on)."""
    return {"district": envelope.district, "event_type": envelope.type, "event_id": envelope.id,
            "correlation_id": envelope.correlationid}


@contextmanager
def event_context(envelope: Any | None = None, **more: Any) -> Iterator[None]:
    """Bind an event's fields (and `more`) to every log line written inside, in this task only."""
    fields = {**(event_fields(envelope) if envelope is not None else {}), **more}
    with structlog.contextvars.bound_contextvars(**fields):
        yield
