"""Domain events: what happened inside the meetings service, in its own terms. They are
mapped to integration events (the wire contract) at the edge, in adapters/integration.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActivityDayHeld:
    district: str
    meeting_id: str
