"""Domain events → integration events by an explicit table (eShop's shape), one per service.

Invariant: every domain event an aggregate raised is mapped, in order; one with no entry in
the table raises `UnmappedEvent` (a programming error), so a new domain event can never be
silently left unpublished."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fourx_contracts.envelope import CloudEvent

# (aggregate, domain event, correlation id) → the integration event
Mapper = Callable[[Any, Any, str | None], CloudEvent]


class UnmappedEvent(LookupError):
    """A domain event with no integration mapper: a programming error, never skipped."""


def map_events(table: Mapping[type, Mapper], aggregate: Any, raised: Iterable[object],
               correlationid: str | None) -> list[CloudEvent]:
    """The integration events for what `aggregate` raised, in order."""
    out = []
    for event in raised:
        mapper = table.get(type(event))
        if mapper is None:
            raise UnmappedEvent(f"no integration event is mapped for {type(event).__qualname__}")
        out.append(mapper(aggregate, event, correlationid))
    return out
