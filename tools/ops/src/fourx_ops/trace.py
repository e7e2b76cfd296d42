"""`trace`: one causal chain — every event that carries one correlation id, on every topic and
DLQ — in the order it was written, with how long each hop took.

Hop times are between Kafka record timestamps (when each event was written), not between the
events' own `time` (when the domain says it happened): the first is what an operator waiting
for a bulletin experiences. An event's parent is the earlier event of the chain it names: by
a `causationid` extension attribute where a producer sets one, else the latest earlier event
whose `subject` or `id` its payload refers to (an item's `source.ref` names its meeting, a
notice its item, a notification the event or report it delivered). A DLQ copy's parent is
the record it copies.

A bulletin is asked for by its own request and so carries another correlation id; the trace
adds, for each district and ISO week the case's events count in (by their date field, as the
bulletin's `stats` count them: `date`, `raised_on`, `resolved_on`, `issued_on`, a progress
record's `week`, else the event's local date), the first `report-published` of that week
written after the case's last event of it — the bulletin that counted them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
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
    # The bulletin of the week that counted the case (not of the case's correlation id).
    counted_in: str | None = None


async def trace(connection: Connection, correlation_id: str, start: Start = BEGINNING,
                with_bulletins: bool = True) -> list[Hop]:
    records = await read_all(connection, catalog_topics(), start)
    case = [s for s in records if s.correlation_id == correlation_id]
    return chain(case, bulletins_counting(case, records) if with_bulletins and case else [])


def chain(events: Iterable[Seen], bulletins: Iterable[Seen] = ()) -> list[Hop]:
    counted = {id(b) for b in bulletins}
    ordered = sorted([*events, *bulletins], key=lambda s: (s.timestamp_ms, s.is_dlq, s.topic, s.partition, s.offset))
    hops: list[Hop] = []
    for i, seen in enumerate(ordered):
        previous = ordered[i - 1] if i else None
        bulletin = id(seen) in counted
        hops.append(Hop(seen, seen.time - previous.time if previous else None, seen.time - ordered[0].time,
                        None if bulletin else parent_of(seen, ordered[:i]),
                        str(seen.data.get("week")) if bulletin else None))
    return hops


# What a bulletin counts by its date (events.md, "stats"); its own events count in none.
DATE_FIELDS = ("date", "raised_on", "resolved_on", "issued_on")
NOT_COUNTED = frozenset({"report-requested", "report-published", "notification-sent", "supervision-snapshot"})
# The districts' default time zone (Asia/Shanghai: UTC+8 all year, no daylight saving).
LOCAL = timezone(timedelta(hours=8))


def counted_week(seen: Seen) -> str | None:
    """The ISO week a bulletin counts `seen` in, as `2026-W45`."""
    data = seen.data
    if seen.type == "progress-recorded" and isinstance(data.get("week"), str):
        return data["week"]
    day: date | None = None
    for name in DATE_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value[:10])
                break
            except ValueError:
                continue
    if day is None:
        raw = (seen.event or {}).get("time")
        try:
            day = datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone(LOCAL).date()
        except ValueError:
            return None
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def bulletins_counting(case: Sequence[Seen], records: Iterable[Seen]) -> list[Seen]:
    """Per district and week of the case, the first bulletin written after its last event."""
    last: dict[tuple[str | None, str], int] = {}
    for seen in case:
        if seen.is_dlq or seen.type in NOT_COUNTED or (week := counted_week(seen)) is None:
            continue
        key = (seen.district, week)
        last[key] = max(last.get(key, 0), seen.timestamp_ms)
    first: dict[tuple[str | None, str], Seen] = {}
    for seen in records:
        if seen.topic != "report-published" or seen.correlation_id in {c.correlation_id for c in case}:
            continue
        key = (seen.district, str(seen.data.get("week")))
        if key in last and seen.timestamp_ms >= last[key]:
            if key not in first or seen.timestamp_ms < first[key].timestamp_ms:
                first[key] = seen
    return list(first.values())


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
