"""A service started as in production — `uvicorn --factory …:create_app`, outside dev mode —
without a verification key, or with the secret that shipped in the repository, exits non-zero
with one line saying why, before it serves anything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

FACTORIES = ["fourx_meetings.bootstrap:create_app", "fourx_issues.bootstrap:create_app",
             "fourx_notify.bootstrap:create_app"]
OLD_DEV_SECRET = "fourx-dev-secret-change-me-in-production-0123456789"


def start(factory: str, **settings: str) -> subprocess.CompletedProcess[str]:
    # Nothing of the test session's dev mode or keys leaks in: production as it starts.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOURX_AUTH_") and k != "FOURX_DEV_MODE"}
    env.update(settings)
    return subprocess.run([sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
                           "--port", "0"], env=env, text=True, capture_output=True, timeout=60)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


ISSUER = {"FOURX_AUTH_ISSUER": "https://idp.example", "FOURX_AUTH_AUDIENCE": "fourx"}


@pytest.mark.parametrize("factory, settings, reason", [
    (FACTORIES[0], {}, "FOURX_AUTH_ISSUER"),
    (FACTORIES[1], ISSUER, "no token verification key"),
    (FACTORIES[2], {**ISSUER, "FOURX_AUTH_SECRET": OLD_DEV_SECRET}, "published in the repository"),
], ids=["meetings: nothing configured", "issues: no key", "notify: the repository's secret"])
def test_a_service_without_a_proper_key_refuses_to_start(factory, settings, reason):
    result = start(factory, **settings)
    assert result.returncode != 0
    assert reason in one_line(result)


def test_with_a_private_key_for_a_public_one_a_service_refuses_to_start():
    private_key = os.environ["FOURX_AUTH_PRIVATE_KEY_FILE"]  # the test session's own, tests/conftest.py
    result = start(FACTORIES[0], FOURX_AUTH_PUBLIC_KEY_FILE=private_key, **ISSUER)
    assert result.returncode != 0 and "private key" in one_line(result)
