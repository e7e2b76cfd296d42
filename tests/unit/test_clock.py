"""The one clock (`fourx_platform.clock`) and the meetings service's per-district override
built on it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fourx_meetings.service_layer.clock import DistrictClock
from fourx_platform.clock import DEFAULT_TIME_ZONE, FixedClock, SystemClock


def test_system_clock_today_is_the_local_date_of_its_time_zone():
    before = datetime.now(UTC)
    shanghai, honolulu = SystemClock().today(), SystemClock("Pacific/Honolulu").today()
    assert SystemClock().time_zone == DEFAULT_TIME_ZONE == "Asia/Shanghai"
    # UTC+8 and UTC-10 are 18 hours apart: the dates differ by one day or none, Shanghai ahead.
    assert shanghai - honolulu in (timedelta(0), timedelta(days=1))
    after = datetime.now(UTC)
    assert shanghai in {(before + timedelta(hours=8)).date(), (after + timedelta(hours=8)).date()}


def test_system_clock_now_is_an_aware_utc_instant():
    now = SystemClock().now()
    assert now.tzinfo is UTC and abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_fixed_clock_stands_still_until_moved():
    clock = FixedClock(date(2026, 12, 1))
    assert clock.today() == clock.today() == date(2026, 12, 1)
    assert clock.now() == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # local midnight in Shanghai
    clock.day = date(2026, 12, 5)
    assert clock.today() == date(2026, 12, 5)


class Overrides:
    def __init__(self, days: dict[str, date]):
        self.days = days

    async def get(self, district: str) -> date | None:
        return self.days.get(district)

    async def set(self, district: str, today: date | None) -> None:
        raise AssertionError("not used")


async def test_a_district_override_counts_only_in_dev_mode_and_when_allowed(monkeypatch):
    store = Overrides({"d1": date(2026, 10, 28)})
    clock = DistrictClock(FixedClock(date(2026, 12, 1)), lambda: store)
    monkeypatch.setenv("FOURX_DEV_MODE", "1")
    assert await clock.today("d1") == date(2026, 10, 28)
    assert await clock.today("d2") == date(2026, 12, 1)  # no override: the platform clock's day
    assert await DistrictClock(FixedClock(date(2026, 12, 1)), lambda: store, allow_override=False).today("d1") \
        == date(2026, 12, 1)
    monkeypatch.setenv("FOURX_DEV_MODE", "0")
    assert not clock.override_allowed()
    assert await clock.today("d1") == date(2026, 12, 1)
