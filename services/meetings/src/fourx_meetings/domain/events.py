"""Domain events: what happened inside the meetings service, in its own terms. They are
mapped to integration events (the wire contract) at the edge, in adapters/integration.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DirectoryChanged:
    district: str
    version: int


@dataclass(frozen=True)
class ActivityDayScheduled:
    district: str
    meeting_id: str


@dataclass(frozen=True)
class TopicProposed:
    district: str
    meeting_id: str
    topic_id: str


@dataclass(frozen=True)
class TopicSelected:
    district: str
    meeting_id: str
    topic_id: str


@dataclass(frozen=True)
class ActivityDayHeld:
    district: str
    meeting_id: str


@dataclass(frozen=True)
class ActivityHeld:
    district: str
    activity_id: str


@dataclass(frozen=True)
class SuggestionMade:
    district: str
    suggestion_id: str


@dataclass(frozen=True)
class SuggestionDecided:
    district: str
    suggestion_id: str
