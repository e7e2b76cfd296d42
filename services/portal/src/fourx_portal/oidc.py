"""OpenID Connect sign-in (production): the authorization-code flow with PKCE (RFC 7636).

`/login` sends the browser to the provider with a fresh `state`, `nonce` and S256 code
challenge; those three (and where to go back to) ride in a short-lived HttpOnly cookie
scoped to the callback, so any replica can finish the flow. `/auth/callback` checks the
state, redeems the code with the verifier (and the client secret, when the client has one),
verifies the ID token (signature by the provider's JWKS, issuer, audience = client id, nonce)
and hands back the token the session carries to the services."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from fourx_portal.settings import PortalSettings

FLOW_COOKIE = "fourx_oidc"
FLOW_SECONDS = 600


class SignInFailed(Exception):
    """The provider's answer cannot be trusted or used; the message is for the log."""


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Flow:
    """One sign-in in progress (what the flow cookie holds)."""

    state: str
    nonce: str
    verifier: str
    next: str
    started: float

    @classmethod
    def start(cls, next_path: str) -> "Flow":
        # 64 bytes → an 86-character verifier: within RFC 7636's 43–128.
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64), next_path,
                   time.time())

    def encode(self) -> str:
        raw = json.dumps([self.state, self.nonce, self.verifier, self.next, self.started]).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii")

    @classmethod
    def decode(cls, value: str | None) -> "Flow | None":
        if not value:
            return None
        try:
            state, nonce, verifier, next_path, started = json.loads(base64.urlsafe_b64decode(value.encode()))
            flow = cls(str(state), str(nonce), str(verifier), str(next_path), float(started))
        except (ValueError, TypeError):
            return None
        return flow if time.time() - flow.started <= FLOW_SECONDS else None


class OidcClient:
    """The portal as the provider's client. Discovery and the provider's keys are fetched on
    first use and cached (the provider may be down while the portal starts)."""

    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient):
        self.settings = settings
        self.http = http
        self._discovery: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKSet | None = None

    @property
    def issuer(self) -> str:
        assert self.settings.oidc_issuer
        return self.settings.oidc_issuer.rstrip("/")

    async def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            response = await self.http.get(url)
            if response.status_code != 200:
                raise SignInFailed(f"discovery {url} answered {response.status_code}")
            document = response.json()
            # OpenID Connect Discovery §4.3: the document's issuer is exactly the configured one.
            if document.get("issuer", "").rstrip("/") != self.issuer:
                raise SignInFailed(f"discovery names issuer {document.get('issuer')!r}, not {self.issuer!r}")
            self._discovery = document
        return self._discovery

    async def authorization_url(self, flow: Flow) -> str:
        document = await self.discovery()
        query = {"response_type": "code", "client_id": self.settings.oidc_client_id,
                 "redirect_uri": self.settings.oidc_redirect_url, "scope": self.settings.oidc_scopes,
                 "state": flow.state, "nonce": flow.nonce, "code_challenge": code_challenge(flow.verifier),
                 "code_challenge_method": "S256"}
        return f"{document['authorization_endpoint']}?{urlencode(query)}"

    async def redeem(self, code: str, flow: Flow) -> str:
        """The token the session carries, after the ID token checked out."""
        document = await self.discovery()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.settings.oidc_redirect_url,
                "client_id": self.settings.oidc_client_id, "code_verifier": flow.verifier}
        if self.settings.oidc_client_secret is not None:
            form["client_secret"] = self.settings.oidc_client_secret.get_secret_value()
        response = await self.http.post(document["token_endpoint"], data=form,
                                        headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise SignInFailed(f"token endpoint answered {response.status_code}: {response.text[:200]}")
        tokens = response.json()
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the token response has no id_token")
        await self._check_id_token(id_token, flow.nonce)
        session_token = tokens.get(self.settings.oidc_session_token)
        if not isinstance(session_token, str):
            raise SignInFailed(f"the token response has no {self.settings.oidc_session_token}")
        return session_token

    async def _signing_key(self, token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        for refresh in (False, True):
            if self._jwks is None or refresh:
                document = await self.discovery()
                response = await self.http.get(document["jwks_uri"])
                if response.status_code != 200:
                    raise SignInFailed(f"jwks answered {response.status_code}")
                self._jwks = jwt.PyJWKSet.from_dict(response.json())
            for key in self._jwks.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise SignInFailed(f"no key {kid!r} in the provider's JWKS")

    async def _check_id_token(self, id_token: str, nonce: str) -> None:
        issuer = (await self.discovery())["issuer"]
        try:
            claims = jwt.decode(id_token, await self._signing_key(id_token),
                                algorithms=["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"],
                                audience=self.settings.oidc_client_id, issuer=issuer, leeway=30,
                                options={"require": ["sub", "exp", "iss", "aud", "iat"]})
        except jwt.PyJWTError as exc:
            raise SignInFailed(f"ID token refused: {exc}") from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise SignInFailed("ID token nonce does not match this sign-in")
