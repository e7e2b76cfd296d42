"""Indexes every service creates at start, and the one that serves the outbox relay's scan.

Invariant: every query a repository sends is served by an index (the `_id` index or one
declared here next to the collection it belongs to); `tests/integration/test_query_indexes.py`
runs each repository query against the store and asks its planner (`explain`).

Creation is idempotent (`create_indexes` with the same keys and options is a no-op), so each
replica creates them at start; the first one does the work, the others find them there.

The relay (fourx_platform.outbox) looks for documents with pending entries:
`{"_outbox.0": {"$exists": true}}`. A *sparse* index on `_outbox.0` holds exactly those
documents (an empty or absent `_outbox` has no element 0, so the document is not in it), so
the scan reads only pending documents however large the collection grows. SecantusDB
accepts `partialFilterExpression` too, but its planner does not choose a partial index for
this query unless hinted (the relay does not hint), while it does choose the sparse one;
in MongoDB a sparse index serves `$exists: true` alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from fourx_platform.outbox import OUTBOX_FIELD

OUTBOX_INDEX = "outbox_pending"


def outbox_index() -> IndexModel:
    """The index that serves the relay's scan for pending entries (sparse on element 0)."""
    return IndexModel([(f"{OUTBOX_FIELD}.0", 1)], name=OUTBOX_INDEX, sparse=True)


async def ensure_indexes(db: AsyncDatabase, indexes: Mapping[str, Sequence[IndexModel]],
                         outbox_collections: Iterable[str] = ()) -> None:
    """Create the declared indexes per collection, plus the outbox index on each collection
    whose documents carry an outbox. Idempotent."""
    wanted: dict[str, list[IndexModel]] = {name: list(models) for name, models in indexes.items()}
    for name in outbox_collections:
        wanted.setdefault(name, []).append(outbox_index())
    for name, models in wanted.items():
        if models:
            await db[name].create_indexes(models)
