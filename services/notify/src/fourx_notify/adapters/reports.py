"""Weekly bulletins: one current document per district and week, with its outbox; the
issue numbers (第N期) per district and year; the claims of scheduled runs."""

from __future__ import annotations

from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_platform import numbering
from fourx_platform.outbox import OUTBOX_FIELD, outbox_push
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

COLLECTION = "bulletins"
# The bulky part of a bulletin (its view and Markdown), beside the small document that carries
# its outbox: the outbox relay scans `bulletins` on every pass and should not read the texts.
TEXTS = "bulletin_texts"
TEXT_FIELDS = ("view", "markdown")
# One document per district and year: `holders` lists the weeks in the order they got their
# numbers (number = position + 1). (Was `bulletin_numbers`, a bare counter: two reports of one
# district at once could both miss the week's number and take two.)
NUMBERS = "bulletin_counters"
CLAIMS = "schedule_claims"
DUPLICATE_KEY = 11000


class BulletinRepository:
    def __init__(self, db: AsyncDatabase):
        self._collection = db[COLLECTION]
        self._texts = db[TEXTS]
        self._numbers = db[NUMBERS]
        self._claims = db[CLAIMS]

    async def save(self, bulletin: dict[str, Any], outgoing: list[CloudEvent]) -> None:
        """The texts first, then the small document with the outbox: what is published is
        always readable."""
        texts = {k: v for k, v in bulletin.items() if k in TEXT_FIELDS}
        await self._texts.update_one({"_id": bulletin["report_id"]}, {"$set": texts}, upsert=True)
        update: dict[str, Any] = {"$set": {k: v for k, v in bulletin.items() if k not in TEXT_FIELDS}}
        if outgoing:
            update.update(outbox_push(outgoing))
        await self._collection.update_one({"_id": bulletin["report_id"]}, update, upsert=True)

    async def get(self, report_id: str) -> dict[str, Any] | None:
        bulletin = await self._collection.find_one({"_id": report_id}, {OUTBOX_FIELD: 0})
        if bulletin is None:
            return None
        texts = await self._texts.find_one({"_id": report_id}) or {}
        return {**bulletin, **{k: texts[k] for k in TEXT_FIELDS if k in texts}}

    async def of_district(self, district: str, *, offset: int, limit: int) -> list[dict[str, Any]]:
        """The district's bulletins, newest week first, without their texts. Served by the `_id`
        index: an id is `district:week`, so the district's ids lie between `district:` and
        `district;` (';' follows ':'), and the ISO weeks sort as they fall."""
        fields = {"week": 1, "number": 1, "title": 1, "generated_at": 1, "content_hash": 1, "stats": 1}
        cursor = self._collection.find({"_id": {"$gte": f"{district}:", "$lt": f"{district};"}}, fields)
        return [doc async for doc in cursor.sort("_id", -1).skip(offset).limit(limit)]

    async def made_for(self, requests: list[tuple[str, str, str]]) -> set[str]:
        """Of these (district, week, request id), the request ids whose bulletin is already
        stored: one query for a batch of requests."""
        ids = sorted({f"{district}:{week}" for district, week, _ in requests})
        if not ids:
            return set()
        asked = {request_id for _, _, request_id in requests}
        found = self._collection.find({"_id": {"$in": ids}}, {"request_id": 1})
        return {d["request_id"] async for d in found if d.get("request_id") in asked}

    async def number_for(self, district: str, week: str) -> int:
        """The bulletin's issue number: the one it got when first published, else the next of
        the district's year. Regenerating a week keeps its number (and so its content hash).
        Safe when reports of one district run at once (two replicas, a rebalance): the week
        joins the year's `holders` only if it is not there yet, in one atomic update, so a
        week gets one number and the year's numbers have no gap and no repeat."""
        existing = await self._collection.find_one({"_id": f"{district}:{week}"}, {"number": 1})
        if existing and existing.get("number"):
            return int(existing["number"])
        return await numbering.number_for(self._numbers, f"{district}:{week[:4]}", week, "last")

    async def claim_scheduled_runs(self, claims: list[tuple[str, str, str, CloudEvent]]) -> list[str]:
        """`claim_scheduled_run` for many districts in one bulk insert (the Monday run claims
        thousands): returns the districts whose claim this replica inserted."""
        if not claims:
            return []
        docs = [{"_id": claim_id, "district": district, "week": week, OUTBOX_FIELD: [request.model_dump(mode="json")]}
                for claim_id, district, week, request in claims]
        try:
            await self._claims.insert_many(docs, ordered=False)
            return [d["district"] for d in docs]
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            lost = {e["index"] for e in errors}
            return [d["district"] for i, d in enumerate(docs) if i not in lost]

    async def claim_scheduled_run(self, claim_id: str, district: str, week: str, request: CloudEvent) -> bool:
        """Only the replica that inserts the claim asks for the bulletin; the request goes out
        through the claim's own outbox. False when another replica (or an earlier run) has it."""
        try:
            await self._claims.insert_one({"_id": claim_id, "district": district, "week": week,
                                           OUTBOX_FIELD: [request.model_dump(mode="json")]})
        except DuplicateKeyError:
            return False
        return True

