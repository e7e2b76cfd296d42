"""The FastAPI shell every service shares: lifespan that configures logging and opens and
closes its resources, the input guard in front of every route (size, JSON and target limits,
`inputs.py`), a health endpoint saying whether the store and Kafka answer and the readiness
rules hold (`readiness.py`), Prometheus metrics at `/metrics`, the token check and access table every
district route goes through (`auth`, `access`), and the one mapping of domain refusals
(`errors`) and lost write races (`versioned`) to HTTP statuses. Every error body is
`{"code": <stable code>, "detail": …}` (codes: `error_codes`), an unexpected failure included."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from fourx_platform import access, asyncapi
from fourx_platform.auth import TokenVerifier, startup_verifier
from fourx_platform.errors import DomainError, Invalid, NotAllowed, NotFound
from fourx_platform.failures import is_transient
from fourx_platform.inputs import InputGuard, InputLimits, InputRefused
from fourx_platform.logs import configure_logging
from fourx_platform.metrics import CONTENT_TYPE, HttpMetrics
from fourx_platform.runtime import ServiceRuntime
from fourx_platform.tracing import TracingMiddleware
from fourx_platform.versioned import ConcurrencyConflict

# The first matching kind decides: subclasses before DomainError.
STATUS = ((NotAllowed, 403), (NotFound, 404), (Invalid, 422), (DomainError, 409))
# The code of an HTTPException raised without one (FastAPI's and Starlette's own: an unknown
# route, a method the route does not take, ...). Ours carry theirs (`auth.Refusal`).
HTTP_STATUS_CODES = {400: "input.bad_request", 401: "auth.token_invalid", 403: "forbidden", 404: "not_found",
                     405: "route.method_not_allowed", 409: "refused", 413: "input.too_large", 422: "invalid"}
UNKNOWN_ROUTE = "route.not_found"
INTERNAL = "internal"
UNAVAILABLE = "unavailable"
log = logging.getLogger("fourx.http")


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
        # Here, not at import or in the factory: the process is a service from now on.
        configure_logging(service.runtime.service)
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.service = service
    app.state.verifier = verifier or startup_verifier()
    app.add_middleware(InputGuard, limits=limits or InputLimits(), uploads=list(uploads))
    # Added last: outermost. Looked up per request (an app built for its routes alone has no runtime).
    app.add_middleware(HttpMetrics, metrics=lambda: getattr(service.runtime, "metrics", None))
    # Outermost, so a refused input is a traced request too.
    app.add_middleware(TracingMiddleware, tracing=getattr(getattr(service, "runtime", None), "tracing", None))

    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    access.install(app, access_table)

    @app.get("/health", tags=["ops"])
    async def health() -> JSONResponse:
        report = await service.runtime.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @app.get("/asyncapi", tags=["ops"])
    async def asyncapi_document() -> JSONResponse:
        """This service's part of the event catalog (AsyncAPI 3.0): the channels it sends and receives."""
        return JSONResponse(asyncapi.document(service.runtime.service))

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(service.runtime.metrics.render(), media_type=CONTENT_TYPE)

    return app


def status_of(exc: DomainError) -> int:
    return next(status for kind, status in STATUS if isinstance(exc, kind))


def _detail(exc: DomainError) -> Any:
    """Structured facts beside the message; an Invalid value like FastAPI's own 422 (a list
    with `loc`), so a client reads every 422 alike; a rule about a field names it."""
    if facts := exc.facts():
        return {"message": exc.message, **facts}
    if isinstance(exc, Invalid):
        loc = [int(part) if part.isdigit() else part for part in exc.field.split(".")]
        return [{"loc": ["body", *loc], "msg": exc.message, "type": "value_error"}]
    if exc.field:
        return {"field": exc.field, "message": exc.message}
    return exc.message


def error_body(detail: Any, *, code: str) -> dict[str, Any]:
    """The one shape of every error answer: the stable code, then what exactly went wrong."""
    return {"code": code, "detail": detail}


def http_code(request: Request, exc: StarletteHTTPException) -> str:
    """The code of an HTTPException: its own, else by status (a 404 without a matched route is
    an unknown address, not a missing thing)."""
    if code := getattr(exc, "code", None):
        return code
    if exc.status_code == 404 and request.scope.get("route") is None:
        return UNKNOWN_ROUTE
    return HTTP_STATUS_CODES.get(exc.status_code, INTERNAL if exc.status_code >= 500 else "refused")


def install_error_handlers(app: FastAPI) -> None:
    """Domain refusals become their 4xx; a write race that outlasted its retries is a 409
    the caller may simply repeat. Routes raise them as they are, with no wrapper. Every answer
    carries its code; a failure nobody foresaw is a 500 with the code `internal`, never a
    plain-text page."""

    @app.exception_handler(DomainError)
    async def refused(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(_detail(exc), code=exc.code), status_code=status_of(exc))

    @app.exception_handler(ConcurrencyConflict)
    async def conflict(_request: Request, exc: ConcurrencyConflict) -> JSONResponse:
        return JSONResponse(error_body(str(exc), code="conflict.retry"), status_code=409)

    @app.exception_handler(InputRefused)
    async def value_refused(_request: Request, exc: InputRefused) -> JSONResponse:
        # A route that checks data it parsed itself (check_value) answers like the guard does.
        return JSONResponse(error_body(exc.detail(), code=InputRefused.code), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422 body (a list with `loc`), with the code beside it.
        return JSONResponse(error_body(jsonable_encoder(exc.errors()), code="invalid"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_refusal(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (204, 304):  # no body allowed
            return Response(status_code=exc.status_code, headers=exc.headers)
        return JSONResponse(error_body(exc.detail, code=http_code(request, exc)), status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises it after this answer, so the server still logs the traceback.
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        if is_transient(exc):  # the store or the broker is away for a moment: try again
            return JSONResponse(error_body("存储或消息服务暂时不可用，操作未完成", code=UNAVAILABLE), status_code=503,
                                headers={"Retry-After": "5"})
        return JSONResponse(error_body("服务内部错误，操作未完成", code=INTERNAL), status_code=500)
