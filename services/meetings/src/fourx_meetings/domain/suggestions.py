"""Suggestions (意见建议): the linkage mechanism (联动机制) of the method. A member of the
research centre hands a suggestion to the district Party-building office, at an activity day
or between them; the office adopts it into a concrete work requirement (工作要求) — and,
where it needs carrying out and checking, into a supervision item the issues service raises —
or declines it with a reason. A decision is final: a suggestion is decided once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fourx_contracts.vocabulary import SUGGESTION_DECISION_LABELS

from fourx_meetings.domain import events
from fourx_meetings.domain.errors import DomainError, Invalid
from fourx_meetings.domain.model import UnitRef

PENDING, ADOPTED, DECLINED = "pending", "adopted", "declined"


@dataclass(frozen=True)
class SupervisionRequest:
    """The supervision item an adopted suggestion becomes: what, who answers for it, by when."""

    title: str
    responsible: UnitRef
    due_date: date


@dataclass
class Suggestion:
    district: str
    suggestion_id: str
    title: str
    text: str
    made_by: str
    unit: UnitRef
    made_on: date
    meeting_id: str | None = None
    status: str = PENDING
    decided_on: date | None = None
    decided_by: str | None = None
    requirement: str | None = None
    reason: str | None = None
    supervision: SupervisionRequest | None = None
    pending_events: list[object] = field(default_factory=list, repr=False)

    @classmethod
    def make(cls, *, district: str, suggestion_id: str, title: str, text: str, made_by: str, unit: UnitRef,
             made_on: date, meeting_id: str | None = None) -> Suggestion:
        if not title.strip():
            raise Invalid("title", "请写明意见建议的标题")
        if not text.strip():
            raise Invalid("text", "请写明意见建议的内容")
        suggestion = cls(district=district, suggestion_id=suggestion_id, title=title, text=text, made_by=made_by,
                         unit=unit, made_on=made_on, meeting_id=meeting_id)
        suggestion.pending_events.append(events.SuggestionMade(district, suggestion_id))
        return suggestion

    def same_as(self, other: Suggestion) -> bool:
        keys = ("title", "text", "made_by", "unit", "meeting_id")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def ensure_replay_of(self, other: Suggestion) -> None:
        if not self.same_as(other):
            raise DomainError(f"意见建议 {self.suggestion_id} 已按其他内容提交过", code="suggestion.conflicting_repeat")

    def adopt(self, *, requirement: str, by: str, today: date,
              supervision: SupervisionRequest | None = None) -> bool:
        """Adopt into a work requirement; False for the same adoption again (a retried request)."""
        if self.status == ADOPTED and self.requirement == requirement and self.supervision == supervision:
            return False
        self._undecided()
        if not requirement.strip():
            raise Invalid("requirement", "采纳意见建议须写明据此制定的工作要求")
        if supervision is not None and supervision.due_date < today:
            raise Invalid("supervision.due_date", "督办时限早于采纳之日")
        self.status, self.requirement, self.supervision = ADOPTED, requirement, supervision
        self.decided_on, self.decided_by = today, by
        self.pending_events.append(events.SuggestionDecided(self.district, self.suggestion_id))
        return True

    def decline(self, *, reason: str, by: str, today: date) -> bool:
        if self.status == DECLINED and self.reason == reason:
            return False
        self._undecided()
        if not reason.strip():
            raise Invalid("reason", "不予采纳须写明理由")
        self.status, self.reason = DECLINED, reason
        self.decided_on, self.decided_by = today, by
        self.pending_events.append(events.SuggestionDecided(self.district, self.suggestion_id))
        return True

    def _undecided(self) -> None:
        if self.status != PENDING:
            raise DomainError(f"意见建议 {self.suggestion_id} 已于 {self.decided_on} 作出决定"
                              f"（{SUGGESTION_DECISION_LABELS[self.status]}），不能再次决定", field="status",
                              code="suggestion.already_decided")
