"""`/api/{meetings,issues,notify}/<path>` → that service's `/<path>`, streamed both ways:
method, query string, body and content type go up with the session's bearer token; status,
content type, content disposition (downloads), the next page's `Link` (rewritten to the
proxy's path) and the body come back. Nothing else of the browser's request is forwarded
(no cookies: the services take tokens only)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from fourx_portal.errors import PortalError

UP_HEADERS = ("content-type", "accept", "accept-language", "if-none-match", "if-modified-since")
DOWN_HEADERS = ("content-type", "content-disposition", "cache-control", "etag", "last-modified", "retry-after")


class ServiceProxy:
    def __init__(self, http: httpx.AsyncClient, urls: dict[str, str]):
        self.http = http
        self.urls = urls

    async def forward(self, service: str, path: str, request: Request, token: str) -> StreamingResponse:
        base = self.urls.get(service)
        if base is None:
            raise PortalError(404, "portal.not_found")
        headers = {name: value for name in UP_HEADERS if (value := request.headers.get(name)) is not None}
        headers["authorization"] = f"Bearer {token}"
        # Raw bytes through: a compressed body would need its encoding passed and kept.
        headers["accept-encoding"] = "identity"
        upstream = self.http.build_request(
            request.method, f"{base}/{path}", params=request.url.query or None, headers=headers,
            content=request.stream() if request.method not in ("GET", "HEAD", "DELETE") else None)
        try:
            response = await self.http.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            raise PortalError(502, "portal.upstream_unavailable") from exc
        passed = {name: value for name in DOWN_HEADERS if (value := response.headers.get(name)) is not None}
        if link := response.headers.get("link"):
            passed["link"] = self._rewrite_link(service, link)
        return StreamingResponse(response.aiter_raw(), status_code=response.status_code, headers=passed,
                                 background=BackgroundTask(response.aclose))

    @staticmethod
    def _rewrite_link(service: str, link: str) -> str:
        # The service names its own URL (`<http://host:port/districts/…?offset=50>`); the
        # browser must come back through the proxy: keep path and query, under /api/<service>.
        def local(match: re.Match) -> str:
            url = urlsplit(match.group(1))
            query = f"?{url.query}" if url.query else ""
            return f"</api/{service}{url.path}{query}>"

        return re.sub(r"<([^>]*)>", local, link)
