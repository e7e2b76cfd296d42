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
from fourx_platform import paging
from fourx_platform.access import Authorized, CityAuthorized
from fourx_platform.errors import Invalid, NotFound
from fourx_contracts.types import IsoWeek

from fourx_notify.adapters.render import render_docx, render_html
from fourx_notify.adapters.summary import render_summary_docx
from fourx_notify.adapters.deliveries import body_ref
from fourx_notify.service_layer.delivery import make_now
from fourx_notify.domain.outcomes import (FACT_TYPES, FIGURE_KEYS, Period, PeriodInvalid, compute_facts,
                                          compute_outcomes, district_league, months_of, parse_period)

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


@router.get("/districts/{district}/bulletins", tags=["bulletins"], responses=paging.NEXT_PAGE)
async def list_bulletins(request: Request, response: Response, district: str, caller: Authorized,
                         limit: paging.Limit = paging.DEFAULT_LIMIT, offset: paging.Offset = 0) -> dict:
    """One page of the district's bulletins, newest week first (week, 第N期, title, when made, its
    figures); `next_offset`/`next` give the next page. The texts are at `/bulletins/{week}…`."""
    found = await request.app.state.service.bulletins().of_district(district, offset=offset, limit=limit + 1)
    page = paging.page_of(found, offset, limit)
    bulletins = [{k: v for k, v in b.items() if k != "_id"} for b in page.items]
    return {"count": len(bulletins), "bulletins": bulletins, **paging.announce(request, response, page)}


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
    bulletin = await _bulletin(request, district, week)
    repo = request.app.state.service.deliveries()
    await make_now(repo, body_ref(report_id, bulletin["content_hash"]))
    return {"report_id": report_id, "channels": await repo.outcome_counts(district, report_id)}


@router.get("/districts/{district}/bulletins/{week}/acknowledgements", tags=["inbox"])
async def get_acknowledgements(request: Request, district: str, week: Week, caller: Authorized) -> dict:
    """The office's view: every recipient of the week's bulletin, signed or not."""
    bulletin = await _bulletin(request, district, week)
    repo = request.app.state.service.deliveries()
    await make_now(repo, body_ref(bulletin["report_id"], bulletin["content_hash"]))
    items = await repo.for_ref(district, bulletin["report_id"])
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


# --- outcome figures (成效数据), the period summary (工作总结), the city level -----------------------------
PeriodQuery = Annotated[str, Query(max_length=20, description="2026-11 (month), 2026-Q4, 2026 (year), 2026-ytd")]


def _period(request: Request, text: str) -> Period:
    try:
        return parse_period(text, request.app.state.service.clock.today())
    except PeriodInvalid as exc:
        raise Invalid("period", str(exc)) from exc


async def _district_facts(request: Request, district: str, period: Period) -> dict[str, Any]:
    events = await request.app.state.service.event_store().of_types(district, FACT_TYPES)
    return compute_facts(events, period)


def _figures_view(district: str, period: Period, figures: dict[str, int]) -> dict[str, Any]:
    return {"district": district, "period": period.key, "label": period.label, "from": period.start.isoformat(),
            "to": period.end.isoformat(), "figures": figures}


@router.get("/districts/{district}/outcomes", tags=["outcomes"])
async def get_outcomes(request: Request, district: str, caller: Authorized, period: PeriodQuery) -> dict:
    """The district's outcome figures for a period, computed from the stored events."""
    p = _period(request, period)
    return _figures_view(district, p, (await _district_facts(request, district, p))["figures"])


@router.get("/districts/{district}/outcomes/summary.docx", tags=["outcomes"])
async def get_summary_docx(request: Request, district: str, caller: Authorized, period: PeriodQuery) -> Response:
    """The period summary (工作总结) in the source's shape, figures filled in, narrative left to the office."""
    p = _period(request, period)
    facts = await _district_facts(request, district, p)
    directory = await request.app.state.service.event_store().directory(district) or {}
    name = directory.get("district_name") or district
    return Response(render_summary_docx(name, p, facts), media_type=DOCX,
                    headers=_attachment(f"{name}工作总结-{p.key}.docx"))


async def _city_rows(request: Request, city: str, period: Period) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    districts = await request.app.state.service.city_districts(city)
    rows = {d: (await _district_facts(request, d, period))["figures"] for d in sorted(districts)}
    return districts, rows


@router.get("/cities/{city}/districts", tags=["city"])
async def get_city_districts(request: Request, city: str, caller: CityAuthorized) -> dict:
    """The districts of the city: those whose directory names it."""
    districts = await request.app.state.service.city_districts(city)
    return {"city": city, "districts": [{"district": d, "name": n} for d, n in sorted(districts.items())]}


@router.get("/cities/{city}/outcomes", tags=["city"])
async def get_city_outcomes(request: Request, city: str, caller: CityAuthorized, period: PeriodQuery) -> dict:
    """Every district's figures side by side, and the city's totals."""
    p = _period(request, period)
    names, rows = await _city_rows(request, city, p)
    totals = {key: sum(r[key] for r in rows.values()) for key in FIGURE_KEYS}
    return {"city": city, "period": p.key, "label": p.label, "from": p.start.isoformat(), "to": p.end.isoformat(),
            "districts": [{"district": d, "name": names[d], "figures": f} for d, f in rows.items()], "totals": totals}


@router.get("/cities/{city}/league", tags=["city"])
async def get_city_league(request: Request, city: str, caller: CityAuthorized, period: PeriodQuery) -> dict:
    """The city's districts ranked on the period's figures (domain/outcomes.district_league)."""
    p = _period(request, period)
    names, rows = await _city_rows(request, city, p)
    return {"city": city, "period": p.key, "label": p.label,
            "league": [{**row, "name": names[row["district"]]} for row in district_league(rows)]}


@router.get("/cities/{city}/trend", tags=["city"])
async def get_city_trend(request: Request, city: str, caller: CityAuthorized,
                         year: Annotated[int, Query(ge=2000, le=2100)]) -> dict:
    """Month by month of one year: each district's figures and the city's totals."""
    names = await request.app.state.service.city_districts(city)
    store = request.app.state.service.event_store()
    events = {d: await store.of_types(d, FACT_TYPES) for d in sorted(names)}
    months = []
    for month in months_of(year):
        p = _period(request, month)
        by_district = {d: compute_outcomes(found, p) for d, found in events.items()}
        months.append({"month": month, "districts": by_district,
                       "totals": {key: sum(f[key] for f in by_district.values()) for key in FIGURE_KEYS}})
    return {"city": city, "year": year, "districts": [{"district": d, "name": n} for d, n in sorted(names.items())],
            "months": months}


@router.get("/cities/{city}/districts/{district}/outcomes", tags=["city"])
async def get_city_district_outcomes(request: Request, city: str, district: str, caller: CityAuthorized,
                                     period: PeriodQuery) -> dict:
    """One district's figures, for its city (403 for a district of another city)."""
    p = _period(request, period)
    return {"city": city, **_figures_view(district, p, (await _district_facts(request, district, p))["figures"])}
