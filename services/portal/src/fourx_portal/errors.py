"""The portal's own refusals: JSON `{code, detail}` with a Chinese `detail`, like the
services' error bodies, so the console words every error the same way."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

# code → what the console shows (also served by /api/error-codes).
PORTAL_ERRORS: dict[str, str] = {
    "auth.signed_out": "请先登录",
    "auth.session_expired": "登录已过期，请重新登录",
    "auth.unknown_person": "名册中没有这个人员，请从人员列表中选择",
    "auth.unknown_city": "没有哪个区的名册属于这个市，请从市列表中选择",
    "portal.city_no_events": "市级账号没有区的实时消息，请在市级总览中查看各区成效数据",
    "auth.sign_in_failed": "登录失败，请重新登录；仍不成功请联系区委党建办",
    "auth.not_configured": "统一身份认证尚未配置，请联系系统管理员",
    "portal.csrf": "请求被拒绝：请回到工作台页面，在页面上重新操作",
    "portal.not_found": "页面或接口不存在",
    "portal.method_not_allowed": "不支持此操作",
    "portal.invalid_request": "请求参数不正确，请检查后重试",
    "portal.upstream_unavailable": "后台服务暂时无法访问，请稍后再试",
    "portal.events_unavailable": "实时消息暂时不可用，请稍后刷新页面",
}


class PortalError(Exception):
    def __init__(self, status: int, code: str, detail: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail or PORTAL_ERRORS[code]
        self.headers = headers


def error_response(status: int, code: str, detail: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "detail": detail or PORTAL_ERRORS[code]}, status_code=status,
                        headers=headers)


# Security headers on every answer: no MIME sniffing, no framing (clickjacking), no referrer
# leaving the origin.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin"}


def install(app: FastAPI) -> None:
    @app.exception_handler(PortalError)
    async def refused(_request: Request, exc: PortalError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.detail, exc.headers)

    # The framework's own refusals, worded like the rest (never English to a user).
    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, _exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "portal.invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "portal.not_found", 405: "portal.method_not_allowed"}.get(exc.status_code,
                                                                              "portal.invalid_request")
        return error_response(exc.status_code, code, headers=getattr(exc, "headers", None))

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
