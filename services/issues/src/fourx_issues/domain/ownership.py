"""Who may act on a supervision item. Pure.

The responsible unit answers for its item: its people (and the person named as owner) start
it, record the weekly work, claim it resolved and sign for its notice. The offices that run
the supervision — the Party-building office and the organisation department deputy head
(the centre's director) — may act on any item; a unit raises items only for itself.
Co-handling units help but do not answer for the item, so they do not act on it here."""

from __future__ import annotations

from dataclasses import dataclass

from fourx_platform.errors import NotAllowed

from fourx_issues.domain.model import SupervisionItem, UnitRef

SUPERVISORS = frozenset({"party_office", "org_deputy_head"})


@dataclass(frozen=True)
class Actor:
    person_id: str
    roles: frozenset[str]
    unit: UnitRef | None = None
    operator: bool = False

    @property
    def supervisor(self) -> bool:
        return self.operator or bool(self.roles & SUPERVISORS)


def check_acts_for(item: SupervisionItem, actor: Actor) -> None:
    if actor.supervisor or actor.person_id == item.owner or actor.unit == item.responsible:
        return
    raise NotAllowed(f"{actor.person_id} 不属于责任单位（{item.responsible.kind} {item.responsible.id}），"
                     f"不能办理督办事项 {item.issue_id}", code="item.not_your_unit")


def check_may_raise(responsible: UnitRef, actor: Actor) -> None:
    if actor.supervisor or actor.unit == responsible:
        return
    raise NotAllowed(f"{actor.person_id} 只能为本单位提出督办事项，"
                     f"不能指定 {responsible.kind} {responsible.id} 为责任单位", code="item.own_unit_only")
