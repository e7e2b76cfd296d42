"""Composition root: settings, the token verifier, and the resources the portal holds — an
HTTP client to the services, the Kafka readers, the OpenID Connect client or (dev mode only)
the dev sign-in — built here and opened in the lifespan, never at import."""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import structlog
from fastapi import FastAPI
from fourx_platform import devkeys
from fourx_platform.auth import TokenVerifier, startup_verifier
from fourx_platform.devmode import dev_mode
from fourx_platform.kafka import KafkaSettings
from fourx_platform.logs import configure_logging

from fourx_portal import errors
from fourx_portal.devsignin import DevSignIn, DevSignInUnavailable
from fourx_portal.entrypoints import http
from fourx_portal.events import DirectoryFeed, EventHub
from fourx_portal.oidc import OidcClient
from fourx_portal.proxy import ServiceProxy
from fourx_portal.sessions import SessionCookie
from fourx_portal.settings import PortalSettings

log = structlog.get_logger("fourx.portal")


class PortalConfigError(RuntimeError):
    """The portal cannot serve safely; one line for the operator."""


@dataclass
class Portal:
    settings: PortalSettings
    kafka: KafkaSettings
    verifier: TokenVerifier
    dev: bool
    cookie: SessionCookie
    events: EventHub
    directories: DirectoryFeed | None = None
    dev_sign_in: DevSignIn | None = None
    http: httpx.AsyncClient | None = None
    proxy: ServiceProxy | None = None
    oidc: OidcClient | None = None
    error_codes: dict[str, str] = field(default_factory=dict)

    def open_http(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """The client to the services and the provider (one pool), and what uses it."""
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(self.settings.upstream_timeout_seconds, connect=5.0),
                                      follow_redirects=False, transport=transport)
        self.proxy = ServiceProxy(self.http, self.settings.service_urls())
        if self.settings.oidc_configured:
            self.oidc = OidcClient(self.settings, self.http)
        self.error_codes = http.load_error_codes(self.settings.error_codes_file)

    async def start(self) -> None:
        self.open_http()
        self.events.start()
        if self.directories is not None:
            self.directories.start()
        log.info("portal started", dev_mode=self.dev, static_dir=str(self.settings.static_dir),
                 oidc=self.oidc is not None, services=self.settings.service_urls())

    async def stop(self) -> None:
        await self.events.stop()
        if self.directories is not None:
            await self.directories.stop()
        if self.http is not None:
            await self.http.aclose()


def build_portal(settings: PortalSettings | None = None, kafka: KafkaSettings | None = None,
                 verifier: TokenVerifier | None = None, *, dev: bool | None = None) -> Portal:
    """The portal's parts, checked; raises PortalConfigError for a configuration that must
    not serve."""
    settings = settings or PortalSettings()
    dev = dev_mode() if dev is None else dev
    verifier = verifier or startup_verifier()
    if not dev and os.environ.get(devkeys.PRIVATE_KEY_ENV):
        raise PortalConfigError(f"{devkeys.PRIVATE_KEY_ENV} is set outside dev mode: the portal never signs tokens "
                                "in production (sign-in is the OpenID Connect provider's)")
    if not dev and not settings.oidc_configured:
        raise PortalConfigError("no OpenID Connect provider configured: set FOURX_PORTAL_OIDC_ISSUER, "
                                "FOURX_PORTAL_OIDC_CLIENT_ID and FOURX_PORTAL_OIDC_REDIRECT_URL")
    if not dev and settings.oidc_redirect_url and not settings.oidc_redirect_url.startswith("https://"):
        raise PortalConfigError(f"FOURX_PORTAL_OIDC_REDIRECT_URL must be https outside dev mode: "
                                f"{settings.oidc_redirect_url}")
    kafka = kafka or KafkaSettings()
    portal = Portal(settings=settings, kafka=kafka, verifier=verifier, dev=dev,
                    cookie=SessionCookie(settings.cookie_name, secure=not dev),
                    events=EventHub(kafka, backlog=settings.stream_backlog))
    if dev:
        portal.directories = DirectoryFeed(kafka)
        try:
            portal.dev_sign_in = DevSignIn.from_environment(portal.directories, verifier.issuer, verifier.audience,
                                                            timedelta(hours=settings.dev_session_hours))
        except DevSignInUnavailable as exc:
            log.warning("dev sign-in off", reason=str(exc))
    return portal


def create_app(portal: Portal | None = None) -> FastAPI:
    if portal is None:
        try:
            portal = build_portal()
        except PortalConfigError as exc:
            print(f"fourx portal: refusing to start: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(78) from None  # EX_CONFIG

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        configure_logging("portal")
        await portal.start()
        try:
            yield
        finally:
            await portal.stop()

    app = FastAPI(title="fourx portal", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.portal = portal
    errors.install(app)
    http.install(app)
    return app
