"""The project's vocabulary, defined once: the names the contract uses for roles, unit kinds,
activity and inspection kinds, supervision-item statuses and warning lights, and the Chinese
label people read for each. Standard library and typing only (no pydantic, FastStream, PyMongo).

Invariants:
- Every name a service, the contract or a rendered text uses for one of these ideas comes
  from here; no service keeps a label table of its own (one idea, one name, one label).
- Each tuple lists exactly the keys of its label table, in the order people read them
  (a unit test checks both), and each `Literal` lists exactly the tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# --- roles (the `roles` of a directory person and of a token) --------------------------------
Role = Literal[
    "community_secretary", "street_secretary", "street_deputy_secretary", "street_org_member",
    "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "org_deputy_head",
    "party_office",
]
ROLES: tuple[str, ...] = get_args(Role)
ROLE_LABELS: dict[str, str] = {
    "community_secretary": "社区党委书记",
    "street_secretary": "街道书记",
    "street_deputy_secretary": "街道副书记",
    "street_org_member": "街道组织委员",
    "dept_main_leader": "部门主要负责同志",
    "dept_responsible_leader": "部门分管负责同志",
    "dept_section_chief": "部门科室负责人",
    "org_deputy_head": "组织部分管副部长",
    "party_office": "区委党建办",
}
# Which kind of unit a person holding the role belongs to.
ROLE_UNIT_KIND: dict[str, str] = {
    "community_secretary": "community",
    "street_secretary": "street", "street_deputy_secretary": "street", "street_org_member": "street",
    "dept_main_leader": "department", "dept_responsible_leader": "department",
    "dept_section_chief": "department",
    "org_deputy_head": "district", "party_office": "district",
}

# --- units ----------------------------------------------------------------------------------
UnitKind = Literal["district", "street", "community", "department"]
UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
UNIT_KIND_LABELS: dict[str, str] = {"district": "区", "street": "街道", "community": "社区", "department": "部门"}

# --- "X" activities and inspections ---------------------------------------------------------
ActivityKind = Literal["experience_sharing", "collective_diagnosis", "case_teaching", "study_visit",
                       "site_observation"]
ACTIVITY_KINDS: tuple[str, ...] = get_args(ActivityKind)
ACTIVITY_LABELS: dict[str, str] = {
    "experience_sharing": "经验分享", "collective_diagnosis": "集体会诊", "case_teaching": "案例教学",
    "study_visit": "对标学访", "site_observation": "现场观摩点评",
}

InspectionKind = Literal["site_observation", "visit_talk", "field_supervision"]
INSPECTION_KINDS: tuple[str, ...] = get_args(InspectionKind)
INSPECTION_LABELS: dict[str, str] = {"site_observation": "现场观摩", "visit_talk": "走访座谈",
                                     "field_supervision": "实地督导"}

# --- supervision items ----------------------------------------------------------------------
# open → in_progress → resolved (the unit claims it) → closed (the office verified it).
ItemStatus = Literal["open", "in_progress", "resolved", "closed"]
ITEM_STATUSES: tuple[str, ...] = get_args(ItemStatus)
ITEM_STATUS_LABELS: dict[str, str] = {"open": "未开始", "in_progress": "推进中", "resolved": "已报办结待核验",
                                      "closed": "已办结"}
# An item as a community's report form shows it (`meeting-held` …supervision_items[].status):
# built from the events, where "resolved" is the office's verification (an item's "closed").
ReportedStatus = Literal["open", "in_progress", "overdue", "resolved"]
REPORTED_STATUSES: tuple[str, ...] = get_args(ReportedStatus)
REPORTED_STATUS_LABELS: dict[str, str] = {"open": ITEM_STATUS_LABELS["open"], "in_progress": ITEM_STATUS_LABELS["in_progress"],
                                          "overdue": "已逾期", "resolved": ITEM_STATUS_LABELS["closed"]}

SourceKind = Literal["meeting_task", "diagnosis", "community", "inspection"]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
SOURCE_KIND_LABELS: dict[str, str] = {"meeting_task": "集中活动日交办", "diagnosis": "集体会诊",
                                      "community": "社区提出", "inspection": "督查发现"}

# Warning lights (预警灯), most severe first; the issues service owns the rules (its lights.py).
LightColour = Literal["red", "yellow", "blue", "green"]
LIGHT_COLOURS: tuple[str, ...] = get_args(LightColour)
LIGHT_LABELS: dict[str, str] = {"red": "红灯", "yellow": "黄灯", "blue": "蓝灯", "green": "绿灯"}
LIGHT_SIGNS: dict[str, str] = {"red": "🔴", "yellow": "🟡", "blue": "🔵", "green": "🟢"}
NO_LIGHT_LABEL = "无灯（已办结）"

# Why an item has its light (the first rule that held), as the issues service says.
LightReason = Literal["overdue", "lagging", "record_missing", "due_soon", "on_track", "claimed"]
LIGHT_REASONS: tuple[str, ...] = get_args(LightReason)
LIGHT_REASON_LABELS: dict[str, str] = {
    "overdue": "逾期未办结", "lagging": "进度滞后", "record_missing": "上周工作写实缺失",
    "due_soon": "临近到期", "on_track": "按计划推进", "claimed": ITEM_STATUS_LABELS["resolved"],
}


def light_label(light: str | None, *, sign: bool = False) -> str:
    """红灯 / 🔴红灯 for a light; 无灯（已办结） for None (a closed item)."""
    if light is None:
        return NO_LIGHT_LABEL
    text = LIGHT_LABELS.get(light, light)
    return f"{LIGHT_SIGNS.get(light, '')}{text}" if sign else text


def label(table: dict[str, str], key: str | None) -> str:
    """The label of `key` in `table`, or the key itself for a name a newer producer added."""
    if key is None:
        return "—"
    return table.get(key, key)


# --- a unit of the organisation, as the services refer to it ------------------------------------
@dataclass(frozen=True)
class UnitRef:
    """A district, street, community or department (`kind` of UNIT_KINDS) by its directory id."""

    kind: str
    id: str
