"""'Today' for a district. Dates in fourx are local dates of the district (Asia/Shanghai by
default); tests, the demo and rehearsals may set a district's today (operators only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


class SystemClock:
    def __init__(self, timezone: str = "Asia/Shanghai", now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._zone = ZoneInfo(timezone)
        self._now = now

    def today(self) -> date:
        return self._now().astimezone(self._zone).date()
