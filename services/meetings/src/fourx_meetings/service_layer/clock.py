"""'Today' for a district: the platform clock's local date, unless an operator has set the
district's today (`PUT /districts/{d}/clock`, for tests, the demo and rehearsals). An
override counts only when the service allows it (MEETINGS_ALLOW_CLOCK_OVERRIDE) and runs in
dev mode (FOURX_DEV_MODE=1), never in production."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fourx_platform.clock import Clock
from fourx_platform.devmode import dev_mode

from fourx_meetings.service_layer.unit_of_work import ClockStore


class DistrictClock:
    def __init__(self, clock: Clock, overrides: Callable[[], ClockStore], allow_override: bool = True):
        self.clock = clock
        self._overrides = overrides
        self._allow_override = allow_override

    def override_allowed(self) -> bool:
        return self._allow_override and dev_mode()

    async def today(self, district: str) -> date:
        if self.override_allowed():
            override = await self._overrides().get(district)
            if override is not None:
                return override
        return self.clock.today()
