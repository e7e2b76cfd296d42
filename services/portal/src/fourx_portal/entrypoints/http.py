"""The BFF's HTTP interface (docs: README "Web console (工作台)"): the built web app with a
history fallback, sign-in (dev picker or OpenID Connect), the session, `/api/me`, the proxy
to the three services, the event stream and the error catalog. Every refusal is JSON
`{code, detail}` with a Chinese detail."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import jwt
import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from starlette.responses import StreamingResponse

from fourx_portal import people
from fourx_portal.errors import PORTAL_ERRORS, PortalError, error_response
from fourx_portal.events import sse_message
from fourx_portal.oidc import FLOW_COOKIE, FLOW_SECONDS, Flow, SignInFailed
from fourx_portal.sessions import Session, csrf_refused, current_session

if TYPE_CHECKING:
    from fourx_portal.bootstrap import Portal

log = structlog.get_logger("fourx.portal.http")

SERVICES = ("meetings", "issues", "notify")
# Paths the app never answers with index.html: a typo there is a JSON 404, not a page.
NOT_PAGES = ("api/", "auth/", "assets/")
NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>工作台尚未构建</title>
<body><h1>工作台尚未构建</h1><p>请在项目目录运行 <code>make setup</code>（构建 web/console）后重新启动。</p></body></html>"""

router = APIRouter()


def _portal(request: Request) -> "Portal":
    return request.app.state.portal


async def _session(request: Request) -> Session:
    portal = _portal(request)
    return await current_session(request, portal.cookie, portal.verifier)


def load_error_codes(path: Path) -> dict[str, str]:
    """docs/error-codes.json (code → Chinese message; or code → {message: …}), and the
    portal's own codes. A missing file is not fatal: the console falls back to `detail`."""
    codes: dict[str, str] = {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("no error-code catalog", path=str(path))
        raw = {}
    except ValueError as exc:
        log.warning("error-code catalog unreadable", path=str(path), error=str(exc))
        raw = {}
    entries = raw.get("codes", raw) if isinstance(raw, dict) else {}
    if isinstance(entries, list):  # [{code, message}, …]
        entries = {e.get("code"): e for e in entries if isinstance(e, dict)}
    for code, value in entries.items():
        message = value.get("message") or value.get("zh") if isinstance(value, dict) else value
        if isinstance(code, str) and isinstance(message, str):
            codes[code] = message
    return {**codes, **PORTAL_ERRORS}


# --- health -----------------------------------------------------------------------------------
@router.get("/healthz")
async def healthz() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Readiness: the event stream reads Kafka and every service answers its /health."""
    portal = _portal(request)
    assert portal.http is not None

    async def service_ok(url: str) -> bool:
        try:
            return (await portal.http.get(f"{url}/health", timeout=3.0)).status_code == 200
        except httpx.HTTPError:
            return False

    names = list(portal.settings.service_urls())
    answers = await asyncio.gather(*(service_ok(u) for u in portal.settings.service_urls().values()))
    checks = {"events": portal.events.ready.is_set(), **dict(zip(names, answers))}
    if portal.directories is not None:
        checks["directory"] = portal.directories.ready.is_set()
    ok = all(checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)


# --- sign-in ----------------------------------------------------------------------------------
def _local_path(next_path: str | None) -> str:
    """Only a path of this origin (an open redirect would hand the session's flow elsewhere)."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return "/"


def _dev_only(request: Request):
    sign_in = _portal(request).dev_sign_in
    if sign_in is None:
        raise PortalError(404, "portal.not_found")
    return sign_in


@router.get("/auth/districts")
async def dev_districts(request: Request) -> list[str]:
    """Dev mode: the districts that have a directory."""
    _dev_only(request)
    directories = _portal(request).directories
    assert directories is not None
    return directories.districts()


@router.get("/auth/cities")
async def dev_cities(request: Request) -> list[dict[str, Any]]:
    """Dev mode: the cities the districts' directories name, each with its districts."""
    _dev_only(request)
    directories = _portal(request).directories
    assert directories is not None
    return [{"city": city, "districts": districts} for city, districts in directories.cities().items()]


@router.get("/auth/people")
async def dev_people(request: Request, district: Annotated[str | None, Query(max_length=200)] = None) -> list[dict]:
    """Dev mode: everyone one may sign in as (of one district, or of all)."""
    return _dev_only(request).people(district)


@router.get("/login")
async def login(request: Request,
                as_: Annotated[str | None, Query(alias="as", max_length=200)] = None,
                district: Annotated[str | None, Query(max_length=200)] = None,
                city: Annotated[str | None, Query(max_length=200)] = None,
                next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None) -> Response:
    portal = _portal(request)
    if as_ is not None and city is not None:
        # Dev mode: a person of the city's organisation department (read-only city level).
        sign_in = _dev_only(request)
        if not as_.strip():
            raise PortalError(404, "auth.unknown_person", "请填写市级账号的人员编号")
        token = sign_in.city_token_for(as_.strip(), city, portal.verifier.settings.city_claim)
        if token is None:
            raise PortalError(404, "auth.unknown_city", f"没有哪个区的名册属于“{city}”市，请从市列表中选择")
        response = RedirectResponse(_local_path(next_path), status_code=302)
        portal.cookie.set(response, token)
        log.info("dev sign-in", person_id=as_, city=city)
        return response
    if as_ is not None:
        sign_in = _dev_only(request)
        if district is None:
            # A person id alone is enough when exactly one district lists it.
            found = {p["district"] for p in sign_in.people(None) if p["person_id"] == as_}
            district = found.pop() if len(found) == 1 else None
        token = sign_in.token_for(as_, district) if district else None
        if token is None:
            raise PortalError(404, "auth.unknown_person",
                              f"名册中没有这个人员（{as_}{'，' + district if district else ''}），请从人员列表中选择")
        response = RedirectResponse(_local_path(next_path), status_code=302)
        portal.cookie.set(response, token)
        log.info("dev sign-in", person_id=as_, district=district)
        return response
    if portal.dev:
        return _index(portal)  # the SPA's picker
    if portal.oidc is None:
        raise PortalError(503, "auth.not_configured")
    flow = Flow.start(_local_path(next_path))
    try:
        target = await portal.oidc.authorization_url(flow)
    except (SignInFailed, httpx.HTTPError, ValueError, KeyError) as exc:  # provider down or its discovery unusable
        log.error("oidc discovery failed", error=str(exc))
        raise PortalError(502, "auth.sign_in_failed") from exc
    response = RedirectResponse(target, status_code=302)
    response.set_cookie(FLOW_COOKIE, flow.encode(), max_age=FLOW_SECONDS, path="/auth/callback", httponly=True,
                        secure=not portal.dev, samesite="lax")
    return response


@router.get("/auth/callback")
async def oidc_callback(request: Request, code: Annotated[str | None, Query(max_length=4000)] = None,
                        state: Annotated[str | None, Query(max_length=500)] = None,
                        error: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    portal = _portal(request)
    if portal.oidc is None:
        raise PortalError(404, "portal.not_found")
    flow = Flow.decode(request.cookies.get(FLOW_COOKIE))
    if error or not code or flow is None or not state or not _same(state, flow.state):
        log.warning("oidc callback refused", provider_error=error, flow=flow is not None)
        raise PortalError(400, "auth.sign_in_failed")
    try:
        token = await portal.oidc.redeem(code, flow)
        caller = await asyncio.to_thread(portal.verifier.verify, token)
    except (SignInFailed, HTTPException, httpx.HTTPError, ValueError, KeyError) as exc:
        # The services would refuse this token too (FOURX_AUTH_… must match the provider).
        log.error("oidc sign-in failed", error=str(exc))
        raise PortalError(401, "auth.sign_in_failed") from exc
    response = RedirectResponse(flow.next, status_code=302)
    portal.cookie.set(response, token)
    response.delete_cookie(FLOW_COOKIE, path="/auth/callback")
    log.info("signed in", person_id=caller.person_id, district=caller.district)
    return response


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


@router.post("/auth/logout", status_code=204)
async def logout(request: Request) -> Response:
    response = Response(status_code=204)
    _portal(request).cookie.clear(response)
    return response


# --- api --------------------------------------------------------------------------------------
@router.get("/api/error-codes")
async def error_codes(request: Request) -> dict[str, str]:
    return _portal(request).error_codes


@router.get("/api/me")
async def me(request: Request) -> dict[str, Any]:
    """Who the session is: the person as the district's directory knows them (meetings'
    `GET /districts/{d}/me`, read with the caller's own token; roles are those the token and
    the directory agree on)."""
    portal = _portal(request)
    session = await _session(request)
    caller = session.caller
    if caller.city is not None and not caller.district:
        return people.describe_city_caller(caller.person_id, caller.city, sorted(caller.roles))
    assert portal.http is not None
    url = f"{portal.settings.service_urls()['meetings']}/districts/{caller.district}/me"
    try:
        answer = await portal.http.get(url, headers={"authorization": f"Bearer {session.token}"})
    except httpx.HTTPError as exc:
        raise PortalError(502, "portal.upstream_unavailable") from exc
    if answer.status_code != 200:
        # The service's own refusal (its code and Chinese detail), as it is.
        return JSONResponse(_json_or_detail(answer), status_code=answer.status_code)  # type: ignore[return-value]
    return people.from_meetings_me(answer.json())


def _json_or_detail(answer: Any) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {"code": "portal.upstream_unavailable", "detail": PORTAL_ERRORS["portal.upstream_unavailable"]}


@router.get("/api/events")
async def events(request: Request) -> StreamingResponse:
    """Server-sent events of the caller's district, from now on."""
    portal = _portal(request)
    session = await _session(request)
    if not session.caller.district:  # a city-level caller: no district's stream is theirs
        raise PortalError(403, "portal.city_no_events")
    hub = portal.events
    heartbeat = portal.settings.heartbeat_seconds
    district = session.caller.district
    # The stream ends with the session: EventSource reconnects and meets the 401.
    expires = _expiry(session.token)

    async def stream():
        async with hub.stream(district) as queue:
            # Comment first: the browser's EventSource is open (and the test can tell).
            yield b": connected\n\n"
            while time.time() < expires:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=min(heartbeat, max(0.1, expires - time.time())))
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                if event is None:  # fell behind: end; EventSource reconnects
                    return
                yield sse_message(event)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _expiry(token: str) -> float:
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    return float(exp) if isinstance(exp, (int, float)) else time.time() + 3600


@router.api_route("/api/{service}/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def proxied(service: str, path: str, request: Request) -> Response:
    portal = _portal(request)
    if service not in SERVICES:
        raise PortalError(404, "portal.not_found")
    if csrf_refused(request):
        raise PortalError(403, "portal.csrf")
    session = await _session(request)
    assert portal.proxy is not None
    return await portal.proxy.forward(service, path, request, session.token)


@router.api_route("/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def api_unknown(rest: str) -> Response:
    raise PortalError(404, "portal.not_found")


# --- the web app ------------------------------------------------------------------------------
def _index(portal: "Portal") -> Response:
    index = portal.settings.static_dir / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    # The shell must never be cached: it names the current build's hashed assets.
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/{path:path}", include_in_schema=False)
async def app_page(path: str, request: Request) -> Response:
    """A built file (hashed assets, favicon) when there is one; otherwise index.html, so the
    router's history-mode paths (/issues/ISS-1, /login) load the app."""
    portal = _portal(request)
    static = portal.settings.static_dir.resolve()
    if path:
        candidate = (static / path).resolve()
        if candidate.is_relative_to(static) and candidate.is_file():
            immutable = path.startswith("assets/")
            return FileResponse(candidate, headers={"Cache-Control": "public, max-age=31536000, immutable"
                                                    if immutable else "no-cache"})
        if path.startswith(NOT_PAGES) or path in ("api", "auth", "assets"):
            return error_response(404, "portal.not_found")
    return _index(portal)


def install(app: FastAPI) -> None:
    app.include_router(router)
