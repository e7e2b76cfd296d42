"""The item projection's updates, applied in any order and any number of times, give the
items as the bulletin saw them from the full history, for every week."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from fourx_notify.adapters.projections import item_updates, open_at_week_end, raise_follow_ups, state_at_week_end
from fourx_notify.domain.bulletin import items_at_week_end
from fourx_notify.domain.stats import StoredEvent, compute_stats, dating

from tests.unit.notify.sample import T, WEEK, events


def _get(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = (doc or {}).get(part)
    return doc


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


def apply(store: dict[str, dict[str, Any]], op) -> bool:
    """What the store does with one UpdateOne of `item_updates` ($setOnInsert, $min, $max,
    $set); True if it created the document."""
    query, update, upsert = op._filter, op._doc, op._upsert
    doc = store.get(query["_id"])
    created = False
    if doc is None:
        if not upsert:
            return False
        doc = store[query["_id"]] = {"_id": query["_id"], **update.get("$setOnInsert", {})}
        created = True
    if any(k != "_id" and _get(doc, k) != v for k, v in query.items()):
        return created
    for path, value in update.get("$min", {}).items():
        if _get(doc, path) is None or value < _get(doc, path):
            _put(doc, path, value)
    for path, value in update.get("$max", {}).items():
        if _get(doc, path) is None or value > _get(doc, path):
            _put(doc, path, value)
    for path, value in update.get("$set", {}).items():
        _put(doc, path, value)
    return created


def _progress(i: int, percent: int, seq: int | None, week: str, minute: int) -> StoredEvent:
    data = {"issue_id": "dept", "week": week, "note": "n", "percent": percent, "seq": seq}
    day, wk = dating("progress-recorded", data, T)
    return StoredEvent(id=f"p{i}", type="progress-recorded", district="d", time=T + timedelta(minutes=minute),
                       occurred_on=day, week=wk, data=data)


def _raised_again(first: StoredEvent, minutes: int) -> StoredEvent:
    """The same item raised by a second, different event (later or earlier): the first wins."""
    return StoredEvent(id=f"again{minutes}", type="issue-raised", district="d", time=first.time + timedelta(minutes=minutes),
                       occurred_on=first.occurred_on, week=first.week, data={**first.data, "title": f"again {minutes}"})


_RAISED = [e for e in events() if e.type == "issue-raised"]
HISTORY = events() + [_progress(1, 30, 1, WEEK, 0), _progress(2, 40, 2, WEEK, 1), _progress(3, 10, None, "2026-W47", 9),
                      _progress(4, 60, 3, "2026-W49", 2), _raised_again(_RAISED[0], 5), _raised_again(_RAISED[1], -5)]


def test_any_order_and_redelivery_give_the_items_of_the_full_history_for_every_week():
    for seed in range(20):
        shuffled = HISTORY + random.Random(seed).sample(HISTORY, k=5)   # some stored twice
        random.Random(seed).shuffle(shuffled)
        store: dict[str, dict[str, Any]] = {}
        for batch in (shuffled[:7], shuffled[7:]):
            # The store's order within a batch is its own (unordered writes): any is right.
            ops = list(enumerate(item_updates(batch)))
            random.Random(seed).shuffle(ops)
            created = {i for i, op in ops if apply(store, op)}
            for op in raise_follow_ups(batch, created):
                apply(store, op)
        for week in ("2026-W45", "2026-W46", "2026-W47", WEEK, "2026-W49"):
            from fourx_notify.domain.stats import week_bounds
            upto = [e for e in HISTORY if e.occurred_on <= week_bounds(week)[1]]
            expected = items_at_week_end(upto, week)
            projected = {s.issue_id: s for doc in store.values() if (s := state_at_week_end(doc, week))}
            assert projected == expected, (seed, week)
            assert open_at_week_end(projected) == compute_stats(upto, week)["open_issues"]
