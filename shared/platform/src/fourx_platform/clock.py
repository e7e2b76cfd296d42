"""The one clock of every service: "today" is the district's local date (Asia/Shanghai unless
a service's `<PREFIX>_TIME_ZONE` says otherwise); "now" is an aware UTC instant. Injected, so
tests and simulations can hold time still or move it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Clock(Protocol):
    def today(self) -> date: ...

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class SystemClock:
    time_zone: str = DEFAULT_TIME_ZONE

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.time_zone)).date()

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that shows one day until told otherwise (tests, simulations); its `now()` is
    that day's local midnight."""

    day: date
    time_zone: str = DEFAULT_TIME_ZONE

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        return datetime.combine(self.day, time(), ZoneInfo(self.time_zone)).astimezone(UTC)
