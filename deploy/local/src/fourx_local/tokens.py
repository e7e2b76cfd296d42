"""The local stack is its own token issuer: a key pair made on the first `make up` under the
state folder (`.fourx/auth/`, ignored by git), the public key handed to the services, the
private key used by `fourx-dev token` and the demo. Nothing here is used in production."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from fourx_platform import devkeys
from fourx_platform.auth import DEV_AUDIENCE, DEV_ISSUER

from fourx_local.paths import state_dir

# The demo's operator (moves the simulated clock); listed in the services' FOURX_AUTH_OPERATORS.
DEMO_OPERATOR = "demo-operator"


def local_keys() -> devkeys.DevKeys:
    return devkeys.generate(state_dir() / "auth")


def service_env() -> dict[str, str]:
    """Environment of a service the local stack starts: dev mode, the public key, the operator."""
    env = local_keys().env(operators=[DEMO_OPERATOR])
    env[devkeys.PRIVATE_KEY_ENV] = ""  # services verify; they never hold the signing key
    return env


def signer_env() -> dict[str, str]:
    """For the one process that signs dev sessions (the portal's dev sign-in): the private key."""
    return {devkeys.PRIVATE_KEY_ENV: str(local_keys().private_key_file)}


def issue_token(person_id: str, district: str | None, roles: Iterable[str], *,
                ttl: timedelta = timedelta(hours=12), city: str | None = None) -> str:
    """A district token, or with `city` (and no district) a city-level token."""
    # The issuer and audience service_env() gives the services, whatever this shell says.
    extra = {"city": city} if city else {}
    return devkeys.issue_token(person_id, district, roles, ttl=ttl, private_key_file=local_keys().private_key_file,
                               issuer=DEV_ISSUER, audience=DEV_AUDIENCE, **extra)
