"""What the handlers work through. Each repository write is one single-document write that
holds the state and its outgoing events (the outbox), so it is the transaction; `committed()`
wakes the relay afterwards. Unit tests substitute an in-memory implementation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fourx_contracts.envelope import CloudEvent
from pymongo.asynchronous.database import AsyncDatabase

from fourx_issues.adapters.repository import (
    DirectoryRepository, InspectionRepository, ItemRepository, NoticeCounter, SnapshotLog,
)
from fourx_issues.domain.model import Inspection, SupervisionItem


class ItemStore(Protocol):
    async def get(self, district: str, issue_id: str) -> SupervisionItem | None: ...
    async def add(self, item: SupervisionItem, correlationid: str | None = None) -> bool: ...
    async def save(self, item: SupervisionItem, correlationid: str | None = None) -> None: ...
    async def find(self, query: dict[str, Any], *, offset: int = 0,
                   limit: int | None = None) -> list[SupervisionItem]: ...
    async def not_closed(self, district: str) -> list[SupervisionItem]: ...
    async def districts_with_open_items(self) -> list[str]: ...
    async def fill_from_directory(self, district: str, street_of: dict[str, str],
                                  owner_of: dict[tuple[str, str], str]) -> None: ...


class InspectionStore(Protocol):
    async def get(self, district: str, inspection_id: str) -> Inspection | None: ...
    async def add(self, inspection: Inspection, correlationid: str | None = None) -> bool: ...
    async def save(self, inspection: Inspection, correlationid: str | None = None) -> None: ...
    async def find(self, query: dict[str, Any], *, offset: int = 0, limit: int | None = None) -> list[Inspection]: ...


class SnapshotStore(Protocol):
    async def add(self, district: str, week: str, event: CloudEvent) -> bool: ...


class UnitOfWork(Protocol):
    items: ItemStore
    inspections: InspectionStore
    notice_numbers: NoticeCounter
    directory: DirectoryRepository
    snapshots: SnapshotStore

    def committed(self) -> None: ...


class MongoUnitOfWork:
    def __init__(self, db: AsyncDatabase, after_commit: Callable[[], None] = lambda: None):
        self.items = ItemRepository(db)
        self.inspections = InspectionRepository(db)
        self.notice_numbers = NoticeCounter(db)
        self.directory = DirectoryRepository(db)
        self.snapshots = SnapshotLog(db)
        self._after_commit = after_commit

    def committed(self) -> None:
        self._after_commit()
