"""HTTP API of the notify service: the bulletins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import PlainTextResponse

router = APIRouter()
WEEK = Path(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W48")


async def _bulletin(request: Request, district: str, week: str) -> dict:
    bulletin = await request.app.state.service.bulletins().get(f"{district}:{week}")
    if bulletin is None:
        raise HTTPException(404, f"no bulletin for district {district} in week {week}; publish report-requested first")
    return bulletin


@router.get("/districts/{district}/bulletins/{week}")
async def get_bulletin(request: Request, district: str, week: str = WEEK) -> dict:
    bulletin = await _bulletin(request, district, week)
    bulletin.pop("_id", None)
    return bulletin


@router.get("/districts/{district}/bulletins/{week}/markdown", response_class=PlainTextResponse)
async def get_bulletin_markdown(request: Request, district: str, week: str = WEEK) -> PlainTextResponse:
    bulletin = await _bulletin(request, district, week)
    return PlainTextResponse(bulletin["markdown"], media_type="text/markdown; charset=utf-8")
