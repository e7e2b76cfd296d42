"""What the services' mapping-table tests share."""

from __future__ import annotations

import inspect
from types import ModuleType


def domain_event_types(events: ModuleType) -> set[type]:
    """The classes a service's `domain/events.py` defines (not those it imports)."""
    return {cls for _, cls in inspect.getmembers(events, inspect.isclass) if cls.__module__ == events.__name__}
