"""Development keys: the local stack, the tests and the demo act as their own token issuer.

`generate()` makes an ES256 key pair in a folder that is never committed (the checkout's
`.fourx/auth/`, a test session's temporary folder); services get only the public key
(`FOURX_AUTH_PUBLIC_KEY_FILE`), and `issue_token` signs with the private key named by
`FOURX_AUTH_PRIVATE_KEY_FILE`. Production tokens come from the OpenID Connect provider.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fourx_platform.auth import DEV_AUDIENCE, DEV_ISSUER, public_key_fingerprint
from fourx_platform.devmode import DEV_MODE_ENV

PRIVATE_KEY_ENV = "FOURX_AUTH_PRIVATE_KEY_FILE"
ALGORITHM = "ES256"


@dataclass(frozen=True)
class DevKeys:
    folder: Path

    @property
    def private_key_file(self) -> Path:
        return self.folder / "signing-key.pem"

    @property
    def public_key_file(self) -> Path:
        return self.folder / "public-key.pem"

    @property
    def jwks_file(self) -> Path:
        return self.folder / "jwks.json"

    def exists(self) -> bool:
        return self.private_key_file.exists() and self.public_key_file.exists() and self.jwks_file.exists()

    def env(self, *, operators: Iterable[str] = ()) -> dict[str, str]:
        """What a service started in dev mode (and a signer) needs to know."""
        return {DEV_MODE_ENV: "1", "FOURX_AUTH_PUBLIC_KEY_FILE": str(self.public_key_file),
                "FOURX_AUTH_ISSUER": DEV_ISSUER, "FOURX_AUTH_AUDIENCE": DEV_AUDIENCE,
                "FOURX_AUTH_OPERATORS": ",".join(operators), PRIVATE_KEY_ENV: str(self.private_key_file)}


def generate(folder: Path) -> DevKeys:
    """A fresh key pair (and its JWKS) in `folder`, unless one is there already."""
    keys = DevKeys(folder)
    if keys.exists():
        return keys
    folder.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(keys.private_key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = private.public_key()
    keys.public_key_file.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
    jwk.update(kid=public_key_fingerprint(public)[:16], alg=ALGORITHM, use="sig")
    keys.jwks_file.write_text(json.dumps({"keys": [jwk]}))
    return keys


def sign(claims: dict[str, Any], private_key_file: Path, *, kid: str | None = None) -> str:
    key = serialization.load_pem_private_key(private_key_file.read_bytes(), password=None)
    kid = kid or public_key_fingerprint(key.public_key())[:16]
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


def issue_token(person_id: str, district: str | None, roles: Iterable[str], *, ttl: timedelta = timedelta(hours=12),
                private_key_file: Path | str | None = None, issuer: str | None = None,
                audience: str | None = None, **extra: Any) -> str:
    """A token as the provider would issue it: sub, district, roles, iss, aud, iat, exp.
    Issuer and audience default to what the services read (FOURX_AUTH_ISSUER/AUDIENCE)."""
    path = private_key_file or os.environ.get(PRIVATE_KEY_ENV)
    if not path:
        raise RuntimeError(f"no development signing key: set {PRIVATE_KEY_ENV} (the local stack and the "
                           "test suite do; production tokens come from the OpenID Connect provider)")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": person_id, "roles": sorted(roles), "iat": now, "exp": now + ttl,
        "iss": issuer or os.environ.get("FOURX_AUTH_ISSUER") or DEV_ISSUER,
        "aud": audience or os.environ.get("FOURX_AUTH_AUDIENCE") or DEV_AUDIENCE, **extra}
    if district is not None:
        claims["district"] = district
    return sign(claims, Path(path))
