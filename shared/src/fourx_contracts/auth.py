"""The token scheme every service's HTTP API shares.

A bearer JWT (HS256) names the caller (`sub`, a person id), their district and their roles.
Every route is scoped to a district in its path: a token of another district gets 403, a
missing or bad token 401, a role the route does not admit 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "fourx-dev-secret-change-me-in-production-0123456789"
ALGORITHM = "HS256"
# Operators and internal jobs: may act in any district.
PLATFORM_ROLE = "platform_admin"


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOURX_AUTH_", extra="ignore")

    secret: str = DEV_SECRET
    issuer: str = "fourx"


@dataclass(frozen=True)
class Caller:
    person_id: str
    district: str
    roles: frozenset[str]

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles.intersection(roles)) or PLATFORM_ROLE in self.roles


def issue_token(person_id: str, district: str, roles: Iterable[str], *,
                settings: AuthSettings | None = None, ttl: timedelta = timedelta(hours=12)) -> str:
    """Tokens for the demo, the tests and a dev login; production puts its own issuer in front."""
    settings = settings or AuthSettings()
    now = datetime.now(UTC)
    claims = {"sub": person_id, "district": district, "roles": sorted(roles), "iss": settings.issuer,
              "iat": now, "exp": now + ttl}
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


def decode_token(token: str, settings: AuthSettings | None = None) -> Caller:
    settings = settings or AuthSettings()
    try:
        claims = jwt.decode(token, settings.secret, algorithms=[ALGORITHM], issuer=settings.issuer,
                            options={"require": ["sub", "exp", "iss"]})
    except jwt.PyJWTError as exc:
        raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
    district, roles = claims.get("district"), claims.get("roles")
    if not isinstance(district, str) or not isinstance(roles, list):
        raise HTTPException(401, "invalid token: it must name a district and a list of roles")
    return Caller(person_id=claims["sub"], district=district, roles=frozenset(map(str, roles)))


_bearer = HTTPBearer(auto_error=False)


def _caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return decode_token(credentials.credentials)


def district_caller(*roles: str) -> Callable[..., Caller]:
    """A FastAPI dependency for routes under `/districts/{district}/...`: the caller must
    belong to that district and, when `roles` are given, hold one of them."""

    def dependency(district: Annotated[str, Path()], caller: Annotated[Caller, Depends(_caller)]) -> Caller:
        if caller.district != district and PLATFORM_ROLE not in caller.roles:
            raise HTTPException(403, f"this token is for district {caller.district!r}, not {district!r}")
        if roles and not caller.has_any(roles):
            raise HTTPException(403, f"this action needs one of the roles {sorted(roles)}; "
                                     f"the token has {sorted(caller.roles)}")
        return caller

    return dependency
