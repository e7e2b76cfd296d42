"""Every query the meetings and issues repositories send — and the outbox relay's scan for
pending entries — is served by an index: each repository method is run against the real
store with every filter (and sort) it sends recorded, then checked against the indexes the
store holds.

Two checks. (1) Structural, as MongoDB's planner chooses: some index's leading keys are
all constrained by the filter (equality, `$in`, range or `$exists`), and a sort follows
that prefix in the index. (2) The store's own planner (`explain`) shows an index scan for
every query whose fields all lie in one index. SecantusDB's `explain` reports COLLSCAN as
soon as a filter has a field outside the index (even beside `_id`), although it executes
such a query through the index prefix (measured: 20,000 documents, `{district, x}` with an
index on `district` 4 ms, `{x}` alone 245 ms; `{_id, version}` 0.4 ms) — so (2) is asked only
where it is meaningful."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from fourx_contracts.envelope import new_event
from fourx_issues.adapters import repository as issues_repo
from fourx_issues.domain.listing import ItemFilter
from fourx_issues.service_layer import handlers as issues_handlers
from fourx_issues.service_layer.unit_of_work import MongoUnitOfWork as IssuesUnitOfWork
from fourx_meetings.adapters import repository as meetings_repo
from fourx_meetings.domain.supervision import SupervisionFacts
from fourx_meetings.service_layer.unit_of_work import MongoUnitOfWork as MeetingsUnitOfWork
from fourx_platform.indexes import OUTBOX_INDEX
from fourx_platform.mongo import MongoSettings
from fourx_platform.outbox import OUTBOX_FIELD, OutboxRelay
from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.collection import AsyncCollection

pytestmark = pytest.mark.integration

FILTERED = ("find_one", "update_one", "update_many", "find_one_and_update", "delete_one", "count_documents")


class Recorder:
    """Wraps AsyncCollection's reading and updating methods: (collection, filter, sort) of each call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, database: str):
        # Only this test's database: the session's services run in the same process and loop.
        self.filters: list[tuple[str, dict, Any]] = []
        self.cursors: list[tuple[str, Any]] = []
        original_find = AsyncCollection.find

        def ours(collection) -> bool:
            return collection.database.name == database

        def find(collection, *args, **kwargs):
            cursor = original_find(collection, *args, **kwargs)
            if ours(collection):
                self.cursors.append((collection.name, cursor))  # its sort is read after the call
            return cursor
        monkeypatch.setattr(AsyncCollection, "find", find)

        for name in FILTERED:
            original = getattr(AsyncCollection, name)

            def wrapped(collection, filter, *args, __original=original, **kwargs):
                if ours(collection):
                    self.filters.append((collection.name, dict(filter), None))
                return __original(collection, filter, *args, **kwargs)
            monkeypatch.setattr(AsyncCollection, name, wrapped)

        original_distinct = AsyncCollection.distinct

        async def distinct(collection, key, filter=None, *args, **kwargs):
            if ours(collection):
                self.filters.append((collection.name, dict(filter or {}), None))
            return await original_distinct(collection, key, filter, *args, **kwargs)
        monkeypatch.setattr(AsyncCollection, "distinct", distinct)

    def queries(self) -> list[tuple[str, dict, Any]]:
        return self.filters + [(name, dict(c._spec), c._ordering) for name, c in self.cursors]


def _stages(plan: dict) -> list[dict]:
    found = [plan]
    for key in ("inputStage", "queryPlan"):
        if key in plan:
            found += _stages(plan[key])
    for child in plan.get("inputStages", []):
        found += _stages(child)
    return found


def _serves(keys: list[str], query: dict, sort: list[str]) -> bool:
    """The index's leading keys are constrained by the filter — the unique `_id`, or every
    field the filter names (but those compared with null or `$ne`: checks on the few
    documents found), or at least two — and a sort follows them in the index."""
    fields = {f for f in query if not f.startswith("$")}
    residual = {f for f in fields if query[f] is None or isinstance(query[f], dict) and "$ne" in query[f]}
    prefix = 0
    while prefix < len(keys) and keys[prefix] in fields:
        prefix += 1
    matched = set(keys[:prefix])
    if not (matched and ("_id" in matched or fields - residual <= matched or prefix >= 2)):
        return False
    rest = [k for k in sort if k not in fields]
    return not rest or keys[prefix:prefix + len(rest)] == rest or rest == ["_id"] and "_id" not in keys


def _unindexed(mongo_uri: str, database: str, queries: list[tuple[str, dict, Any]]) -> list[str]:
    client = MongoClient(mongo_uri)
    try:
        bad = []
        for collection, query, sort in queries:
            if not query:
                continue  # an unfiltered listing (every district's directory) reads everything by design
            indexes = [list(ix["key"]) for ix in client[database][collection].list_indexes()]
            fields = {f for f in query if not f.startswith("$")}
            sort_keys = list(sort or {})
            if not any(_serves(keys, query, sort_keys) for keys in indexes):
                bad.append(f"{collection} {query} sort={sort}: no index among {indexes}")
                continue
            if any(fields <= set(keys) for keys in indexes) and fields != {"_id"}:
                cursor = client[database][collection].find(query)
                if sort:
                    cursor = cursor.sort(list(sort.items()))
                plan = cursor.explain()["queryPlanner"]["winningPlan"]
                if not any(s.get("stage") in ("IXSCAN", "IDHACK", "EXPRESS_IXSCAN") for s in _stages(plan)):
                    bad.append(f"{collection} {query} sort={sort}: the planner scans ({plan.get('stage')})")
        return bad
    finally:
        client.close()


@pytest.fixture
async def database(mongo_settings: MongoSettings):
    name = f"it_indexes_{uuid.uuid4().hex[:8]}"
    client = AsyncMongoClient(mongo_settings.uri)
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def _relay_scan(db, collections) -> None:
    async def publish(_event) -> None:
        return None
    await OutboxRelay([db[name] for name in collections], publish=publish).publish_pending()


async def _pending_documents(db, collections) -> None:
    """A few documents with and without pending entries, so the planner sees real data."""
    for name in collections:
        event = new_event(type="issue-raised", source="/test", district="d", subject="s", data={})
        await db[name].insert_many([{"_id": f"d/p{i}", "district": "elsewhere", OUTBOX_FIELD: [event.model_dump(mode="json")]}
                                    for i in range(3)] +
                                   [{"_id": f"d/n{i}", "district": "elsewhere", OUTBOX_FIELD: []} for i in range(30)])


async def test_every_meetings_query_is_served_by_an_index(database, mongo_settings, monkeypatch) -> None:
    await meetings_repo.create_indexes(database)
    await meetings_repo.create_indexes(database)  # idempotent: a second replica starting
    await _pending_documents(database, meetings_repo.OUTBOX_COLLECTIONS)
    recorder = Recorder(monkeypatch, database.name)
    uow, d = MeetingsUnitOfWork(database), "d"
    await uow.directories.get(d)
    await uow.directories.snapshot(d)
    await uow.directories.districts()
    await uow.activity_days.get(d, "m-2026-11")
    await uow.activity_days.list(d)
    await uow.activity_days.list(d, offset=10, limit=5)
    await uow.activity_days.previous(d, date(2026, 11, 1))
    await uow.activities.get(d, "a-1")
    await uow.activities.list(d, offset=0, limit=5)
    await uow.supervision.apply(d, "i-1", "e-1", SupervisionFacts({"community_id": "c-1", "title": "t"}))
    await uow.supervision.get(d, "i-1")
    assert [i.issue_id for i in await uow.supervision.for_community(d, "c-1")] == ["i-1"]
    await uow.clocks.set(d, date(2026, 11, 2))
    await uow.clocks.get(d)
    await _relay_scan(database, meetings_repo.OUTBOX_COLLECTIONS)

    queries = recorder.queries()
    assert len(queries) >= 15 and any(OUTBOX_FIELD in str(q) for _, q, _ in queries)
    assert _unindexed(mongo_settings.uri, database.name, queries) == []


async def test_every_issues_query_is_served_by_an_index(database, mongo_settings, monkeypatch) -> None:
    await issues_repo.create_indexes(database)
    await issues_repo.create_indexes(database)
    await _pending_documents(database, issues_repo.OUTBOX_COLLECTIONS)
    recorder = Recorder(monkeypatch, database.name)
    uow, d, today = IssuesUnitOfWork(database), "d", date(2026, 11, 10)
    await uow.items.get(d, "i-1")
    await uow.items.not_closed(d)
    await uow.items.districts_with_open_items()
    await uow.items.fill_from_directory(d, {"c-1": "s-1"}, {("community", "c-1"): "p-1"})
    for filters in ({}, {"street": "s-1"}, {"community": "c-1"}, {"status": "open"},
                    {"due_after": date(2026, 11, 1), "due_before": date(2026, 12, 1)},
                    {"street": "s-1", "status": "open", "due_before": date(2026, 12, 1)},
                    {"department": "zhujian", "notice": "unsigned"}):
        await issues_handlers.list_items(uow, d, today=today, where=ItemFilter(**filters))
    await uow.items.find({"district": d}, offset=20, limit=10)
    await uow.inspections.get(d, "x-1")
    await uow.inspections.find({"district": d}, offset=0, limit=10)
    await uow.notice_numbers.number_for(d, 2026, "i-1")
    await uow.notice_numbers.release(d, 2026, "i-1")
    await uow.directory.put(d, {"streets": []})
    await uow.directory.get(d)
    await _relay_scan(database, issues_repo.OUTBOX_COLLECTIONS)

    queries = recorder.queries()
    assert len(queries) >= 15 and any(OUTBOX_FIELD in str(q) for _, q, _ in queries)
    assert _unindexed(mongo_settings.uri, database.name, queries) == []


async def test_the_outbox_index_holds_only_documents_with_pending_entries(database, mongo_settings) -> None:
    await issues_repo.create_indexes(database)
    await _pending_documents(database, [issues_repo.ITEMS])
    names = [ix["name"] async for ix in await database[issues_repo.ITEMS].list_indexes()]
    assert OUTBOX_INDEX in names
    pending = {"_outbox.0": {"$exists": True}}
    cursor = database[issues_repo.ITEMS].find(pending, {"_id": 1}).hint(OUTBOX_INDEX)
    assert sorted([doc["_id"] async for doc in cursor]) == ["d/p0", "d/p1", "d/p2"]
    # Published (the relay pulls the entries): the documents leave the index.
    await _relay_scan(database, [issues_repo.ITEMS])
    cursor = database[issues_repo.ITEMS].find(pending, {"_id": 1}).hint(OUTBOX_INDEX)
    assert [doc["_id"] async for doc in cursor] == []
