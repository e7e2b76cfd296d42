"""The FastAPI shell every service shares: lifespan that opens and closes its resources, the
input guard in front of every route (size, JSON and target limits, `inputs.py`), a health
endpoint saying whether the store and Kafka answer, and the token check and access table every
district route goes through (`auth`, `access`)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from fourx_platform import access
from fourx_platform.auth import TokenVerifier, startup_verifier
from fourx_platform.inputs import InputGuard, InputLimits, InputRefused
from fourx_platform.runtime import ServiceRuntime


class Service(Protocol):
    runtime: ServiceRuntime

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def directory_people(self, district: str) -> list[dict] | None:
        """The district's people (`person_id`, `roles`, `unit`) from the service's copy of the
        directory; None when it has none. `access.authorize` admits only them."""


def service_app(service: Service, *, title: str, routers: list[APIRouter] = (), access_table: access.AccessTable,
                verifier: TokenVerifier | None = None, uploads: Iterable[tuple[str, str]] = (),
                limits: InputLimits | None = None) -> FastAPI:
    """`verifier` None: build it from the environment, or exit with a one-line reason.
    `uploads`: (method, path template) of the routes that take the larger upload limit."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.service = service
    app.state.verifier = verifier or startup_verifier()
    app.add_middleware(InputGuard, limits=limits or InputLimits(), uploads=list(uploads))

    @app.exception_handler(InputRefused)
    async def refused(_request: Request, exc: InputRefused) -> JSONResponse:
        # A route that checks data it parsed itself (check_value) answers like the guard does.
        return JSONResponse({"detail": exc.detail()}, status_code=422)

    for router in routers:
        app.include_router(router)
    access.install(app, access_table)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        report = await service.runtime.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    return app
