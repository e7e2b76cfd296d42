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
    shown = 0
    # Named topics must exist; of the default set, what is not there is simply not watched.
    async with TopicReader(connection, topics or catalog_topics(), strict=bool(topics)) as reader:
        await reader.seek(start)
        if start != END:
            # The past is read whole first and shown in the order it was written: partitions
            # arrive in no particular order, and a district's story spans many of them.
            backlog = [seen async for seen in reader.records(follow=False) if keep.keeps(seen)]
            for seen in sorted(backlog, key=written_order):
                yield seen
                shown += 1
                if limit is not None and shown >= limit:
                    return
        if not follow:
            return
        async for seen in reader.records(follow=True):
            if not keep.keeps(seen):
                continue
            yield seen
            shown += 1
            if limit is not None and shown >= limit:
                return


def written_order(seen: Seen) -> tuple[int, str, int, int]:
    return seen.timestamp_ms, seen.topic, seen.partition, seen.offset
