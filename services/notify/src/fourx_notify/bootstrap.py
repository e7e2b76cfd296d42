"""Composition root of the notify service."""

from __future__ import annotations

import time

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

from fourx_notify.adapters import deliveries, reports
from fourx_notify.adapters.answers import SnapshotAnswers
from fourx_notify.adapters.channels import EmailSender, WebhookSender
from fourx_notify.adapters.consumer_progress import ConsumerProgress
from fourx_notify.adapters.event_store import EventStore
from fourx_notify.adapters.metrics import NotifyMetrics
from fourx_notify.entrypoints import consumers, http, scheduler
from fourx_notify.entrypoints.access import ACCESS
from fourx_notify.service_layer.delivery import DeliveryWorker


class NotifySettings(ServiceSettings):
    """Env vars with the NOTIFY_ prefix, e.g. NOTIFY_TIME_ZONE, NOTIFY_SMTP_HOST (the common
    fields: fourx_platform.settings)."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    database: str = "fourx_notify"
    # The consumer groups: the read model's, and `<group>-reports` for the bulletin requests.
    # Replicas share them; another deployment on the same cluster (or a benchmark) takes its own.
    consumer_group: str = consumers.EVENTS_GROUP
    # Where the bulletin pages are served, for `report-published.url`; none when unset.
    public_url: str | None = None
    # How long a report waits for the read model to reach the events sent before it (one
    # shared wait for all the reports asked for at that moment, not one per report).
    catch_up_seconds: float = 30.0
    # How long a report waits for the issues service's answer, the week's lights and league
    # (`supervision-snapshot`); notify computes neither itself. Waits run side by side.
    snapshot_wait_seconds: float = 15.0
    batch_max_records: int = 500
    # Reports: how many `report-requested` one poll takes, and how many bulletins are built at once.
    report_batch_max_records: int = 500
    report_concurrency: int = 16

    # Email: a plain SMTP relay (the demo starts one on 127.0.0.1:8025).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "fourx-notify@localhost"
    send_timeout_seconds: float = 10.0
    # Retries: retry_seconds, doubling (≤ retry_max_seconds), until max_attempts in all (the
    # names of the consumers' failure policy, FOURX_CONSUMER_…).
    max_attempts: int = 5
    retry_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    lease_seconds: float = 60.0
    send_concurrency: int = 10
    # How often due deliveries are looked for when nothing kicks the worker.
    delivery_every_seconds: float = 1.0
    # Deliveries wait this long after a batch of bulletins ends: a Monday run's requests come
    # in several batches, and the next batch should not queue behind the deliveries' writes.
    delivery_give_way_seconds: float = 2.0
    # Notices older than this (a replayed history) are stored but not sent again.
    immediate_max_age_hours: float = 72.0

    # The Monday 08:00 run: how often it is checked for (0 turns it off), and how late it may run.
    schedule_every_seconds: float = 60.0
    schedule_grace_hours: float = 24.0


class NotifyService:
    def __init__(self, kafka: KafkaSettings | None = None, mongo: MongoSettings | None = None,
                 settings: NotifySettings | None = None, outbound: OutboundPolicy | None = None,
                 clock: Clock | None = None):
        self.settings = settings or NotifySettings()
        self.clock: Clock = clock or SystemClock(self.settings.time_zone)
        # FOURX_DEV_MODE, FOURX_WEBHOOK_ALLOWLIST: where the senders may connect.
        self.outbound = outbound or OutboundPolicy.from_env()
        self.runtime = ServiceRuntime("notify", kafka or KafkaSettings(), mongo or MongoSettings(),
                                      self.settings.database)
        self.progress = ConsumerProgress(self.runtime.kafka_settings, self.settings.consumer_group,
                                         consumers.PROGRESS_TOPICS)
        self.answers = SnapshotAnswers(lambda requests: self.event_store().answered(requests))
        self.webhooks = WebhookSender(self.settings, self.outbound)
        self.emails = EmailSender(self.settings, self.outbound)
        self.metrics = NotifyMetrics(self.runtime.metrics.registry, channels=("email", "webhook"))
        self.senders = self.metrics.counted({"email": self.emails, "webhook": self.webhooks})
        self._bulletin_relay = None
        self.reports_in_progress = 0   # report batches being made here (deliveries give way)
        self.reports_ended_at = float("-inf")   # monotonic time the last batch ended
        self.worker = DeliveryWorker(self.deliveries, self.senders, self.settings, self.kick_relay,
                                     give_way=self._bulletins_first)
        consumers.register(self)

    def _bulletins_first(self) -> bool:
        return (self.reports_in_progress > 0
                or time.monotonic() - self.reports_ended_at < self.settings.delivery_give_way_seconds)

    def event_store(self) -> EventStore:
        return EventStore(self.runtime.db)

    def bulletins(self) -> reports.BulletinRepository:
        return reports.BulletinRepository(self.runtime.db)

    def deliveries(self) -> deliveries.DeliveryRepository:
        return deliveries.DeliveryRepository(self.runtime.db)

    async def directory_people(self, district: str) -> list[dict] | None:
        return people_of(await self.event_store().directory(district))

    async def city_districts(self, city: str) -> dict[str, str]:
        """The city's districts (id → name): those whose latest directory names the city."""
        return await self.event_store().districts_of_city(city)

    def kick_relay(self) -> None:
        self.runtime.kick_outbox()
        if self._bulletin_relay is not None:
            self._bulletin_relay.kick()

    def kick_delivery(self) -> None:
        self.worker.kick()

    def after_bulletin(self) -> None:
        self.metrics.bulletins.inc()  # called once per bulletin, after it was stored
        self.kick_relay()
        self.kick_delivery()

    async def start(self) -> None:
        await self.runtime.open_store()
        await self.event_store().create_indexes()
        await self.deliveries().create_indexes()
        await self.progress.start()
        await self.runtime.start()
        # Two relays: the bulletins' `report-published` and the Monday run's requests are not
        # queued behind the thousands of delivery outcomes a Monday run also produces.
        self._bulletin_relay = self.runtime.outbox_relay([reports.CLAIMS, reports.COLLECTION])
        self.runtime.spawn(self._bulletin_relay.run(), "outbox-relay-bulletins")
        self.runtime.run_outbox([deliveries.COLLECTION])
        self.runtime.spawn(self.worker.run(), "delivery")
        self.runtime.run_every("weekly-schedule", self.settings.schedule_every_seconds, lambda: scheduler.run_due(self))

    async def stop(self) -> None:
        await self.answers.stop()
        await self.runtime.stop()
        await self.webhooks.close()
        await self.progress.stop()


def create_app(service: NotifyService | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    verifier = verifier or startup_verifier()  # refuse a bad token configuration before anything else
    return service_app(service or NotifyService(), title="fourx notify", routers=[http.router],
                       access_table=ACCESS, verifier=verifier)
