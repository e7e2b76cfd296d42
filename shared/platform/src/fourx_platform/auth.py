"""Who is calling: the bearer tokens every service's HTTP API verifies.

Tokens come from an OpenID Connect provider and are verified with its public keys only —
no signing secret lives in a service, in its configuration or in this repository:

- `FOURX_AUTH_ISSUER` and `FOURX_AUTH_AUDIENCE`: the `iss` and `aud` a token must carry;
- `FOURX_AUTH_JWKS_URL`: the provider's JWKS (its `jwks_uri`), fetched and cached by PyJWT's
  `PyJWKClient`; or `FOURX_AUTH_PUBLIC_KEY_FILE`: one PEM public key (the local stack, tests);
- asymmetric algorithms only (`FOURX_AUTH_ALGORITHMS`, default RS256, ES256, EdDSA); `exp`,
  `iss`, `aud` and `sub` are required.

Claims: `sub` is the person id of the district's directory; `district` the district
(`FOURX_AUTH_DISTRICT_CLAIM`); `roles` a list of role names (`FOURX_AUTH_ROLES_CLAIM`).
Cross-district power (`platform_admin`) is never read from a token: the subjects listed in
`FOURX_AUTH_OPERATORS` are operators, whatever their token says.

A service outside dev mode (`fourx_platform.devmode`: `FOURX_DEV_MODE=1`, set only by the
local stack, the tests and the demo) refuses to start without issuer, audience and a key, or
with a key that was published in this repository. What a caller may do once verified is `fourx_platform.access`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fourx_platform.devmode import dev_mode

# Operators' capacity: act in any district. From FOURX_AUTH_OPERATORS only, never a claim.
PLATFORM_ROLE = "platform_admin"
# What the local stack, the tests and the demo use when nothing else is configured.
DEV_ISSUER = "fourx-local"
DEV_AUDIENCE = "fourx"
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                   "ES256", "ES384", "ES512", "EdDSA"})
# SHA-256 of every key this repository ever published. The HS256 development secret that
# main shipped (and accepted) until issue 9; a service configured with it refuses to start.
PUBLISHED_KEY_SHA256 = frozenset({
    "cb68891ed2d85fedf7e0cf220c93cc536c496cc5223d8cf9017ec198c8bc08b9",  # the old DEV_SECRET
})


class AuthConfigError(RuntimeError):
    """The service cannot verify tokens safely; the message is one line for the operator."""


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOURX_AUTH_", extra="ignore")

    issuer: str | None = None
    audience: str | None = None
    jwks_url: str | None = None
    public_key_file: Path | None = None
    algorithms: Annotated[list[str], NoDecode] = ["RS256", "ES256", "EdDSA"]
    operators: Annotated[list[str], NoDecode] = []
    district_claim: str = "district"
    roles_claim: str = "roles"
    leeway_seconds: float = 30.0
    # Not a way to configure anything: read only to refuse a symmetric secret with a reason.
    secret: str | None = None

    @field_validator("algorithms", "operators", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        # "a,b" or a JSON list.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@dataclass(frozen=True)
class Caller:
    person_id: str
    district: str
    roles: frozenset[str]
    operator: bool = False
    # The caller's unit in the directory (kind, id); set once `access` has looked them up.
    unit: tuple[str, str] | None = None


def key_fingerprint(material: bytes) -> str:
    return hashlib.sha256(material).hexdigest()


def public_key_fingerprint(key: Any) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: the same for a PEM file and a JWK."""
    return key_fingerprint(key.public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo))


_ASYMMETRIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


class TokenVerifier:
    """Verifies bearer tokens against the configured provider. Built once per service, in
    its composition root; building it is where a bad configuration is refused."""

    def __init__(self, settings: AuthSettings | None = None, *, dev: bool | None = None):
        settings = settings or AuthSettings()
        dev = dev_mode() if dev is None else dev
        self.settings = settings
        self.issuer = settings.issuer or (DEV_ISSUER if dev else None)
        self.audience = settings.audience or (DEV_AUDIENCE if dev else None)
        self.operators = frozenset(settings.operators)
        self.algorithms = list(settings.algorithms)
        if settings.secret is not None:
            if key_fingerprint(settings.secret.encode()) in PUBLISHED_KEY_SHA256:
                raise AuthConfigError("FOURX_AUTH_SECRET is the development secret published in the repository; "
                                      "configure FOURX_AUTH_JWKS_URL or FOURX_AUTH_PUBLIC_KEY_FILE instead")
            raise AuthConfigError("FOURX_AUTH_SECRET is not accepted: tokens are verified with public keys only "
                                  "(FOURX_AUTH_JWKS_URL or FOURX_AUTH_PUBLIC_KEY_FILE)")
        weak = [a for a in self.algorithms if a not in ASYMMETRIC_ALGORITHMS]
        if weak or not self.algorithms:
            raise AuthConfigError(f"FOURX_AUTH_ALGORITHMS may name asymmetric algorithms only, not {weak or 'none'}")
        if not self.issuer or not self.audience:
            raise AuthConfigError("no token issuer/audience configured: set FOURX_AUTH_ISSUER and FOURX_AUTH_AUDIENCE "
                                  "(the OpenID Connect provider's issuer and this deployment's client id)")
        self._key: Any = None
        self._jwks: jwt.PyJWKClient | None = None
        if settings.public_key_file is not None and settings.jwks_url:
            raise AuthConfigError("set FOURX_AUTH_JWKS_URL or FOURX_AUTH_PUBLIC_KEY_FILE, not both")
        if settings.public_key_file is not None:
            self._key = _load_public_key(settings.public_key_file)
        elif settings.jwks_url:
            if not dev and not settings.jwks_url.startswith("https://"):
                raise AuthConfigError(f"FOURX_AUTH_JWKS_URL must be https outside dev mode: {settings.jwks_url}")
            self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300, timeout=10)
        else:
            raise AuthConfigError("no token verification key configured: set FOURX_AUTH_JWKS_URL "
                                  "(OpenID Connect provider) or FOURX_AUTH_PUBLIC_KEY_FILE")

    def _signing_key(self, token: str) -> Any:
        if self._key is not None:
            return self._key
        assert self._jwks is not None
        key = self._jwks.get_signing_key_from_jwt(token).key
        if not isinstance(key, _ASYMMETRIC_KEYS) or public_key_fingerprint(key) in PUBLISHED_KEY_SHA256:
            raise jwt.InvalidKeyError("the provider's key is not an acceptable public key")
        return key

    def verify(self, token: str) -> Caller:
        """A verified caller, or 401. Blocking on a JWKS fetch (cached): call it off the loop."""
        try:
            claims = jwt.decode(token, self._signing_key(token), algorithms=self.algorithms, issuer=self.issuer,
                                audience=self.audience, leeway=timedelta(seconds=self.settings.leeway_seconds),
                                options={"require": ["sub", "exp", "iss", "aud"]})
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise _unauthorised(f"令牌无效：{exc}") from exc
        subject = claims["sub"]
        district = claims.get(self.settings.district_claim)
        roles = claims.get(self.settings.roles_claim, [])
        if not isinstance(subject, str) or not subject:
            raise _unauthorised("令牌无效：sub 必须是人员编号")
        if subject in self.operators:
            return Caller(person_id=subject, district=district if isinstance(district, str) else "*",
                          roles=frozenset(), operator=True)
        if not isinstance(district, str) or not district or not isinstance(roles, list):
            raise _unauthorised(f"令牌无效：须含所属区（{self.settings.district_claim}）"
                                f"和角色列表（{self.settings.roles_claim}）")
        # A district token never grants operator power, whatever roles it lists.
        return Caller(person_id=subject, district=district,
                      roles=frozenset(str(r) for r in roles if r != PLATFORM_ROLE))


def _fourx_checkout() -> Path | None:
    """The source checkout this package runs from (an editable install), if any."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "contracts" / "src" / "fourx_contracts").is_dir() and (parent / ".git").exists():
            return parent
    return None


def _shipped_in_repository(path: Path) -> bool:
    """A file git tracks in fourx's own checkout has been (or will be) published with it."""
    root = _fourx_checkout()
    resolved = path.resolve()
    if root is None or not resolved.is_relative_to(root):
        return False
    try:
        found = subprocess.run(["git", "-C", str(root), "ls-files", "--error-unmatch", str(resolved)],
                               capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return found.returncode == 0


def _load_public_key(path: Path) -> Any:
    if _shipped_in_repository(path):
        raise AuthConfigError(f"FOURX_AUTH_PUBLIC_KEY_FILE {path} is a file published in the repository")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AuthConfigError(f"cannot read FOURX_AUTH_PUBLIC_KEY_FILE {path}: {exc.strerror}") from exc
    if b"PRIVATE KEY" in data:
        raise AuthConfigError(f"FOURX_AUTH_PUBLIC_KEY_FILE {path} holds a private key; give the service the public key only")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise AuthConfigError(f"FOURX_AUTH_PUBLIC_KEY_FILE {path} is not a PEM public key") from exc
    if not isinstance(key, _ASYMMETRIC_KEYS):
        raise AuthConfigError(f"FOURX_AUTH_PUBLIC_KEY_FILE {path}: unsupported key type {type(key).__name__}")
    if public_key_fingerprint(key) in PUBLISHED_KEY_SHA256:
        raise AuthConfigError(f"FOURX_AUTH_PUBLIC_KEY_FILE {path} is a key published in the repository")
    return key


def startup_verifier() -> TokenVerifier:
    """The verifier a service starts with, or exit with a one-line reason (no traceback):
    a service that cannot tell a forged token from a real one must not serve."""
    try:
        return TokenVerifier()
    except AuthConfigError as exc:
        print(f"fourx: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(78) from None  # EX_CONFIG


class Refusal(HTTPException):
    """An HTTP refusal before any route runs (token, access table) with its stable code
    (`fourx_platform.error_codes`); `fourx_platform.http` puts the code in the body."""

    def __init__(self, status_code: int, detail: Any, *, code: str, headers: dict[str, str] | None = None):
        super().__init__(status_code, detail, headers=headers)
        self.code = code


def _unauthorised(detail: str, *, code: str = "auth.token_invalid") -> Refusal:
    return Refusal(401, detail, code=code, headers={"WWW-Authenticate": "Bearer"})


_bearer = HTTPBearer(auto_error=False)


def verified_caller(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """The token's caller (signature, issuer, audience, expiry checked); not yet authorised.
    A plain function: FastAPI runs it in a worker thread, so a JWKS fetch never blocks the loop."""
    if credentials is None:
        raise _unauthorised("缺少身份令牌（Authorization: Bearer …）", code="auth.token_missing")
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:  # an app built without service_app: fail closed
        raise _unauthorised("本服务未配置令牌校验", code="auth.not_configured")
    return verifier.verify(credentials.credentials)


def issue_token(person_id: str, district: str | None, roles: Iterable[str], **kwargs: Any) -> str:
    """A token signed with the development key (tests, the demo, `fourx-dev token`); see
    `fourx_platform.devkeys`. Services never sign anything."""
    from fourx_platform.devkeys import issue_token as sign

    return sign(person_id, district, roles, **kwargs)
