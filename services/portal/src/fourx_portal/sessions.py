"""The browser's session: an HttpOnly, SameSite=Lax cookie holding the caller's bearer token
(Secure outside dev mode). Nothing is kept server-side, so any replica serves any session.
The token is verified here exactly as the services verify it (FOURX_AUTH_…), so the portal
knows the caller's district (the event stream's wall) and a stale cookie is a clean 401."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import jwt
from fastapi import HTTPException, Request, Response
from fourx_platform.auth import Caller, TokenVerifier

from fourx_portal.errors import PortalError

# What a mutating /api request must carry: a cross-site form cannot set a header.
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "fourx-console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    token: str
    caller: Caller


@dataclass(frozen=True)
class SessionCookie:
    name: str
    secure: bool

    def set(self, response: Response, token: str) -> None:
        response.set_cookie(self.name, token, max_age=_seconds_left(token), path="/", httponly=True,
                            secure=self.secure, samesite="lax")

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path="/", httponly=True, secure=self.secure, samesite="lax")


def _seconds_left(token: str) -> int:
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    return max(0, int(exp - time.time())) if isinstance(exp, (int, float)) else 3600


async def current_session(request: Request, cookie: SessionCookie, verifier: TokenVerifier) -> Session:
    """The verified session, or 401 `auth.signed_out` / `auth.session_expired`."""
    token = request.cookies.get(cookie.name)
    if not token:
        raise PortalError(401, "auth.signed_out")
    try:
        # Off the loop: a JWKS fetch (cached) blocks.
        caller = await asyncio.to_thread(verifier.verify, token)
    except HTTPException as exc:
        raise PortalError(401, "auth.session_expired") from exc
    return Session(token, caller)


def csrf_refused(request: Request) -> bool:
    return request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != CSRF_VALUE
