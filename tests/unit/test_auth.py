from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from fourx_contracts.auth import PLATFORM_ROLE, AuthSettings, Caller, district_caller, issue_token

app = FastAPI()


@app.get("/districts/{district}/things")
def things(caller: Annotated[Caller, Depends(district_caller("party_office"))]) -> dict:
    return {"person": caller.person_id}


client = TestClient(app)


def bearer(district: str, *roles: str, **kw) -> dict:
    return {"Authorization": f"Bearer {issue_token('p1', district, roles, **kw)}"}


def test_own_district_and_role_pass():
    assert client.get("/districts/a/things", headers=bearer("a", "party_office")).json() == {"person": "p1"}


def test_other_district_is_forbidden():
    response = client.get("/districts/b/things", headers=bearer("a", "party_office"))
    assert response.status_code == 403 and "district" in response.json()["detail"]


def test_missing_role_is_forbidden():
    assert client.get("/districts/a/things", headers=bearer("a", "community_secretary")).status_code == 403


def test_missing_or_forged_token_is_unauthorised():
    assert client.get("/districts/a/things").status_code == 401
    forged = bearer("a", "party_office", settings=AuthSettings(secret="another-secret-of-sufficient-length-000"))
    assert client.get("/districts/a/things", headers=forged).status_code == 401


def test_platform_admin_may_act_anywhere():
    assert client.get("/districts/z/things", headers=bearer("ops", PLATFORM_ROLE)).status_code == 200
