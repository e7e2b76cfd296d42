"""`trace`: one causal chain — every event that carries one correlation id, on every topic and
DLQ — in the order it was written, with how long each hop took.

Hop times are between Kafka record timestamps (when each event was written), not between the
events' own `time` (when the domain says it happened): the first is what an operator waiting
for a bulletin experiences. An event's parent is the earlier event of the chain it names: by
a `causationid` extension attribute where a producer sets one, else the latest earlier event
whose `subject` or `id` its payload refers to (an item's `source.ref` names its meeting, a
notice its item, a notification the event or report it delivered). A DLQ copy's parent is
the record it copies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fourx_ops.connection import Connection
from fourx_ops.reader import BEGINNING, Start, catalog_topics, read_all
from fourx_ops.records import Seen


@dataclass(frozen=True)
class Hop:
    seen: Seen
    since_previous: timedelta | None
    since_first: timedelta
    parent: Seen | None


async def trace(connection: Connection, correlation_id: str, start: Start = BEGINNING) -> list[Hop]:
    records = await read_all(connection, catalog_topics(), start)
    return chain([s for s in records if s.correlation_id == correlation_id])


def chain(events: Iterable[Seen]) -> list[Hop]:
    ordered = sorted(events, key=lambda s: (s.timestamp_ms, s.is_dlq, s.topic, s.partition, s.offset))
    hops: list[Hop] = []
    for i, seen in enumerate(ordered):
        previous = ordered[i - 1] if i else None
        hops.append(Hop(seen, seen.time - previous.time if previous else None, seen.time - ordered[0].time,
                        parent_of(seen, ordered[:i])))
    return hops


def parent_of(seen: Seen, earlier: list[Seen]) -> Seen | None:
    if seen.is_dlq:
        return next((e for e in reversed(earlier) if not e.is_dlq and e.id == seen.id), None)
    cause = (seen.event or {}).get("causationid")
    if isinstance(cause, str):
        if found := next((e for e in reversed(earlier) if e.id == cause), None):
            return found
    refs = set(_strings(seen.data))
    for candidate in reversed(earlier):
        if candidate.is_dlq or candidate.id == seen.id:
            continue
        if candidate.id in refs or (candidate.subject and candidate.subject != seen.subject
                                    and _names(refs, candidate.subject)):
            return candidate
    return None


def _names(refs: set[str], subject: str) -> bool:
    return subject in refs or any(ref.startswith(f"{subject}/") for ref in refs)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)
