"""The load generator: N districts and W weeks of their work, as the catalog's real events.

    for event in generate(districts=100, weeks=1, seed=7): ...

Events come out week by week (every district's week 1, then every district's week 2, …),
each district's in the order they happened, as an iterator: a million events are never
held at once. Same (districts, weeks, seed, start) → the same events, byte for byte. The
default `start` lies in the past, so no event is dated in the future (consumers refuse those,
`fourx_contracts.producers`) and notify sends no immediate notice for this history (too old).
See `work.py` for the shape of a district's week and `shape.py` for its organisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from fourx_local.seed.work import DistrictWork, GeneratedEvent, district_id

DEFAULT_START = date(2025, 6, 2)  # a Monday; 52 weeks from it still end in the past

__all__ = ["DEFAULT_START", "GeneratedEvent", "district_id", "generate"]


def generate(districts: int, weeks: int, seed: int, start: date = DEFAULT_START,
             first: int = 0) -> Iterator[GeneratedEvent]:
    """Districts `first` … `districts - 1`. A district's events depend only on the seed, its
    index and the start: `generate(K)` and `generate(N, first=K)` together are `generate(N)`'s
    events (in another interleaving), so a benchmark can seed a part first and the rest later."""
    if start.weekday() != 0:
        raise ValueError(f"start {start} is not a Monday (weeks are ISO weeks)")
    return _events(range(first, districts), weeks, seed, start)


def _events(indexes: range, weeks: int, seed: int, start: date) -> Iterator[GeneratedEvent]:
    works = [DistrictWork(seed, index, start) for index in indexes]
    for work in works:
        yield from work.opening()
    for week in range(weeks):
        monday = start + timedelta(days=7 * week)
        for work in works:
            yield from work.week(monday)
