"""The portal's own refusals: JSON `{code, detail}` with a Chinese `detail`, like the
services' error bodies, so the console words every error the same way."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# code → what the console shows (also served by /api/error-codes).
PORTAL_ERRORS: dict[str, str] = {
    "auth.signed_out": "请先登录",
    "auth.session_expired": "登录已过期，请重新登录",
    "auth.unknown_person": "名册中没有这个人员，请从人员列表中选择",
    "auth.sign_in_failed": "登录失败，请重新登录；仍不成功请联系区委党建办",
    "auth.not_configured": "统一身份认证尚未配置，请联系系统管理员",
    "portal.csrf": "请求被拒绝：请从工作台页面操作（缺少 X-Requested-With 请求头）",
    "portal.not_found": "页面或接口不存在",
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


def install(app: FastAPI) -> None:
    @app.exception_handler(PortalError)
    async def refused(_request: Request, exc: PortalError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.detail, exc.headers)
