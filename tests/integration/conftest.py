from __future__ import annotations

import pytest

# The service fixtures (meetings, issues, notify, meetings_http) and the session's trace file
# live in tests/conftest.py: the browser tests run against the same instances.
from tests.conftest import CLOCK_DAY  # noqa: F401  (tests import it from here)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session", autouse=True)
def tracing_on(trace_file):
    """As before the fixtures moved: tracing is on for every integration test."""
    return trace_file
