"""Weekly bulletins: one current document per district and week, with its outbox; the
issue numbers (第N期) per district and year; the claims of scheduled runs."""

from __future__ import annotations

from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_platform.outbox import OUTBOX_FIELD, outbox_push
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "bulletins"
NUMBERS = "bulletin_numbers"
CLAIMS = "schedule_claims"


class BulletinRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]
        self._numbers = db[NUMBERS]
        self._claims = db[CLAIMS]

    async def save(self, bulletin: dict[str, Any], outgoing: list[CloudEvent]) -> None:
        update: dict[str, Any] = {"$set": bulletin}
        if outgoing:
            update.update(outbox_push(outgoing))
        await self._collection.update_one({"_id": bulletin["report_id"]}, update, upsert=True)

    async def get(self, report_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": report_id}, {OUTBOX_FIELD: 0})

    async def number_for(self, district: str, week: str) -> int:
        """The bulletin's issue number: the one it got when first published, else the next of
        the district's year. Regenerating a week keeps its number (and so its content hash)."""
        existing = await self._collection.find_one({"_id": f"{district}:{week}"}, {"number": 1})
        if existing and existing.get("number"):
            return int(existing["number"])
        counter = await self._numbers.find_one_and_update(
            {"_id": f"{district}:{week[:4]}"}, {"$inc": {"last": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER)
        return int(counter["last"])

    async def claim_scheduled_run(self, claim_id: str, district: str, week: str, request: CloudEvent) -> bool:
        """Only the replica that inserts the claim asks for the bulletin; the request goes out
        through the claim's own outbox. False when another replica (or an earlier run) has it."""
        try:
            await self._claims.insert_one({"_id": claim_id, "district": district, "week": week,
                                           OUTBOX_FIELD: [request.model_dump(mode="json")]})
        except DuplicateKeyError:
            return False
        return True

