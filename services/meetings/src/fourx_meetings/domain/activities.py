"""Typed "X" activities around the activity day. Each kind records its participants and the
outcome the method requires of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fourx_contracts.vocabulary import ACTIVITY_KINDS, ACTIVITY_LABELS, label

from fourx_meetings.domain import events
from fourx_meetings.domain.errors import DomainError, Invalid
from fourx_meetings.domain.model import UnitRef

KINDS = ACTIVITY_KINDS  # the contract's vocabulary

# The record each kind must carry besides participants (field → what it means).
REQUIRED = {
    "experience_sharing": {"presenter": "分享人（书记讲给书记听）", "lessons": "可供借鉴的经验"},
    "collective_diagnosis": {"problem": "会诊研究的工作难题"},
    "case_teaching": {"teacher": "授课的部门专家", "cases": "所讲的实际案例"},
    "study_visit": {"destination": "参观学习的地点", "learned": "学到了什么"},
    "site_observation": {"community_id": "被观摩的社区", "comments": "现场点评意见"},
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
            raise Invalid("kind", f"应为以下之一：{'、'.join(KINDS)}")
        if not participants:
            raise Invalid("participants", "活动须记录参加人员")
        for key, meaning in REQUIRED[kind].items():
            value = record.get(key)
            if value is None or (isinstance(value, (str, list)) and not value):
                raise Invalid(f"record.{key}", f"{label(ACTIVITY_LABELS, kind)}须记录{meaning}")
        if kind == "collective_diagnosis" and not outcomes:
            raise Invalid("outcomes", "集体会诊须记录议定解决的问题，每项写明责任单位和完成时限")
        for i, outcome in enumerate(outcomes):
            if outcome.due_date < date:
                raise Invalid(f"outcomes.{i}.due_date", "早于活动日期")
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
            raise DomainError(f"活动 {self.activity_id} 已按其他内容记录过", code="activity.conflict")
