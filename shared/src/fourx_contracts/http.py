"""The FastAPI shell every service shares: lifespan that opens and closes its resources, and
a health endpoint saying whether the store and Kafka answer."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from fourx_contracts.runtime import ServiceRuntime


class Service(Protocol):
    runtime: ServiceRuntime

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def service_app(service: Service, *, title: str, routers: list[APIRouter] = ()) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.service = service
    for router in routers:
        app.include_router(router)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        report = await service.runtime.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    return app
