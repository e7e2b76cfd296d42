from __future__ import annotations

from collections.abc import Callable

from pymongo.asynchronous.database import AsyncDatabase

from fourx_meetings.adapters.integration import to_integration_events
from fourx_meetings.adapters.repository import ActivityDayRepository
from fourx_meetings.domain.model import ActivityDay


class MongoUnitOfWork:
    """Saves touched aggregates with their integration events (outbox), then wakes the relay."""

    def __init__(self, db: AsyncDatabase, after_commit: Callable[[], None] = lambda: None):
        self.activity_days = ActivityDayRepository(db)
        self._after_commit = after_commit
        self._seen: list[ActivityDay] = []

    def track(self, day: ActivityDay) -> ActivityDay:
        self._seen.append(day)
        return day

    async def commit(self, correlationid: str | None = None) -> None:
        for day in self._seen:
            await self.activity_days.save(day, to_integration_events(day, correlationid))
            day.pending_events.clear()
        self._seen.clear()
        self._after_commit()
