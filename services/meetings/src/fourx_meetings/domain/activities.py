"""Typed "X" activities around the activity day. Each kind records its participants and the
outcome the method requires of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fourx_contracts.vocabulary import ACTIVITY_KINDS

from fourx_meetings.domain import events
from fourx_meetings.domain.errors import DomainError, Invalid
from fourx_meetings.domain.model import UnitRef

KINDS = ACTIVITY_KINDS  # the contract's vocabulary

# The record each kind must carry besides participants (field → what it means).
REQUIRED = {
    "experience_sharing": {"presenter": "the person who shared (secretaries teach secretaries)",
                           "lessons": "what the others can take from it"},
    "collective_diagnosis": {"problem": "the hard problem the group studied"},
    "case_teaching": {"teacher": "the department expert who taught", "cases": "the real cases taught"},
    "study_visit": {"destination": "where the group went", "learned": "what was learned"},
    "site_observation": {"community_id": "the community observed", "comments": "the comments made on site"},
}


@dataclass(frozen=True)
class Outcome:
    title: str
    responsible: UnitRef
    due_date: date


@dataclass
class Activity:
    district: str
    activity_id: str
    kind: str
    date: date
    title: str
    participants: list[str]
    outcomes: list[Outcome]
    record: dict[str, Any]
    meeting_id: str | None = None
    pending_events: list[object] = field(default_factory=list, repr=False)

    @classmethod
    def hold(cls, *, district: str, activity_id: str, kind: str, date: date, title: str,
             participants: list[str], outcomes: list[Outcome], record: dict[str, Any],
             meeting_id: str | None = None) -> Activity:
        if kind not in KINDS:
            raise Invalid("kind", f"must be one of {', '.join(KINDS)}")
        if not participants:
            raise Invalid("participants", "an activity records who took part")
        for key, meaning in REQUIRED[kind].items():
            value = record.get(key)
            if value is None or (isinstance(value, (str, list)) and not value):
                raise Invalid(f"record.{key}", f"a {kind} records {meaning}")
        if kind == "collective_diagnosis" and not outcomes:
            raise Invalid("outcomes", "a collective diagnosis records the problems it decided, "
                                      "each with a responsible unit and a due date")
        for i, outcome in enumerate(outcomes):
            if outcome.due_date < date:
                raise Invalid(f"outcomes.{i}.due_date", "is before the activity itself")
        activity = cls(district=district, activity_id=activity_id, kind=kind, date=date, title=title,
                       participants=list(participants), outcomes=list(outcomes), record=dict(record),
                       meeting_id=meeting_id)
        activity.pending_events.append(events.ActivityHeld(district, activity_id))
        return activity

    def same_as(self, other: Activity) -> bool:
        keys = ("kind", "date", "title", "participants", "outcomes", "record", "meeting_id")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def ensure_replay_of(self, other: Activity) -> None:
        if not self.same_as(other):
            raise DomainError(f"activity {self.activity_id} was already recorded with other content")
