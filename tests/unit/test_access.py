"""The access table is complete and enforced before an app serves: a district route without a
row, or one that does not go through `authorize`, stops the app from being built."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fourx_platform.access import ANY_PERSON, AccessTable, Authorized, CityAuthorized, roles
from fourx_platform.auth import Caller, TokenVerifier, verified_caller
from fourx_platform.http import service_app


class NoService:
    runtime = None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def directory_people(self, district: str) -> list[dict] | None:
        return None


def build(router: APIRouter, table: dict):
    return service_app(NoService(), title="t", routers=[router], access_table=AccessTable(table),
                       verifier=TokenVerifier(dev=True))


def test_a_route_without_a_row_stops_the_build():
    router = APIRouter(prefix="/districts/{district}")

    @router.get("/things")
    async def things(caller: Authorized) -> dict:
        return {}

    @router.post("/things")
    async def add_thing(caller: Authorized) -> dict:
        return {}

    build(router, {("GET", "/districts/{district}/things"): ANY_PERSON,
                   ("POST", "/districts/{district}/things"): roles("party_office")})
    with pytest.raises(RuntimeError, match="without an access rule.*POST"):
        build(router, {("GET", "/districts/{district}/things"): ANY_PERSON})


def test_a_route_that_skips_authorize_stops_the_build():
    router = APIRouter(prefix="/districts/{district}")

    @router.get("/things")
    async def things(caller: Annotated[Caller, Depends(verified_caller)]) -> dict:  # token only
        return {}

    with pytest.raises(RuntimeError, match="do not depend on access.authorize"):
        build(router, {("GET", "/districts/{district}/things"): ANY_PERSON})


def test_city_routes_are_read_only_and_guarded():
    router = APIRouter(prefix="/cities/{city}")

    @router.get("/outcomes")
    async def outcomes(caller: CityAuthorized) -> dict:
        return {}

    build(router, {("GET", "/cities/{city}/outcomes"): roles("city_org_dept")})
    with pytest.raises(RuntimeError, match="without an access rule"):
        build(router, {})

    @router.post("/outcomes")
    async def change(caller: CityAuthorized) -> dict:
        return {}

    with pytest.raises(RuntimeError, match="city routes must be GET only"):
        build(router, {("GET", "/cities/{city}/outcomes"): roles("city_org_dept"),
                       ("POST", "/cities/{city}/outcomes"): roles("city_org_dept")})


def test_a_city_route_that_skips_authorize_city_stops_the_build():
    router = APIRouter(prefix="/cities/{city}")

    @router.get("/outcomes")
    async def outcomes(caller: Annotated[Caller, Depends(verified_caller)]) -> dict:  # token only
        return {}

    with pytest.raises(RuntimeError, match="do not depend on access.authorize_city"):
        build(router, {("GET", "/cities/{city}/outcomes"): roles("city_org_dept")})
