"""The organisation of a generated district: streets, communities, departments and people.

Shape (the issue's "realistic district"): about four streets (3–5) with about forty
communities between them (34–46), four to six district departments, and the leading people
with their roles and channels — the deputy head of the organisation department, two people
of the Party-building office, each street's secretary, deputy secretary and organisation
committee member, each department's main leader, responsible leader and section chief
(≈ 25 in all) — plus each community's Party committee secretary, who reports at the
activity day. Everything is drawn from `rng`, so one seed gives one district.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海燕玲文斌立新晓东雪琳婷慧"
PLACES = ["鼓楼", "华林", "温泉", "东街", "南门", "水部", "屏山", "安泰", "洪山", "五凤", "东湖", "西湖", "湖滨",
          "城北", "城南", "江滨", "新港", "金山", "仓山", "上渡", "建新", "盖山", "螺洲", "城门", "白湖", "凤凰"]
COMMUNITY_WORDS = ["和平", "光明", "幸福", "团结", "东方", "春晖", "锦绣", "新村", "桂香", "梅峰", "樟林", "花园",
                   "南湖", "北苑", "文化", "阳光", "康乐", "永安", "安康", "长乐", "福兴", "龙华", "凤栖", "西园",
                   "振兴", "育才", "紫阳", "建设", "朝阳", "华侨", "桃源", "海峡", "中山", "通湖", "丽景", "金桥",
                   "翠苑", "玉环", "龙峰", "竹林", "三元", "秀峰", "双抛", "杨桥", "乌山", "井大"]
DEPARTMENTS = [("d-minzheng", "区民政局"), ("d-zhujian", "区住建局"), ("d-chengguan", "区城管局"),
               ("d-weijian", "区卫健局"), ("d-jiaoyu", "区教育局"), ("d-shijian", "区市场监管局")]
# What items, reports and records are about, and the steps of the work.
SUBJECTS = ["老旧小区加装电梯", "背街小巷停车难", "垃圾分类督导", "独居老人关爱", "社区助餐点建设", "物业服务提升",
            "雨污管网改造", "违章搭建整治", "电动车充电桩安装", "消防通道清障", "网格员队伍建设", "党群服务中心提升",
            "居民议事协商", "新就业群体服务", "口袋公园建设", "学校周边交通秩序", "菜市场环境整治", "二次供水改造"]
ACTIONS = ["摸底排查", "方案制定", "协调推进", "组织施工", "居民公示", "验收评估"]
STREET_ROLES = ("street_secretary", "street_deputy_secretary", "street_org_member")
DEPARTMENT_ROLES = ("dept_main_leader", "dept_responsible_leader", "dept_section_chief")


@dataclass(frozen=True)
class Unit:
    kind: str
    id: str

    def wire(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}


@dataclass
class DistrictShape:
    district: str
    name: str
    venue: str
    streets: list[tuple[str, str]]                    # (street_id, name)
    communities: list[tuple[str, str, str]]           # (community_id, street_id, name)
    departments: list[tuple[str, str]]                # (department_id, name)
    people: list[dict[str, Any]]                      # directory entries
    holder: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, unit id) → person id

    def person(self, role: str, unit_id: str) -> str:
        return self.holder[(role, unit_id)]

    def street_of(self, community_id: str) -> str:
        return self._street_of[community_id]

    def __post_init__(self) -> None:
        self._street_of = {c: s for c, s, _ in self.communities}

    def directory(self, version: int = 1) -> dict[str, Any]:
        """The `directory-updated` payload (the meetings service's snapshot)."""
        return {
            "version": version,
            "streets": [{"street_id": s, "name": n} for s, n in self.streets],
            "communities": [{"community_id": c, "street_id": s, "name": n} for c, s, n in self.communities],
            "departments": [{"department_id": d, "name": n} for d, n in self.departments],
            "people": self.people,
            "district_name": self.name,
            "venue": self.venue,
            "city": None,
        }


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def build_shape(district: str, index: int, rng: random.Random) -> DistrictShape:
    places = rng.sample(PLACES, 6)
    name = f"{places[0]}区"
    n_streets = rng.choice((3, 4, 4, 4, 5))
    streets = [(f"s{k + 1}", f"{places[k + 1]}街道") for k in range(n_streets)]
    n_communities = rng.randint(34, 46)
    words = rng.sample(COMMUNITY_WORDS, n_communities) if n_communities <= len(COMMUNITY_WORDS) else COMMUNITY_WORDS
    communities = [(f"c{k + 1:02d}", streets[k % n_streets][0], f"{words[k]}社区") for k in range(n_communities)]
    departments = DEPARTMENTS[:rng.randint(4, 6)]
    webhook = f"https://hooks.example.test/{district}"

    people: list[dict[str, Any]] = []
    holder: dict[tuple[str, str], str] = {}

    def add(person_id: str, roles: list[str], unit: Unit, webhook_too: bool) -> None:
        channels: list[dict[str, str]] = [{"kind": "email", "address": f"{person_id}.{district}@example.test"},
                                          {"kind": "inbox"}]
        if webhook_too:
            channels.append({"kind": "webhook", "url": f"{webhook}/{unit.id}"})
        people.append({"person_id": person_id, "name": person_name(rng), "roles": roles, "unit": unit.wire(),
                       "channels": channels})
        for role in roles:
            holder[(role, unit.id)] = person_id

    add("p-deputy-head", ["org_deputy_head"], Unit("district", district), False)
    add("p-office-1", ["party_office"], Unit("district", district), True)
    add("p-office-2", ["party_office"], Unit("district", district), True)
    for street_id, _ in streets:
        for role in STREET_ROLES:
            add(f"p-{street_id}-{role.removeprefix('street_')}", [role], Unit("street", street_id), True)
    for department_id, _ in departments:
        for role in DEPARTMENT_ROLES:
            add(f"p-{department_id}-{role.removeprefix('dept_')}", [role], Unit("department", department_id), True)
    for community_id, _, _ in communities:
        add(f"p-{community_id}-secretary", ["community_secretary"], Unit("community", community_id), False)
    return DistrictShape(district=district, name=name, venue=f"{name}党群服务中心报告厅", streets=streets,
                         communities=communities, departments=departments, people=people, holder=holder)
