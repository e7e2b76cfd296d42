"""Tokens: only the configured provider's keys, asymmetric algorithms, iss/aud/exp required;
operators from configuration only. The OIDC path fetches a real JWKS over HTTP."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi import HTTPException
from fourx_platform import devkeys
from fourx_platform.auth import DEV_AUDIENCE, DEV_ISSUER, AuthConfigError, AuthSettings, TokenVerifier

# The HS256 secret main shipped in the repository (and accepted) before issue 9.
OLD_DEV_SECRET = "fourx-dev-secret-change-me-in-production-0123456789"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> devkeys.DevKeys:
    return devkeys.generate(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> devkeys.DevKeys:
    return devkeys.generate(tmp_path_factory.mktemp("other-keys"))


def settings(keys: devkeys.DevKeys, **kw) -> AuthSettings:
    return AuthSettings(**{"issuer": "https://idp.example", "audience": "fourx-prod",
                           "public_key_file": keys.public_key_file, **kw})


def token(keys: devkeys.DevKeys, roles=("party_office",), district="d1", **claims) -> str:
    now = datetime.now(UTC)
    body = {"sub": "p1", "district": district, "roles": roles if isinstance(roles, str) else list(roles), "iss": "https://idp.example",
            "aud": "fourx-prod", "iat": now, "exp": now + timedelta(minutes=5), **claims}
    return devkeys.sign({k: v for k, v in body.items() if v is not None}, keys.private_key_file)


def rejected(verifier: TokenVerifier, raw: str) -> bool:
    with pytest.raises(HTTPException) as caught:
        verifier.verify(raw)
    return caught.value.status_code == 401


def test_a_token_of_the_configured_key_is_accepted(keys):
    caller = TokenVerifier(settings(keys), dev=False).verify(token(keys))
    assert (caller.person_id, caller.district, caller.roles, caller.operator) == ("p1", "d1", {"party_office"}, False)


def test_any_other_key_or_the_old_dev_secret_gets_401(keys, other_keys):
    verifier = TokenVerifier(settings(keys), dev=False)
    assert rejected(verifier, token(other_keys))
    now = datetime.now(UTC)
    hs256 = jwt.encode({"sub": "p1", "district": "d1", "roles": ["party_office"], "iss": "https://idp.example",
                        "aud": "fourx-prod", "exp": now + timedelta(minutes=5)}, OLD_DEV_SECRET, algorithm="HS256")
    assert rejected(verifier, hs256)
    unsigned = jwt.encode({"sub": "p1", "district": "d1", "roles": [], "iss": "https://idp.example",
                           "aud": "fourx-prod", "exp": now + timedelta(minutes=5)}, None, algorithm="none")
    assert rejected(verifier, unsigned)


@pytest.mark.parametrize("claims", [{"aud": None}, {"exp": None}, {"iss": None}, {"sub": None},
                                    {"aud": "another-client"}, {"iss": "https://elsewhere.example"},
                                    {"exp": datetime.now(UTC) - timedelta(hours=1)}, {"district": None},
                                    {"roles": "party_office"}])
def test_missing_or_wrong_registered_claims_get_401(keys, claims):
    claims = dict(claims)
    assert rejected(TokenVerifier(settings(keys), dev=False), token(keys, roles=claims.pop("roles", ["x"]), **claims))


def test_platform_admin_is_never_taken_from_a_district_token(keys):
    caller = TokenVerifier(settings(keys), dev=False).verify(token(keys, roles=("platform_admin", "party_office")))
    assert not caller.operator and caller.roles == {"party_office"}


def test_a_city_token_names_its_city_and_no_district(keys):
    caller = TokenVerifier(settings(keys), dev=False).verify(token(keys, roles=("city_org_dept",), district=None,
                                                                   city="fuzhou"))
    assert (caller.city, caller.district, caller.roles, caller.operator) == ("fuzhou", "", {"city_org_dept"}, False)
    # The claim's name is configurable like the district's; without it, no district: 401.
    renamed = TokenVerifier(settings(keys, city_claim="shi"), dev=False)
    assert renamed.verify(token(keys, roles=("city_org_dept",), district=None, shi="fuzhou")).city == "fuzhou"
    assert rejected(renamed, token(keys, roles=("city_org_dept",), district=None, city="fuzhou"))
    # A district token keeps being a district token (its city claim, if any, opens no city route).
    assert TokenVerifier(settings(keys), dev=False).verify(token(keys, city="fuzhou")).district == "d1"


def test_operators_come_from_configuration(keys):
    verifier = TokenVerifier(settings(keys, operators="ops-1, ops-2"), dev=False)
    assert verifier.verify(token(keys, roles=(), district=None, sub="ops-2")).operator
    assert not verifier.verify(token(keys, sub="p-ops")).operator


@pytest.mark.parametrize("case, kw, dev, reason", [
    ("no key", {"public_key_file": None}, False, "no token verification key"),
    ("no key in dev mode either", {"public_key_file": None}, True, "no token verification key"),
    ("no issuer", {"issuer": None}, False, "FOURX_AUTH_ISSUER"),
    ("no audience", {"audience": None}, False, "FOURX_AUTH_AUDIENCE"),
    ("the repository's old secret", {"secret": OLD_DEV_SECRET}, False, "published in the repository"),
    ("any symmetric secret", {"secret": "x" * 64}, False, "public keys only"),
    ("HS256 allowed", {"algorithms": "RS256,HS256"}, False, "asymmetric algorithms only"),
    ("two kinds of key", {"jwks_url": "https://idp.example/jwks"}, False, "not both"),
    ("plain-http JWKS", {"public_key_file": None, "jwks_url": "http://idp.example/jwks"}, False, "https"),
])
def test_a_bad_configuration_is_refused_with_a_one_line_reason(keys, case, kw, dev, reason):
    with pytest.raises(AuthConfigError) as caught:
        TokenVerifier(settings(keys, **kw), dev=dev)
    assert reason in str(caught.value) and "\n" not in str(caught.value), case


def test_a_private_key_or_garbage_is_not_a_verification_key(keys, tmp_path: Path):
    with pytest.raises(AuthConfigError, match="private key"):
        TokenVerifier(settings(keys, public_key_file=keys.private_key_file), dev=False)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(AuthConfigError, match="not a PEM public key"):
        TokenVerifier(settings(keys, public_key_file=tmp_path / "junk.pem"), dev=False)


def test_a_key_file_of_the_repository_is_refused(keys):
    tracked = Path(__file__).resolve().parents[2] / "README.md"  # any file git tracks in this checkout
    with pytest.raises(AuthConfigError, match="published in the repository"):
        TokenVerifier(settings(keys, public_key_file=tracked), dev=True)


def test_dev_mode_defaults_issuer_and_audience_to_the_local_stack(keys):
    verifier = TokenVerifier(AuthSettings(public_key_file=keys.public_key_file), dev=True)
    assert (verifier.issuer, verifier.audience) == (DEV_ISSUER, DEV_AUDIENCE)
    raw = devkeys.issue_token("p1", "d1", ["party_office"], private_key_file=keys.private_key_file,
                              issuer=DEV_ISSUER, audience=DEV_AUDIENCE)
    assert verifier.verify(raw).district == "d1"


# --- the OpenID Connect path: a real JWKS over HTTP -------------------------------------------
@pytest.fixture(scope="module")
def jwks_url(keys: devkeys.DevKeys) -> Iterator[str]:
    body = keys.jwks_file.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def test_tokens_are_verified_with_the_providers_jwks(keys, other_keys, jwks_url):
    # Plain http only because dev mode allows it for this local provider; production needs https.
    verifier = TokenVerifier(AuthSettings(issuer="https://idp.example", audience="fourx-prod", jwks_url=jwks_url,
                                          public_key_file=None), dev=True)
    assert verifier.verify(token(keys)).person_id == "p1"
    assert rejected(verifier, token(other_keys))
    # Another key under the provider's key id is still another key.
    forged = devkeys.sign({"sub": "p1", "district": "d1", "roles": ["party_office"], "iss": "https://idp.example",
                           "aud": "fourx-prod", "exp": datetime.now(UTC) + timedelta(minutes=5)},
                          other_keys.private_key_file, kid=jwt.get_unverified_header(token(keys))["kid"])
    assert rejected(verifier, forged)
    assert rejected(verifier, token(keys, aud=None))
