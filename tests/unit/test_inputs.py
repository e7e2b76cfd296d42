"""The input guard of the shared HTTP shell and the validated field types, over a small app
(no infrastructure): each limit answers with its 4xx before a route sees the input."""

from __future__ import annotations

import json
import time
from datetime import date

import httpx
import pytest
from fastapi import FastAPI, Request
from fourx_platform.inputs import InputGuard, InputLimits, InputRefused, check_value, load_json
from fourx_contracts.types import IsoWeek, Month, SaneDate
from pydantic import BaseModel, TypeAdapter, ValidationError

LIMITS = InputLimits(max_body_bytes=1000, max_upload_bytes=5000, max_json_depth=8)


class Body(BaseModel):
    value: object = None


def make_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(InputGuard, limits=LIMITS, uploads=[("PUT", "/districts/{district}/directory")])

    @app.post("/echo")
    async def echo(body: Body) -> dict:
        return {"value": body.value}

    @app.put("/districts/{district}/directory")
    async def upload(request: Request) -> dict:
        return {"size": len(await request.body())}

    @app.get("/districts/{district}")
    async def district(district: str, q: str | None = None) -> dict:
        return {"district": district, "q": q}

    return app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t") as c:
        yield c


def post_json(client: httpx.AsyncClient, raw: str | bytes):
    return client.post("/echo", content=raw, headers={"content-type": "application/json"})


async def test_a_fitting_body_reaches_the_route(client):
    response = await post_json(client, '{"value": [1, "两", {"k": 2.5}]}')
    assert response.status_code == 200
    assert response.json() == {"value": [1, "两", {"k": 2.5}]}


async def test_declared_length_over_the_limit_is_413_before_reading(client):
    response = await post_json(client, '{"value": "' + "x" * 2000 + '"}')
    assert response.status_code == 413
    assert "请求体过大" in response.json()["detail"]


async def test_streamed_body_without_length_is_counted(client):
    async def chunks():
        for _ in range(20):
            yield b"x" * 100

    response = await client.post("/echo", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_upload_route_takes_the_larger_limit(client):
    assert (await client.put("/districts/d1/directory", content=b"a" * 4000)).json() == {"size": 4000}
    assert (await client.put("/districts/d1/directory", content=b"a" * 6000)).status_code == 413
    # The larger limit is the upload route's only.
    assert (await client.post("/echo", content=b"a" * 4000)).status_code == 413


@pytest.mark.parametrize("depth", [9, 100_000])
async def test_deep_json_is_422(client, depth):
    started = time.monotonic()
    response = await post_json(client, '{"value": ' + "[" * depth + "]" * depth + "}"
                               if depth < 500 else b"[" * depth)
    assert response.status_code in (413, 422)  # 100 000 brackets are over the 1000-byte limit too
    if depth < 500:
        assert response.json()["detail"][0]["type"] == "json_too_deep"
    assert time.monotonic() - started < 2


def test_deep_json_without_size_limit_is_refused_not_recursion():
    with pytest.raises(InputRefused) as refused:
        load_json("[" * 200_000 + "]" * 200_000)
    assert refused.value.kind == "json_too_deep"


@pytest.mark.parametrize("literal", [str(2**53), "-" + str(2**63), "9" * 5000])
async def test_big_integers_are_422(literal):
    app = make_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post("/echo", content='{"value": ' + literal + "}",
                                headers={"content-type": "application/json"})
    if len(literal) > 900:
        assert response.status_code == 413  # over this app's 1000 bytes; load_json refuses it below
    else:
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["type"] == "int_too_large" and detail["loc"] == ["body", "value"]
    with pytest.raises(InputRefused):
        load_json('{"value": ' + literal + "}")


@pytest.mark.parametrize("raw", ['{"value": NaN}', '{"value": Infinity}', '{"value": 1e999}'])
async def test_non_finite_numbers_are_422(client, raw):
    response = await post_json(client, raw)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "number_not_finite"


@pytest.mark.parametrize(("raw", "kind", "loc"), [
    ('{"value": {"a\\u0000b": 1}}', "nul_character", ["body", "value", "a\x00b"]),
    ('{"value": "x\\u0000y"}', "nul_character", ["body", "value"]),
    ('{"value": ["\\ud800"]}', "lone_surrogate", ["body", "value", 0]),
    ('{"value": {"\\udfff": 1}}', "lone_surrogate", ["body", "value", "\\udfff"]),
])
async def test_nul_and_lone_surrogates_are_422(client, raw, kind, loc):
    response = await post_json(client, raw)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["type"] == kind and detail["loc"] == loc
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail["msg"])  # a message for people, in Chinese


async def test_malformed_json_is_left_to_fastapi(client):
    response = await post_json(client, '{"value": ')
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_nul_in_path_or_query_is_400(client):
    assert (await client.get("/districts/a%00b")).status_code == 400
    assert (await client.get("/districts/d1", params={"q": "a\x00b"})).status_code == 400
    assert (await client.get("/districts/d1", params={"q": "ok"})).json() == {"district": "d1", "q": "ok"}


def test_check_value_refuses_what_json_does_not_have():
    with pytest.raises(InputRefused) as refused:
        check_value({"when": date(2026, 1, 1)})
    assert refused.value.kind == "value_type" and refused.value.loc == ("when",)
    check_value({"people": [{"name": "张三", "n": 3, "ok": True, "x": None, "f": 1.5}]})


# --- validated field types ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_dates_outside_2000_2100_are_refused(value):
    with pytest.raises(ValidationError, match="超出允许范围"):
        TypeAdapter(SaneDate).validate_python(value)


def test_dates_inside_the_range_pass():
    assert TypeAdapter(SaneDate).validate_python("2026-11-29") == date(2026, 11, 29)


@pytest.mark.parametrize("week", ["2025-W53", "2027-W53", "2026-W00", "2026-W54", "0000-W01", "2101-W01", "2026-W4"])
def test_weeks_that_do_not_exist_are_refused(week):
    with pytest.raises(ValidationError):
        TypeAdapter(IsoWeek).validate_python(week)


def test_week_53_passes_in_a_year_that_has_one():
    assert TypeAdapter(IsoWeek).validate_python("2026-W53") == "2026-W53"  # 2026 begins on a Thursday
    with pytest.raises(ValidationError, match="2025 年没有第 53 周"):
        TypeAdapter(IsoWeek).validate_python("2025-W53")


@pytest.mark.parametrize("month", ["0000-01", "2026-13", "2026-00", "1999-12", "26-12"])
def test_months_out_of_range_are_refused(month):
    with pytest.raises(ValidationError):
        TypeAdapter(Month).validate_python(month)


def test_json_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("FOURX_HTTP_MAX_BODY_BYTES", "123")
    monkeypatch.setenv("FOURX_HTTP_MAX_JSON_DEPTH", "4")
    limits = InputLimits()
    assert (limits.max_body_bytes, limits.max_json_depth) == (123, 4)
    with pytest.raises(InputRefused):
        load_json(json.dumps([[[[[1]]]]]), limits)
