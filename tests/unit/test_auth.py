from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI
from fourx_contracts.auth import PLATFORM_ROLE, AuthSettings, Caller, district_caller, issue_token

app = FastAPI()


@app.get("/districts/{district}/things")
def things(caller: Annotated[Caller, Depends(district_caller("party_office"))]) -> dict:
    return {"person": caller.person_id}


async def get(path: str, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(path, headers=headers)


def bearer(district: str, *roles: str, **kw) -> dict:
    return {"Authorization": f"Bearer {issue_token('p1', district, roles, **kw)}"}


async def test_own_district_and_role_pass():
    response = await get("/districts/a/things", bearer("a", "party_office"))
    assert response.json() == {"person": "p1"}


async def test_other_district_is_forbidden():
    response = await get("/districts/b/things", bearer("a", "party_office"))
    assert response.status_code == 403 and "district" in response.json()["detail"]


async def test_missing_role_is_forbidden():
    assert (await get("/districts/a/things", bearer("a", "community_secretary"))).status_code == 403


async def test_missing_or_forged_token_is_unauthorised():
    assert (await get("/districts/a/things")).status_code == 401
    forged = bearer("a", "party_office", settings=AuthSettings(secret="another-secret-of-sufficient-length-000"))
    assert (await get("/districts/a/things", forged)).status_code == 401


async def test_platform_admin_may_act_anywhere():
    assert (await get("/districts/z/things", bearer("ops", PLATFORM_ROLE))).status_code == 200
