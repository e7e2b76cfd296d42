"""Who may record which part of an activity day. The token says which roles a caller claims;
the directory says which unit they belong to, so a secretary reports only for their own
community and an organisation committee member comments only on communities of their street."""

from __future__ import annotations

from dataclasses import dataclass

from fourx_contracts.vocabulary import ROLE_LABELS, UNIT_KIND_LABELS, label

from fourx_meetings.domain.directory import Directory, Person
from fourx_meetings.domain.errors import Invalid, NotAllowed, NotFound


@dataclass(frozen=True)
class Actor:
    person_id: str
    roles: frozenset[str]
    # Operators (platform_admin) act for anyone, e.g. to repair minutes.
    operator: bool = False


def _person(directory: Directory, actor: Actor, role: str) -> Person | None:
    if actor.operator:
        return directory.person(actor.person_id)
    person = directory.person(actor.person_id)
    if person is None:
        raise NotAllowed(f"{actor.person_id} 不在本区组织名录中", code="access.not_in_directory")
    if role not in person.roles or role not in actor.roles:
        raise NotAllowed(f"此操作需要{label(ROLE_LABELS, role)}角色；{person.name}（{person.person_id}）不具备",
                         code="access.role_required")
    return person


def check_report(directory: Directory, actor: Actor, community_id: str) -> None:
    """Item 1: only the community's own Party secretary reports for it."""
    community = _community(directory, community_id)
    person = _person(directory, actor, "community_secretary")
    if person is not None and not actor.operator and person.unit_id != community.community_id:
        raise NotAllowed(f"{person.name}是 {person.unit_id} 的书记，不是{community.name}（{community_id}）的；"
                         f"社区书记只能为本社区填报", code="report.not_your_community")


def check_comment(directory: Directory, actor: Actor, community_id: str) -> None:
    """Item 2: an organisation committee member of the community's street comments on it."""
    community = _community(directory, community_id)
    person = _person(directory, actor, "street_org_member")
    if person is not None and not actor.operator and person.unit_id != community.street_id:
        raise NotAllowed(f"{person.name}是街道 {person.unit_id} 的组织委员，"
                         f"{community.name}（{community_id}）属于街道 {community.street_id}",
                         code="comment.not_your_street")


def check_task(directory: Directory, actor: Actor, unit_kind: str, unit_id: str) -> None:
    """Item 3: department responsible leaders assign tasks, to units that exist."""
    _person(directory, actor, "dept_responsible_leader")
    if not directory.has_unit(unit_kind, unit_id):
        raise Invalid("assigned_to", f"组织名录中没有{label(UNIT_KIND_LABELS, unit_kind)} {unit_id}")


def check_summary(directory: Directory, actor: Actor) -> None:
    """Item 4: the organisation department deputy head sums up."""
    _person(directory, actor, "org_deputy_head")


def check_close(directory: Directory, actor: Actor) -> None:
    if actor.operator:
        return
    person = directory.person(actor.person_id)
    if person is None or not ({"org_deputy_head", "party_office"} & set(person.roles) & actor.roles):
        raise NotAllowed("结束集中活动日需要组织部分管副部长或区委党建办的角色",
                         code="activity_day.close_not_allowed")


def check_office(directory: Directory, actor: Actor) -> None:
    """Screening topics and recording X activities is the Party-building office's work."""
    _person(directory, actor, "party_office")


def proposer_unit(directory: Directory, actor: Actor) -> tuple[str, str]:
    """Any unit proposes topics; the proposal is in the name of the caller's unit."""
    person = directory.person(actor.person_id)
    if person is None:
        if actor.operator:
            return "district", "-"
        raise NotAllowed(f"{actor.person_id} 不在本区组织名录中", code="access.not_in_directory")
    return person.unit_kind, person.unit_id


def _community(directory: Directory, community_id: str):
    community = directory.community(community_id)
    if community is None:
        raise NotFound(f"组织名录中没有社区 {community_id}", code="community.not_found")
    return community
