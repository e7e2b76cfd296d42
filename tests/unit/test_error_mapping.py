"""One mapping of domain refusals to HTTP (fourx_platform.http.install_error_handlers): each
kind answers with its status and a body a client can read, whatever service raised it."""

from __future__ import annotations

import ast
import asyncio
import sys
from pathlib import Path

import fourx_platform.errors
import httpx
import pytest
from fastapi import FastAPI
from fourx_platform import error_codes
from fourx_platform.auth import Refusal
from fourx_platform.errors import DomainError, Invalid, NotAllowed, NotFound
from fourx_platform.inputs import InputRefused
from fourx_platform.failures import is_transient
from fourx_platform.http import install_error_handlers
from fourx_platform.versioned import ConcurrencyConflict


class WithFacts(DomainError):
    def facts(self) -> dict:
        return {"missing": {"summary": True}}


def _answer(exc: Exception, method: str = "POST", path: str = "/act", **kwargs) -> httpx.Response:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/act")
    async def act() -> None:
        raise exc

    @app.post("/typed")
    async def typed(body: dict[str, int]) -> None:
        return None

    async def call() -> httpx.Response:
        # As a server answers: the app's exception is not raised into the client.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(call())


@pytest.mark.parametrize(("exc", "status"), [
    (DomainError("还不能结束"), 409),
    (NotAllowed("只能为本单位办理"), 403),
    (NotFound("没有这个事项"), 404),
    (Invalid("due_date", "办理时限早于提出日期"), 422),
    (ConcurrencyConflict("d/item-1"), 409),
])
def test_each_kind_answers_with_its_status(exc, status):
    assert _answer(exc).status_code == status


def test_a_plain_refusal_is_its_message():
    assert _answer(NotFound("没有这个事项")).json() == {"code": "not_found", "detail": "没有这个事项"}


def test_a_rule_about_a_field_names_it():
    response = _answer(DomainError("事项已办结", field="status"))
    assert response.status_code == 409
    assert response.json() == {"code": "refused", "detail": {"field": "status", "message": "事项已办结"}}


def test_an_invalid_value_reads_like_fastapis_own_422():
    response = _answer(Invalid("outcomes.0.responsible", "名册中没有这个单位"))
    assert response.json() == {"code": "invalid", "detail": [{"loc": ["body", "outcomes", 0, "responsible"],
                                                              "msg": "名册中没有这个单位", "type": "value_error"}]}


def test_structured_facts_go_beside_the_message():
    response = _answer(WithFacts("还不能结束"))
    assert response.status_code == 409
    assert response.json() == {"code": "refused", "detail": {"message": "还不能结束", "missing": {"summary": True}}}


def test_a_lost_write_race_is_a_conflict_to_repeat():
    body = _answer(ConcurrencyConflict("d/item-1")).json()
    assert "d/item-1" in body["detail"] and body["code"] == "conflict.retry"


@pytest.mark.parametrize(("exc", "code"), [
    (DomainError("还不能结束"), "refused"),
    (NotAllowed("只能为本单位办理"), "forbidden"),
    (NotFound("没有这个事项"), "not_found"),
    (Invalid("due_date", "办理时限早于提出日期"), "invalid"),
    (DomainError("事项已办结", field="status", code="item.wrong_status"), "item.wrong_status"),
    (NotAllowed("签收人不是你", code="notice.not_yours"), "notice.not_yours"),
    (Invalid("x", "不行", code="directory.invalid"), "directory.invalid"),
])
def test_a_refusal_names_its_code_the_kinds_generic_one_unless_given(exc, code):
    assert _answer(exc).json()["code"] == code == exc.code
    assert code in error_codes.CATALOG


def test_the_http_surface_answers_with_codes_too():
    unknown = _answer(None, "GET", "/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["code"] == "route.not_found"
    wrong_method = _answer(None, "DELETE", "/act")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "route.method_not_allowed"
    invalid = _answer(None, "POST", "/typed", json={"a": "not a number"})
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "invalid" and invalid.json()["detail"][0]["loc"] == ["body", "a"]
    refused = _answer(Refusal(401, "令牌无效", code="auth.token_invalid"))
    assert refused.status_code == 401 and refused.json() == {"code": "auth.token_invalid", "detail": "令牌无效"}
    values = _answer(InputRefused(("a",), "int_too_large", "整数过大"))
    assert values.status_code == 422 and values.json()["code"] == "input.value_refused"


def test_an_unexpected_failure_is_a_json_500_with_the_code_internal():
    response = _answer(KeyError("a bug"))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"code": "internal", "detail": "服务内部错误，操作未完成"}


def test_the_store_away_for_a_moment_is_a_503_to_retry():
    from pymongo.errors import ServerSelectionTimeoutError

    response = _answer(ServerSelectionTimeoutError("no primary"))
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["code"] == "unavailable"


def test_the_message_keeps_its_field_for_logs_and_the_dlq():
    assert str(Invalid("percent", "进度须在 0 到 100 之间")) == "percent: 进度须在 0 到 100 之间"
    assert str(DomainError("还不能结束")) == "还不能结束"


def test_a_domain_refusal_is_permanent_and_a_conflict_transient():
    assert not is_transient(DomainError("x")) and not is_transient(Invalid("f", "x"))
    assert is_transient(ConcurrencyConflict("d/x"))


def test_the_errors_module_is_standard_library_only():
    """So a pure domain may import it."""
    tree = ast.parse(Path(fourx_platform.errors.__file__).read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots
