"""What a request may carry before any route sees it: one ASGI middleware for every service.

- **Size**: a body longer than its limit is refused with 413, whether it declares its length
  (`Content-Length`, refused before a byte is read) or streams it (counted as it arrives; the
  app gets the body only once it is known to fit). Routes that take uploads (the directory
  import) are named when the app is built and get the larger limit.
- **JSON**: a JSON body is read here first, with limits pydantic does not have: nesting depth
  (Python's parser recurses; 100 000 `[` used to end in a RecursionError, a 500), integer size
  (BSON stores 64 bits; a 5 000-digit literal costs quadratic time to read), non-finite numbers
  (`NaN`, `1e999`), NUL characters (MongoDB refuses them in keys; no text here needs one) and
  lone surrogates (`"\\ud800"` parses, then fails to encode as UTF-8 at the store or in the
  response). A violation is a 422 naming where it is; malformed JSON is left to FastAPI's own 422.
- **Target**: a NUL in the path or the query string is refused with 400.

The same value check (`check_value`) serves data parsed elsewhere, e.g. a YAML directory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MiB = 1024 * 1024


class InputLimits(BaseSettings):
    """`FOURX_HTTP_MAX_BODY_BYTES`, `FOURX_HTTP_MAX_UPLOAD_BYTES`, ... override these."""

    model_config = SettingsConfigDict(env_prefix="FOURX_HTTP_", extra="ignore")

    # Every JSON command of the APIs fits in a few kilobytes. Half a MiB leaves room for long
    # texts and keeps the event a command causes under the broker's 1 MiB record limit.
    max_body_bytes: int = MiB // 2
    # Routes declared as uploads (the organisation directory, YAML or JSON).
    max_upload_bytes: int = 2 * MiB
    max_json_depth: int = 32
    # The largest integer exact in every JSON reader (JavaScript's Number.MAX_SAFE_INTEGER),
    # well inside BSON's int64.
    max_json_int: int = 2**53 - 1


class InputRefused(ValueError):
    """A value breaks a limit; `loc` is the path to it, as in FastAPI's validation errors."""

    code = "input.value_refused"

    def __init__(self, loc: tuple[Any, ...], kind: str, message: str):
        self.loc, self.kind, self.message = loc, kind, message
        super().__init__(f"{'.'.join(map(str, loc)) or '(root)'}: {message}")

    def detail(self, prefix: tuple[str, ...] = ("body",)) -> list[dict[str, Any]]:
        return [{"type": self.kind, "loc": [*prefix, *map(_printable, self.loc)], "msg": self.message}]


class _LongInt(str):
    """An integer literal too long to turn into an int (refused by `check_value`)."""


class _Constant(str):
    """NaN, Infinity or -Infinity: not JSON, though Python's parser takes them."""


def _read_int(literal: str) -> int | _LongInt:
    return _LongInt(literal) if len(literal.lstrip("-")) > 20 else int(literal)


def load_json(raw: bytes | str, limits: InputLimits | None = None) -> Any:
    """Parse JSON within the limits. Raises InputRefused for a limit, ValueError for bad JSON."""
    limits = limits or InputLimits()
    try:
        data = json.loads(raw, parse_int=_read_int, parse_constant=_Constant)
    except RecursionError:
        raise InputRefused((), "json_too_deep", f"JSON 嵌套过深：最多 {limits.max_json_depth} 层") from None
    check_value(data, limits)
    return data


def check_value(data: Any, limits: InputLimits | None = None) -> None:
    """Walk parsed data (iteratively: no recursion on hostile depth) and raise InputRefused at
    the first value a service must not take: too deep, an integer out of range, a non-finite
    number, a NUL or a lone surrogate in a key or a string, or a type JSON doesn't have."""
    limits = limits or InputLimits()
    stack: list[tuple[Any, tuple[Any, ...], int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= limits.max_json_depth:
                raise InputRefused(path, "json_too_deep", f"嵌套过深：最多 {limits.max_json_depth} 层")
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise InputRefused(path, "key_type", "键必须是文本")
                    _check_text(key, path + (key,), "键")
                    stack.append((item, path + (key,), depth + 1))
            else:
                stack.extend((item, path + (i,), depth + 1) for i, item in enumerate(value))
        elif isinstance(value, _Constant):
            raise InputRefused(path, "number_not_finite", f"{value} 不是合法的 JSON 数值")
        elif isinstance(value, _LongInt):
            raise InputRefused(path, "int_too_large", f"整数过大：绝对值最大为 {limits.max_json_int}")
        elif isinstance(value, str):
            _check_text(value, path, "文本")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) > limits.max_json_int:
                raise InputRefused(path, "int_too_large", f"整数过大：绝对值最大为 {limits.max_json_int}")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InputRefused(path, "number_not_finite", "数值必须是有限数")
        else:
            raise InputRefused(path, "value_type", f"不支持的值类型 {type(value).__name__}（只接受 JSON 的类型）")


def _check_text(text: str, path: tuple[Any, ...], what: str) -> None:
    if "\x00" in text:
        raise InputRefused(path, "nul_character", f"{what}中不能含有 NUL 字符（\\u0000）")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputRefused(path, "lone_surrogate", f"{what}中含有不成对的代理字符，不是合法的 Unicode") from None


def _printable(part: Any) -> Any:
    # A location echoes the caller's key: make it safe to encode whatever it holds.
    return part.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(part, str) else part


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI reads a body without a content type as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class InputGuard:
    """The ASGI middleware. `uploads` are (method, path template) pairs that get the upload limit."""

    def __init__(self, app: ASGIApp, limits: InputLimits | None = None,
                 uploads: Iterable[tuple[str, str]] = ()):
        self.app = app
        self.limits = limits or InputLimits()
        self.uploads = [(method.upper(), compile_path(path)[0]) for method, path in uploads]

    def limit_for(self, scope: Scope) -> int:
        for method, pattern in self.uploads:
            if scope["method"] == method and pattern.match(scope["path"]):
                return self.limits.max_upload_bytes
        return self.limits.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            await _answer(send, 400, "请求路径或查询参数中不能含有 NUL 字符", code="input.bad_request")
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        limit = self.limit_for(scope)
        too_large = f"请求体过大：此接口最多接受 {limit} 字节"
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _answer(send, 400, "Content-Length 不是合法的数字", code="input.bad_request")
                return
            if int(declared) > limit:
                await _answer(send, 413, too_large, code="input.too_large")
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _answer(send, 413, too_large, code="input.too_large")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if body and _is_json(content_type):
            try:
                load_json(body, self.limits)
            except InputRefused as exc:
                await _answer(send, 422, exc.detail(), code=InputRefused.code)
                return
            except ValueError:
                pass  # malformed JSON: FastAPI answers with its own 422 naming the position
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, detail: Any, *, code: str) -> None:
    # The same body as every other refusal (fourx_platform.http): a stable code beside the detail.
    body = json.dumps({"code": code, "detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
