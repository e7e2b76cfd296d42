"""The Prometheus metrics of one service process, served at `GET /metrics`.

One `CollectorRegistry` per process, made by the service's runtime (composition root), never
at import. What it holds:
- FastStream's Kafka middleware (`faststream_*`): records received, processed (by status),
  handling duration, exceptions — labelled by topic (`handler`); published by topic
  (`destination`). A batch counts under the topic of its first record.
- HTTP: `fourx_http_requests_total{method,route,status}` and
  `fourx_http_request_duration_seconds{method,route}`, the route as its template (bounded).
- DLQ: `fourx_dlq_records_total{topic,group,error_class}`, each record the failure policy
  parked in `<topic>.dlq` (counted when the broker took it).
- Sampled by the runtime's observer (`readiness.Observer`), read at scrape time:
  `fourx_outbox_pending{collection}`, `fourx_outbox_oldest_pending_age_seconds{collection}`,
  `fourx_consumer_lag{group,topic,partition}`,
  `fourx_consumer_lag_stalled_seconds{group,topic,partition}`, `fourx_ready`.
A service registers its own on `registry` (notify: deliveries, bulletins).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fourx_contracts.events import dlq_topic

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"   # the route label of a request no route took (its path is the client's to choose)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})   # others: "other"


class ServiceMetrics:
    def __init__(self, service: str, observed: Callable[[], Any], ready: Callable[[], bool]):
        """`observed` returns the observer's last `Observations`; `ready` whether it finds no problem."""
        self.service = service
        self.registry = CollectorRegistry()
        self.kafka = KafkaPrometheusMiddleware(registry=self.registry, app_name=f"fourx-{service}")
        self.dlq_records = Counter("fourx_dlq_records", "Records the failure policy parked in <topic>.dlq",
                                   ["topic", "group", "error_class"], registry=self.registry)
        self.http_requests = Counter("fourx_http_requests", "HTTP requests answered",
                                     ["method", "route", "status"], registry=self.registry)
        self.http_duration = Histogram("fourx_http_request_duration_seconds", "HTTP request duration",
                                       ["method", "route"], registry=self.registry)
        self.registry.register(_Observed(observed, ready))

    def broker_middlewares(self) -> tuple[Any, ...]:
        """For `create_broker`: FastStream's consume/publish metrics, and the DLQ counter."""
        return (self.kafka, _DlqCounting(self))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Observed(Collector):
    """The runtime's last samples as gauges; ages computed at scrape time."""

    def __init__(self, observed: Callable[[], Any], ready: Callable[[], bool]):
        self._observed = observed
        self._ready = ready

    def collect(self) -> Iterator[GaugeMetricFamily]:
        observed, now = self._observed(), datetime.now(UTC)
        pending = GaugeMetricFamily("fourx_outbox_pending", "Events stored but not yet published",
                                    labels=["collection"])
        oldest = GaugeMetricFamily("fourx_outbox_oldest_pending_age_seconds",
                                   "Age of the oldest event not yet published (0: none)", labels=["collection"])
        for backlog in observed.outbox:
            pending.add_metric([backlog.collection], backlog.pending)
            oldest.add_metric([backlog.collection], backlog.age_seconds(now))
        lag = GaugeMetricFamily("fourx_consumer_lag", "End offset minus committed offset",
                                labels=["group", "topic", "partition"])
        stalled = GaugeMetricFamily("fourx_consumer_lag_stalled_seconds",
                                    "How long the committed offset has not moved while there is lag",
                                    labels=["group", "topic", "partition"])
        for p in observed.lags:
            labels = [p.group, p.topic, str(p.partition)]
            lag.add_metric(labels, p.lag)
            stalled.add_metric(labels, p.stalled_seconds)
        ready = GaugeMetricFamily("fourx_ready", "1 when no readiness rule fails on the last sample (see /health)")
        ready.add_metric([], 1.0 if self._ready() else 0.0)
        yield from (pending, oldest, lag, stalled, ready)


class _DlqCounting:
    """A FastStream broker middleware: counts each record published to a DLQ, labelled from
    the headers `fourx_platform.kafka.dlq_headers` gives it."""

    def __init__(self, metrics: ServiceMetrics):
        self._metrics = metrics

    def __call__(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _DlqScope(msg, context=context, metrics=self._metrics)


class _DlqScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, metrics: ServiceMetrics):
        super().__init__(msg, context=context)
        self._metrics = metrics

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        result = await call_next(cmd)
        headers = cmd.headers or {}
        topic = headers.get("dlq-topic")
        if topic is not None and cmd.destination == dlq_topic(topic):
            self._metrics.dlq_records.labels(topic=topic, group=headers.get("dlq-group", ""),
                                             error_class=headers.get("dlq-error-class", "")).inc()
        return result


class HttpMetrics:
    """ASGI middleware: every HTTP request by method, route template and status, and its
    duration. Outermost, so what the input guard refuses counts too; an exception that
    escapes every handler counts as 500."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], ServiceMetrics | None]):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics = self.metrics()
        if scope["type"] != "http" or metrics is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router writes the matched route into the scope it was given (this one).
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else "other"
            metrics.http_requests.labels(method=method, route=route, status=str(status)).inc()
            metrics.http_duration.labels(method=method, route=route).observe(time.perf_counter() - started)
