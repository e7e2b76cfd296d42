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

# A required single value that a list field may give instead (study visit: several places;
# site observation: several units, each with its comment).
ALTERNATIVES = {"destination": "destinations", "community_id": "observations", "comments": "observations"}


@dataclass(frozen=True)
class Observation:
    """A unit seen on a site observation and the comment made on it (现场观摩点评)."""

    unit: UnitRef
    comment: str


@dataclass(frozen=True)
class Figures:
    """What the outcome figures count of an activity, typed (the `record` is what people wrote):
    a study visit's places and how many went, an experience sharing's speakers (the community
    secretaries who taught), a site observation's units and comments."""

    destinations: tuple[str, ...] = ()
    visitors: int | None = None
    speakers: tuple[str, ...] = ()
    observations: tuple[Observation, ...] = ()


def figures_of(kind: str, record: dict[str, Any], participants: list[str],
               secretaries: frozenset[str] = frozenset()) -> Figures:
    """The figures of an activity from its record. `secretaries`: the district's community
    secretaries (person ids); an experience sharing's presenter counts as a speaker only if
    they are one. Explicit `speakers`, `destinations`, `observations` win over the older
    single-value fields (`presenter`, `destination`, `community_id` + `comments`)."""
    if kind == "study_visit":
        places = [d for d in record.get("destinations") or [] if d] or [record.get("destination")]
        places = list(dict.fromkeys(p.strip() for p in places if isinstance(p, str) and p.strip()))
        visitors = record.get("visitors") or len(participants)
        if visitors < len(participants):
            raise Invalid("record.visitors", f"参观学习人数（{visitors}）少于记录的参加人员（{len(participants)} 人）")
        return Figures(destinations=tuple(places), visitors=visitors)
    if kind == "experience_sharing":
        speakers = list(record.get("speakers") or [])
        for i, speaker in enumerate(speakers):
            if speaker not in secretaries:
                raise Invalid(f"record.speakers.{i}", f"{speaker} 不是本区组织名录中的社区党委书记（书记讲给书记听）")
        if not speakers and record.get("presenter") in secretaries:
            speakers = [record["presenter"]]
        return Figures(speakers=tuple(dict.fromkeys(speakers)))
    if kind == "site_observation":
        given = record.get("observations") or []
        observations = [Observation(UnitRef(o["unit"]["kind"], o["unit"]["id"]), o["comment"]) for o in given]
        if not observations and record.get("community_id") and record.get("comments"):
            observations = [Observation(UnitRef("community", record["community_id"]), record["comments"])]
        return Figures(observations=tuple(observations))
    return Figures()


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
    figures: Figures = field(default_factory=Figures)
    pending_events: list[object] = field(default_factory=list, repr=False)

    @classmethod
    def hold(cls, *, district: str, activity_id: str, kind: str, date: date, title: str,
             participants: list[str], outcomes: list[Outcome], record: dict[str, Any],
             meeting_id: str | None = None, secretaries: frozenset[str] = frozenset()) -> Activity:
        if kind not in KINDS:
            raise Invalid("kind", f"应为以下之一：{'、'.join(KINDS)}")
        if not participants:
            raise Invalid("participants", "活动须记录参加人员")
        for key, meaning in REQUIRED[kind].items():
            value = record.get(key)
            if value is None and key in ALTERNATIVES and record.get(ALTERNATIVES[key]):
                continue  # the list form (destinations, observations) says it
            if value is None or (isinstance(value, (str, list)) and not value):
                raise Invalid(f"record.{key}", f"{label(ACTIVITY_LABELS, kind)}须记录{meaning}")
        if kind == "collective_diagnosis" and not outcomes:
            raise Invalid("outcomes", "集体会诊须记录议定解决的问题，每项写明责任单位和完成时限")
        for i, outcome in enumerate(outcomes):
            if outcome.due_date < date:
                raise Invalid(f"outcomes.{i}.due_date", "早于活动日期")
        activity = cls(district=district, activity_id=activity_id, kind=kind, date=date, title=title,
                       participants=list(participants), outcomes=list(outcomes), record=dict(record),
                       meeting_id=meeting_id, figures=figures_of(kind, record, participants, secretaries))
        activity.pending_events.append(events.ActivityHeld(district, activity_id))
        return activity

    def same_as(self, other: Activity) -> bool:
        keys = ("kind", "date", "title", "participants", "outcomes", "record", "meeting_id", "figures")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def ensure_replay_of(self, other: Activity) -> None:
        if not self.same_as(other):
            raise DomainError(f"活动 {self.activity_id} 已按其他内容记录过", code="activity.conflict")
