"""OpenID Connect sign-in (production mode) against a small fake provider served on a
loopback port: authorization code with PKCE (S256), state and nonce checked, the ID token
verified with the provider's JWKS; the session then carries the provider's access token,
which a service verifies itself with the same JWKS (fourx_platform.auth), as in production."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient
from fourx_platform import devkeys
from fourx_platform.auth import AuthSettings, Caller, TokenVerifier, verified_caller
from fourx_platform.kafka import KafkaSettings

from fourx_portal.bootstrap import build_portal, create_app
from fourx_portal.oidc import FLOW_COOKIE, code_challenge
from fourx_portal.settings import PortalSettings

from tests.unit.portal.test_portal_http import DIRECTORY

CLIENT_ID = "fourx-console"
CLIENT_SECRET = "s3cret-from-the-secret-store"
REDIRECT = "https://console.example/auth/callback"
API_AUDIENCE = "fourx-api"


@dataclass
class FakeProvider:
    """Just enough of an OpenID provider, and a 'meetings' that verifies its tokens."""

    url: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    codes: dict[str, dict] = field(default_factory=dict)
    # What signs ID tokens: the published key, unless a test swaps in another.
    id_token_key: Any = None
    redeemed: list[str] = field(default_factory=list)

    def sign(self, claims: dict, key: Any = None) -> str:
        now = datetime.now(UTC)
        return jwt.encode({"iss": self.url, "iat": now, "exp": now + timedelta(minutes=10), **claims},
                          key or self.key, algorithm="RS256", headers={"kid": "k1"})

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict:
            return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks"}

        @app.get("/jwks")
        def jwks() -> dict:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID and q["redirect_uri"] == REDIRECT
            assert q["code_challenge_method"] == "S256" and "openid" in q["scope"].split()
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": q["code_challenge"], "nonce": q["nonce"]}
            return RedirectResponse(f"{REDIRECT}?{urlencode({'code': code, 'state': q['state']})}", status_code=302)

        @app.post("/token")
        async def token(request: Request) -> dict:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            grant_type, code, redirect_uri = form.get("grant_type"), form.get("code", ""), form.get("redirect_uri")
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            code_verifier = form.get("code_verifier", "")
            issued = self.codes.pop(code, None)  # a code is good once
            if (issued is None or grant_type != "authorization_code" or redirect_uri != REDIRECT
                    or client_id != CLIENT_ID or client_secret != CLIENT_SECRET):
                raise HTTPException(400, "invalid_grant")
            if code_challenge(code_verifier) != issued["challenge"]:
                raise HTTPException(400, "invalid_grant: PKCE verifier does not match")
            self.redeemed.append(code)
            return {"token_type": "Bearer", "expires_in": 600,
                    "id_token": self.sign({"sub": "p-sec", "aud": CLIENT_ID, "nonce": issued["nonce"]},
                                          self.id_token_key),
                    "access_token": self.sign({"sub": "p-sec", "aud": API_AUDIENCE, "district": "d",
                                               "roles": ["community_secretary"]})}

        # The 'meetings' service: verifies the bearer token with the provider's JWKS.
        @app.get("/districts/{district}/me")
        def me(district: str, caller: Annotated[Caller, Depends(verified_caller)]) -> dict:
            assert caller.district == district and caller.person_id == "p-sec"
            return {"district": district, "district_name": DIRECTORY["district_name"], "person_id": "p-sec",
                    "name": "张伟", "operator": False,
                    "roles": [{"role": r, "label": "社区党委书记"} for r in sorted(caller.roles)],
                    "unit": {"kind": "community", "kind_label": "社区", "id": "c-1", "name": "和平社区",
                             "street": {"id": "s-1", "name": "东城街道"}}}

        return app


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    app = fake.app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    fake.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    # The service's verifier, as FOURX_AUTH_… would configure it against this provider.
    app.state.verifier = verifier(fake)
    yield fake
    server.should_exit = True
    thread.join(5)


def verifier(fake: FakeProvider) -> TokenVerifier:
    # Plain-http JWKS only because the fake runs on loopback (dev=True allows it); production needs https.
    return TokenVerifier(AuthSettings(issuer=fake.url, audience=API_AUDIENCE, jwks_url=f"{fake.url}/jwks",
                                      public_key_file=None, algorithms=["RS256"]), dev=True)


@pytest.fixture
def console(provider: FakeProvider, tmp_path, monkeypatch) -> Iterator[TestClient]:
    """A production portal (no dev mode, no signing key) configured for the fake provider."""
    monkeypatch.delenv(devkeys.PRIVATE_KEY_ENV)
    (tmp_path / "index.html").write_text("<!doctype html><div id=app></div>")
    settings = PortalSettings(static_dir=tmp_path, meetings_url=provider.url, oidc_issuer=provider.url,
                              oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                              oidc_redirect_url=REDIRECT)
    portal = build_portal(settings, KafkaSettings(), verifier(provider), dev=False)
    portal.events.start = lambda: None  # no Kafka here: the stream is not under test
    with TestClient(create_app(portal), base_url="https://console.example") as client:
        yield client


def start_sign_in(console: TestClient, next_path: str = "/items") -> tuple[str, dict[str, list[str]]]:
    started = console.get("/login", params={"next": next_path}, follow_redirects=False)
    assert started.status_code == 302
    target = started.headers["location"]
    return target, parse_qs(urlsplit(target).query)


def test_sign_in_with_code_and_pkce(console, provider):
    target, query = start_sign_in(console)
    assert target.startswith(f"{provider.url}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    flow_cookie = console.cookies.get(FLOW_COOKIE)
    # The flow cookie holds the verifier whose S256 the provider was given (PKCE binds the code
    # to this browser) and the nonce the ID token must carry.
    assert flow_cookie
    _state, nonce, verifier_, _next, _t = json.loads(base64.urlsafe_b64decode(flow_cookie))
    assert code_challenge(verifier_) == query["code_challenge"][0] and nonce == query["nonce"][0]
    assert 43 <= len(verifier_) <= 128  # RFC 7636

    back = httpx.get(target, follow_redirects=False)  # the browser at the provider
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT)
    callback = urlsplit(back.headers["location"])
    done = console.get(f"/auth/callback?{callback.query}", follow_redirects=False)
    assert done.status_code == 302 and done.headers["location"] == "/items"
    cookies = done.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("fourx_session="))
    assert "HttpOnly" in session and "Secure" in session and "SameSite=lax" in session
    assert provider.redeemed

    # The session carries the provider's access token; 'meetings' verified it with the JWKS.
    me = console.get("/api/me")
    assert me.status_code == 200, me.text
    assert me.json() == {"person_id": "p-sec", "name": "张伟", "district": "d", "district_name": "鼓楼区",
                         "roles": ["community_secretary"], "role_labels": {"community_secretary": "社区党委书记"},
                         "unit": {"kind": "community", "id": "c-1", "name": "和平社区", "street_id": "s-1",
                                  "street_name": "东城街道"}}


def test_a_callback_with_another_state_is_refused(console, provider):
    target, _query = start_sign_in(console)
    back = httpx.get(target, follow_redirects=False)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    forged = console.get("/auth/callback", params={"code": code, "state": "attacker"}, follow_redirects=False)
    assert forged.status_code == 400 and forged.json()["code"] == "auth.sign_in_failed"
    assert "fourx_session" not in console.cookies


def test_a_code_redeemed_without_this_browsers_verifier_is_refused(console, provider):
    target, _query = start_sign_in(console)
    back = httpx.get(target, follow_redirects=False)
    # Another sign-in's flow cookie (another verifier) with this code: the provider's PKCE check fails.
    start_sign_in(console)
    params = parse_qs(urlsplit(back.headers["location"]).query)
    fresh_state = json.loads(base64.urlsafe_b64decode(console.cookies.get(FLOW_COOKIE)))[0]
    answer = console.get("/auth/callback", params={"code": params["code"][0], "state": fresh_state},
                         follow_redirects=False)
    assert answer.status_code == 401 and answer.json() == {
        "code": "auth.sign_in_failed", "detail": "登录失败，请重新登录；仍不成功请联系区委党建办"}
    assert "fourx_session" not in console.cookies


def test_an_id_token_signed_by_another_key_is_refused(console, provider, monkeypatch):
    target, _query = start_sign_in(console)
    back = httpx.get(target, follow_redirects=False)
    monkeypatch.setattr(provider, "id_token_key", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    answer = console.get(f"/auth/callback?{urlsplit(back.headers['location']).query}", follow_redirects=False)
    assert answer.status_code == 401 and answer.json()["code"] == "auth.sign_in_failed"
    assert "fourx_session" not in console.cookies
