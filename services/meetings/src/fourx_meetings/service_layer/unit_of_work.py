from __future__ import annotations

from collections.abc import Callable

from pymongo.asynchronous.database import AsyncDatabase

from fourx_meetings.adapters.repository import (
    ActivityDayRepository,
    ActivityRepository,
    ClockOverrides,
    DirectoryRepository,
    SupervisionRepository,
)


class MongoUnitOfWork:
    """The repositories of one use case. Each aggregate is saved with its integration events
    in one single-document write (the outbox); `committed()` then wakes the relay."""

    def __init__(self, db: AsyncDatabase, after_commit: Callable[[], None] = lambda: None):
        self.directories = DirectoryRepository(db)
        self.activity_days = ActivityDayRepository(db)
        self.activities = ActivityRepository(db)
        self.supervision = SupervisionRepository(db)
        self.clocks = ClockOverrides(db)
        self._after_commit = after_commit

    def committed(self) -> None:
        self._after_commit()
