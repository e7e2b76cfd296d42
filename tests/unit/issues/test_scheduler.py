"""The service's own periodic daily check (a round in the platform's loop) uses the injected clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from fourx_issues.domain.model import LadderPolicy, Source, UnitRef
from fourx_issues.entrypoints import scheduler
from fourx_issues.service_layer import handlers
from fourx_platform.clock import FixedClock
from fourx_platform.loops import every

from tests.unit.issues.fakes import FakeUnitOfWork


@dataclass
class FakeService:
    clock: FixedClock
    policy: LadderPolicy = LadderPolicy()
    uow: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)

    def unit_of_work(self) -> FakeUnitOfWork:
        return self.uow


async def test_periodic_check_climbs_as_the_clock_moves():
    service = FakeService(FixedClock(date(2026, 12, 1)))
    for district in ("d1", "d2"):
        await handlers.raise_item(handlers.RaiseItem(
            district=district, title="任务", description="", source=Source("meeting_task", "m/t"),
            responsible=UnitRef("street", "s1"), due_date=date(2026, 12, 4), raised_on=date(2026, 11, 6)),
            service.uow)
    task = asyncio.create_task(every(0.001, lambda: scheduler.check_all(service)))
    try:
        await asyncio.sleep(0.02)
        assert not service.uow.events("issue-overdue")
        service.clock.day = date(2026, 12, 5)
        for _ in range(500):
            if len(service.uow.events("notice-issued")) == 2:
                break
            await asyncio.sleep(0.002)
    finally:
        task.cancel()
    assert {e.district for e in service.uow.events("issue-overdue")} == {"d1", "d2"}
    assert [e.data["number"] for e in service.uow.events("notice-issued")] == ["督办〔2026〕第1号"] * 2
    assert len(service.uow.events("issue-overdue")) == 2
