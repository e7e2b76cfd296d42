"""Weekly bulletins: one current document per district and week, with its outbox."""

from __future__ import annotations

from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_contracts.outbox import OUTBOX_FIELD, outbox_push
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "bulletins"


class BulletinRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]

    async def save(self, bulletin: dict[str, Any], outgoing: list[CloudEvent]) -> None:
        update: dict[str, Any] = {"$set": bulletin}
        if outgoing:
            update.update(outbox_push(outgoing))
        await self._collection.update_one({"_id": bulletin["report_id"]}, update, upsert=True)

    async def get(self, report_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": report_id}, {OUTBOX_FIELD: 0})
