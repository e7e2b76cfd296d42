"""`watch`: the event streams as they happen (or from a moment), filtered, one record at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from fourx_ops.connection import Connection
from fourx_ops.reader import END, Start, TopicReader, catalog_topics
from fourx_ops.records import Filter, Seen


async def watch(connection: Connection, topics: Sequence[str] = (), *, keep: Filter = Filter(),
                start: Start = END, limit: int | None = None, follow: bool = True) -> AsyncIterator[Seen]:
    """The records of `topics` (default: every catalog topic and its DLQ) that `keep` keeps,
    from `start` on; stops after `limit` of them, or (not following) at the current end."""
    if limit is not None and limit <= 0:
        return
    # Named topics must exist; of the default set, what is not there is simply not watched.
    async with TopicReader(connection, topics or catalog_topics(), strict=bool(topics)) as reader:
        await reader.seek(start)
        shown = 0
        async for seen in reader.records(follow=follow):
            if not keep.keeps(seen):
                continue
            yield seen
            shown += 1
            if limit is not None and shown >= limit:
                return
