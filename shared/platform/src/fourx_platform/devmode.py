"""Dev mode: the local stack, the test suite and the demo — never a deployment.

`FOURX_DEV_MODE=1` is set by `make up` for the services it starts, by the test suite and by
the demo; nothing else sets it. It relaxes only what rehearsals need (the district clock
override, default issuer/audience of the local token issuer, plain-http JWKS) and never
turns a check off: a service still needs a verification key."""

from __future__ import annotations

import os
from collections.abc import Mapping

DEV_MODE_ENV = "FOURX_DEV_MODE"


def dev_mode(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(DEV_MODE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
