"""HTTP API of the notify service: the bulletin (JSON, HTML page, Markdown and .docx
downloads), the in-app inbox and acknowledgement (签收), and the office's view of who has
not signed. Every route is scoped to its district; who may call it is the table in
entrypoints/access.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fourx_platform.access import Authorized
from fourx_platform.errors import NotFound
from fourx_contracts.types import IsoWeek

from fourx_notify.adapters.render import render_docx, render_html

router = APIRouter()
# An ISO week that exists (2025-W53 does not), years 2000–2100: anything else is a 422 naming `week`.
Week = Annotated[IsoWeek, Path(description="ISO week, e.g. 2026-W48")]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _bulletin(request: Request, district: str, week: str) -> dict:
    bulletin = await request.app.state.service.bulletins().get(f"{district}:{week}")
    if bulletin is None:
        raise NotFound(f"{district} 在 {week} 周还没有工作通报", code="bulletin.not_found")
    return bulletin


# The bulletin page needs nothing but its own inline <style>: no scripts, images, frames,
# forms or fetches, and no page may frame it. Its text is autoescaped; this is the second wall.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _attachment(filename: str) -> dict[str, str]:
    # A download, never rendered in the browser, whatever the user text in it.
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff"}


@router.get("/districts/{district}/bulletins/{week}", tags=["bulletins"])
async def get_bulletin(request: Request, district: str, week: Week, caller: Authorized) -> dict:
    bulletin = await _bulletin(request, district, week)
    bulletin.pop("_id", None)
    bulletin.pop("view", None)
    return bulletin


@router.get("/districts/{district}/bulletins/{week}/html", response_class=HTMLResponse, tags=["bulletins"])
async def get_bulletin_html(request: Request, district: str, week: Week, caller: Authorized) -> HTMLResponse:
    bulletin = await _bulletin(request, district, week)
    return HTMLResponse(render_html(bulletin["view"], bulletin["stats"]), headers=PAGE_HEADERS)


@router.get("/districts/{district}/bulletins/{week}/markdown", response_class=PlainTextResponse, tags=["bulletins"])
async def get_bulletin_markdown(request: Request, district: str, week: Week, caller: Authorized) -> Response:
    bulletin = await _bulletin(request, district, week)
    return PlainTextResponse(bulletin["markdown"], media_type="text/markdown; charset=utf-8",
                             headers=_attachment(f"{bulletin['title']}-{week}.md"))


@router.get("/districts/{district}/bulletins/{week}/docx", tags=["bulletins"])
async def get_bulletin_docx(request: Request, district: str, week: Week, caller: Authorized) -> Response:
    bulletin = await _bulletin(request, district, week)
    return Response(render_docx(bulletin["view"], bulletin["stats"]), media_type=DOCX,
                    headers=_attachment(f"{bulletin['title']}-{week}.docx"))


@router.get("/districts/{district}/bulletins/{week}/deliveries", tags=["bulletins"])
async def get_deliveries(request: Request, district: str, week: Week, caller: Authorized) -> dict:
    """How many recipients got the bulletin on which channel (channel → status → count)."""
    report_id = f"{district}:{week}"
    await _bulletin(request, district, week)
    repo = request.app.state.service.deliveries()
    return {"report_id": report_id, "channels": await repo.outcome_counts(district, report_id)}


@router.get("/districts/{district}/bulletins/{week}/acknowledgements", tags=["inbox"])
async def get_acknowledgements(request: Request, district: str, week: Week, caller: Authorized) -> dict:
    """The office's view: every recipient of the week's bulletin, signed or not."""
    bulletin = await _bulletin(request, district, week)
    items = await request.app.state.service.deliveries().for_ref(district, bulletin["report_id"])
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["channel"] == "inbox" and item.get("version") == bulletin["content_hash"]:
            latest[item["recipient_id"]] = item
    signed = [_ack_row(i) for i in latest.values() if i.get("acknowledged_at")]
    unsigned = [_ack_row(i) for i in latest.values() if not i.get("acknowledged_at")]
    return {"report_id": bulletin["report_id"], "recipients": len(latest), "acknowledged": signed,
            "not_acknowledged": unsigned}


def _ack_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"person_id": item["recipient_id"], "name": item.get("recipient_name"), "item_id": item["_id"],
            "acknowledged_at": item.get("acknowledged_at")}


@router.get("/districts/{district}/inbox", tags=["inbox"])
async def get_inbox(request: Request, district: str, caller: Authorized,
                    unacknowledged: Annotated[bool, Query(description="only items not yet signed")] = False) -> dict:
    items = await request.app.state.service.deliveries().inbox(district, caller.person_id, unacknowledged)
    return {"person_id": caller.person_id, "items": [_inbox_row(i) for i in items]}


@router.post("/districts/{district}/inbox/{item_id}/acknowledge", tags=["inbox"])
async def acknowledge(request: Request, district: str, item_id: str, caller: Authorized) -> dict:
    """签收: idempotent; the first acknowledgement's time is kept."""
    item = await request.app.state.service.deliveries().acknowledge(district, caller.person_id, item_id,
                                                                    datetime.now(UTC))
    if item is None:
        raise NotFound(f"{caller.person_id} 的待办中没有 {item_id}", code="inbox.not_found")
    return _inbox_row(item)


def _inbox_row(item: dict[str, Any]) -> dict[str, Any]:
    return {"item_id": item["_id"], "kind": item["kind"], "ref": item["ref"], "subject": item["subject"],
            "body": item.get("body"), "week": item.get("week"), "received_at": item.get("delivered_at"),
            "acknowledged_at": item.get("acknowledged_at")}
