"""How a failing demo step is told to the operator: one line naming the step and the reason.

Invariant: whatever a step raises (an HTTP refusal, a service that is down, a timeout, a
check of the demo itself) becomes a `DemoFailed` whose text is a single line without a
traceback; the CLI prints it and exits non-zero. Pure: no I/O here.
"""

from __future__ import annotations

import json
import re

import httpx

MAX_REASON = 400  # characters; a refusal's detail can carry a whole document


class DemoFailed(Exception):
    """A demo step failed; `str()` is the line the operator reads."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(step, reason)
        self.step, self.reason = step, reason

    def __str__(self) -> str:
        return f"演示失败【{self.step}】：{self.reason}"


def one_line(text: str, limit: int = MAX_REASON) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _detail(response: httpx.Response) -> str:
    """What the service said, without the JSON wrapping (`detail`, or its `message`)."""
    try:
        detail = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        return response.text
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return detail["message"]
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)


def http_error(response: httpx.Response) -> str:
    """`POST /districts/…/progress → 409：the item is closed; …` in one line."""
    request = response.request
    return one_line(f"{request.method} {request.url.path} → {response.status_code}：{_detail(response)}")


def _request_of(exc: httpx.RequestError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # raised by httpx when the error was made without a request
        return None


def reason(exc: BaseException) -> str:
    """One line saying why, for any exception a step may raise."""
    if isinstance(exc, DemoFailed):
        return exc.reason
    if isinstance(exc, httpx.HTTPStatusError):
        return http_error(exc.response)
    if isinstance(exc, httpx.RequestError):
        request = _request_of(exc)
        where = f"{request.url.scheme}://{request.url.netloc.decode()}" if request else "服务"
        if isinstance(exc, httpx.ConnectError):
            return one_line(f"无法连接 {where}（服务未运行？用 `make status` 查看，`make up` 启动）")
        if isinstance(exc, httpx.TimeoutException):
            return one_line(f"{request.method} {where}{request.url.path} 超时" if request else f"{where} 超时")
        return one_line(f"{where}：{type(exc).__name__}: {exc}")
    text = str(exc)
    # The demo's own checks raise RuntimeError with a sentence already; others need their name.
    return one_line(text if type(exc) is RuntimeError and text else f"{type(exc).__name__}: {text}")
