"""Domain events: what happened to a supervision item or an inspection, in the service's own
terms. They are mapped to integration events (the wire contract) in adapters/integration.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ItemRaised:
    issue_id: str


@dataclass(frozen=True)
class ProgressRecorded:
    issue_id: str
    week: str
    note: str
    percent: int
    seq: int  # the item's record number: unique per record, even when the content repeats


@dataclass(frozen=True)
class ItemVerified:
    """The Party-building office verified the unit's resolution and closed the item."""

    issue_id: str
    verified_on: date


@dataclass(frozen=True)
class ItemOverdue:
    issue_id: str
    days_overdue: int


@dataclass(frozen=True)
class NoticeIssued:
    issue_id: str


@dataclass(frozen=True)
class InterviewScheduled:
    issue_id: str


@dataclass(frozen=True)
class InspectionHeld:
    inspection_id: str
