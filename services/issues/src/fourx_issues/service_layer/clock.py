"""Today's date in the district's time zone, injectable so tests and the demo can move time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Clock(Protocol):
    def today(self) -> date: ...


@dataclass(frozen=True)
class SystemClock:
    time_zone: str = DEFAULT_TIME_ZONE

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.time_zone)).date()


@dataclass
class FixedClock:
    """A clock that shows one day until told otherwise (tests, simulations)."""

    day: date

    def today(self) -> date:
        return self.day
