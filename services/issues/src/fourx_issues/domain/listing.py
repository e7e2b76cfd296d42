"""Which items a supervision list shows (督办清单): the filters people choose, as one value.
Pure. The part the store answers through an index it already has (street, community, status)
becomes its query; the rest (due dates, departments and units with their co-units, lights,
"mine", the state of a notice or an interview) is judged here on each item of the district —
a few hundred — rather than with more compound indexes every item write would pay for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fourx_contracts.vocabulary import UnitRef

from fourx_issues.domain.model import SupervisionItem

# A notice: issued (any), waiting to be signed (签收), signed, or none issued.
NoticeState = Literal["issued", "unsigned", "signed", "none"]
# An interview: scheduled (any), waiting for its outcome, done (outcome recorded), or none.
InterviewState = Literal["scheduled", "pending", "done", "none"]


@dataclass(frozen=True)
class Mine:
    """The caller, for `mine`: their own unit's items, the items they own, and the notices and
    interviews addressed to them."""

    person_id: str
    unit: UnitRef | None


@dataclass(frozen=True)
class ItemFilter:
    street: str | None = None
    community: str | None = None
    department: str | None = None       # responsible (or co-responsible) department
    unit: UnitRef | None = None         # responsible (or co-responsible) unit of any kind
    status: str | None = None
    light: str | None = None
    due_after: date | None = None       # due on or after
    due_before: date | None = None      # due on or before
    notice: NoticeState | None = None
    interview: InterviewState | None = None
    mine: Mine | None = None

    def store_query(self, district: str) -> dict[str, Any]:
        """What the store answers (each served by an index with `district` first)."""
        query: dict[str, Any] = {"district": district}
        if self.street:
            query["street_id"] = self.street
        if self.community:
            query["community_id"] = self.community
        if self.status:
            query["status"] = self.status
        return query

    @property
    def judged_here(self) -> bool:
        """True when some filter is applied to each item after the store (paging follows it)."""
        return any(f is not None for f in (self.department, self.unit, self.light, self.notice, self.interview,
                                           self.mine, self.due_after, self.due_before))

    def matches(self, item: SupervisionItem, today: date) -> bool:
        if self.due_after is not None and item.due_date < self.due_after:
            return False
        if self.due_before is not None and item.due_date > self.due_before:
            return False
        if self.unit is not None and not _involves(item, self.unit):
            return False
        if self.department is not None and not _involves(item, UnitRef("department", self.department)):
            return False
        if self.light is not None:
            light = item.light_for(today)
            if light is None or light.value != self.light:
                return False
        if self.notice is not None and not _notice_is(item, self.notice):
            return False
        if self.interview is not None and not _interview_is(item, self.interview):
            return False
        return self.mine is None or is_mine(item, self.mine)


def _involves(item: SupervisionItem, unit: UnitRef) -> bool:
    return item.responsible == unit or unit in item.co_units


def _notice_is(item: SupervisionItem, state: str) -> bool:
    n = item.notice
    return {"none": n is None, "issued": n is not None,
            "unsigned": n is not None and n.acknowledged_on is None,
            "signed": n is not None and n.acknowledged_on is not None}[state]


def _interview_is(item: SupervisionItem, state: str) -> bool:
    i = item.interview
    return {"none": i is None, "scheduled": i is not None,
            "pending": i is not None and i.outcome is None,
            "done": i is not None and i.outcome is not None}[state]


def is_mine(item: SupervisionItem, me: Mine) -> bool:
    """The caller's unit is responsible (or co-responsible), or the item, its notice or its
    interview names the caller."""
    if me.unit is not None and _involves(item, me.unit):
        return True
    named = {item.owner, item.notice.to_person if item.notice else None,
             item.interview.person_id if item.interview else None}
    return me.person_id in named
