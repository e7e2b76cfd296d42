"""What the meetings handlers work through, as interfaces: the handlers see only `UnitOfWork`
and its stores, so the same use cases run on MongoDB in the service and on in-memory fakes in
unit tests (tests/unit/meetings/fakes.py).

The store's invariants, which every implementation keeps:
- an aggregate and its outgoing integration events are written together or not at all (one
  single-document write: the outbox lives in the document), so that write is the transaction;
- writes are optimistic: `save` at a version (0 = insert) raises ConcurrencyConflict
  (fourx_platform.versioned) when the stored version moved on, and the use case runs again
  on fresh state;
- the supervision read model applies each event's facts once per event id;
- `committed()` is called after a write that queued events, to wake the relay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from fourx_contracts.envelope import CloudEvent
from pymongo.asynchronous.database import AsyncDatabase

from fourx_meetings.adapters.repository import (
    ActivityDayRepository,
    ActivityRepository,
    ClockOverrides,
    DirectoryRepository,
    SuggestionRepository,
    SupervisionRepository,
)
from fourx_meetings.domain.activities import Activity
from fourx_meetings.domain.directory import Directory
from fourx_meetings.domain.model import ActivityDay
from fourx_meetings.domain.suggestions import Suggestion
from fourx_meetings.domain.supervision import SupervisionFacts, SupervisionItem


class DirectoryStore(Protocol):
    async def get(self, district: str) -> tuple[Directory | None, int, str | None]:
        """(directory, version, content hash); (None, 0, None) before the first import."""
    async def snapshot(self, district: str) -> dict[str, Any] | None: ...
    async def save(self, district: str, directory: Directory, version: int, outgoing: list[CloudEvent]) -> int:
        """Write at `version` (0 = first import); returns the new version."""
    async def districts(self) -> list[str]: ...


class ActivityDayStore(Protocol):
    async def get(self, district: str, meeting_id: str) -> tuple[ActivityDay | None, int]:
        """(day, version); (None, 0) when there is none."""
    async def save(self, day: ActivityDay, version: int, outgoing: list[CloudEvent]) -> int: ...
    async def list(self, district: str, *, offset: int = 0, limit: int | None = None) -> list[ActivityDay]: ...
    async def previous(self, district: str, before: date) -> ActivityDay | None: ...


class ActivityStore(Protocol):
    async def get(self, district: str, activity_id: str) -> Activity | None: ...
    async def list(self, district: str, *, offset: int = 0, limit: int | None = None) -> list[Activity]: ...
    async def add(self, activity: Activity, outgoing: list[CloudEvent]) -> None:
        """Insert; ConcurrencyConflict when the activity already exists."""


class SuggestionStore(Protocol):
    async def get(self, district: str, suggestion_id: str) -> tuple[Suggestion | None, int]:
        """(suggestion, version); (None, 0) when there is none."""
    async def save(self, suggestion: Suggestion, version: int, outgoing: list[CloudEvent]) -> int: ...
    async def list(self, district: str, *, offset: int = 0, limit: int | None = None) -> list[Suggestion]: ...


class SupervisionStore(Protocol):
    async def apply(self, district: str, issue_id: str, event_id: str, facts: SupervisionFacts) -> bool:
        """Apply once per event id; False for a duplicate."""
    async def for_community(self, district: str, community_id: str) -> list[SupervisionItem]: ...


class ClockStore(Protocol):
    async def get(self, district: str) -> date | None: ...
    async def set(self, district: str, today: date | None) -> None: ...


class UnitOfWork(Protocol):
    directories: DirectoryStore
    activity_days: ActivityDayStore
    activities: ActivityStore
    suggestions: SuggestionStore
    supervision: SupervisionStore
    clocks: ClockStore

    def committed(self) -> None: ...


class MongoUnitOfWork:
    """The repositories of one use case over the service's MongoDB database."""

    def __init__(self, db: AsyncDatabase, after_commit: Callable[[], None] = lambda: None):
        self.directories = DirectoryRepository(db)
        self.activity_days = ActivityDayRepository(db)
        self.activities = ActivityRepository(db)
        self.suggestions = SuggestionRepository(db)
        self.supervision = SupervisionRepository(db)
        self.clocks = ClockOverrides(db)
        self._after_commit = after_commit

    def committed(self) -> None:
        self._after_commit()
