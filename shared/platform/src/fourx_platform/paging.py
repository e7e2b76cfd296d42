"""Paginated lists, the same in every service: `limit` (default 50, at most 200) and `offset`
(at most 100,000) query parameters; a bad value is a 422 in Chinese naming the parameter.

A page is read with one entry more than asked for, so whether a next page exists is known
without counting. The answer says how to get the next page: a `Link: <…>; rel="next"`
header (RFC 8288) with the same query and the offset moved on, and — where the body is an
object — `next_offset` and `next` in it. The last page has neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BeforeValidator

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 100_000
T = TypeVar("T")


def _bounded(name: str, low: int, high: int):
    def parse(value: Any) -> int:
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            raise ValueError(f"{name} 须为 {low} 到 {high} 之间的整数")
        return int(text)
    return parse


# The bounds are checked by the validator (a Chinese message); the schema states them for clients.
Limit = Annotated[int, BeforeValidator(_bounded("limit", 1, MAX_LIMIT)),
                  Query(description=f"每页条数（1–{MAX_LIMIT}，默认 {DEFAULT_LIMIT}）",
                        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT})]
Offset = Annotated[int, BeforeValidator(_bounded("offset", 0, MAX_OFFSET)),
                   Query(description="跳过的条数（默认 0）；下一页见响应的 next_offset 或 Link 头",
                         json_schema_extra={"minimum": 0, "maximum": MAX_OFFSET})]

# For a paged route's decorator (`responses=paging.NEXT_PAGE`): the OpenAPI names the header.
NEXT_PAGE: dict[int | str, dict[str, Any]] = {200: {"description": "一页结果；还有下一页时带 Link 头", "headers": {
    "Link": {"description": '下一页：`<url>; rel="next"`（最后一页没有）', "schema": {"type": "string"}}}}}


@dataclass
class Page(Generic[T]):
    items: list[T]
    offset: int
    limit: int
    has_more: bool

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.items) if self.has_more else None


def page_of(found: Sequence[T], offset: int, limit: int) -> Page[T]:
    """`found`: at most `limit + 1` entries read from `offset` on."""
    return Page(list(found[:limit]), offset, limit, len(found) > limit)


def next_url(request: Request, page: Page) -> str | None:
    if page.next_offset is None:
        return None
    return str(request.url.include_query_params(offset=page.next_offset, limit=page.limit))


def announce(request: Request, response: Response, page: Page) -> dict[str, Any]:
    """Set the `Link` header of the next page; returns `next_offset` and `next` for the body."""
    url = next_url(request, page)
    if url is not None:
        response.headers["Link"] = f'<{url}>; rel="next"'
    return {"offset": page.offset, "limit": page.limit, "next_offset": page.next_offset, "next": url}


def plain_page(request: Request, response: Response, found: Sequence[T], offset: int, limit: int) -> list[T]:
    """A page for a route that answers a plain list: its entries, the next page in `Link`."""
    page = page_of(found, offset, limit)
    announce(request, response, page)
    return page.items
