"""The supervision item (督办事项) and inspection (督查) aggregates. Pure: no I/O, no framework.

Lifecycle of an item: open → in_progress → resolved (claimed by the responsible unit) →
closed (verified by the Party-building office, who may instead reopen it to in_progress).

Escalation ladder (the daily check walks it, one stage at a time, each stage at most once
per item, whatever happens afterwards — a reopened item never gets a second notice):
overdue (issue-overdue) → notice (督办通知, notice-issued) → interview (约谈, interview-scheduled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum

from fourx_contracts.vocabulary import (  # noqa: F401
    INSPECTION_KINDS, ITEM_STATUS_LABELS, ITEM_STATUSES, SOURCE_KINDS, UNIT_KINDS, UnitRef,
)
from fourx_platform.errors import DomainError, Invalid, NotAllowed

from fourx_issues.domain import events
from fourx_issues.domain.lights import (Light, Verdict, assess_light, iso_week, missing_week_count, missing_weeks,
                                        monday_of)

OPEN, IN_PROGRESS, RESOLVED, CLOSED = ITEM_STATUSES
STATUSES = ITEM_STATUSES


def _wrong_status(item: "SupervisionItem", what: str) -> DomainError:
    """The item is in the wrong state for this: a conflict naming `status` (409)."""
    return DomainError(f"事项当前为“{ITEM_STATUS_LABELS[item.status]}”，{what}", field="status",
                       code="item.wrong_status")


class Stage(StrEnum):
    OVERDUE = "overdue"
    NOTICE = "notice"
    INTERVIEW = "interview"


@dataclass(frozen=True)
class LadderPolicy:
    """How fast the ladder climbs. A notice goes out `notice_after_days` after the item turned
    overdue and asks for a response within `respond_within_days`; an item still unresolved
    after its respond-by date gets an interview `interview_in_days` later."""

    notice_after_days: int = 0
    respond_within_days: int = 7
    interview_in_days: int = 3


@dataclass(frozen=True)
class Source:
    kind: str
    ref: str


@dataclass(frozen=True)
class ProgressRecord:
    week: str
    note: str
    percent: int
    recorded_on: date
    by: str | None = None
    seq: int = 0  # the item's record number (0: recorded before records were numbered)


@dataclass
class Notice:
    notice_id: str
    number: str
    to: UnitRef
    to_person: str | None
    reason: str
    issued_on: date
    respond_by: date
    acknowledged_on: date | None = None
    acknowledged_by: str | None = None


@dataclass
class Interview:
    interview_id: str
    person_id: str              # who is interviewed (约谈对象)
    reason: str
    scheduled_for: date
    outcome: str | None = None
    outcome_recorded_on: date | None = None
    at: time | None = None      # the hour, when the office set one
    place: str | None = None
    interviewer: str | None = None  # who holds the interview (a person id), when named
    scheduled_on: date | None = None
    scheduled_by: str | None = None  # None: the daily check's ladder


# What can happen to an item, in the order it usually does; the item's timeline (履历) lists
# them as they happened, each with its day and who did it.
HAPPENINGS = ("raised", "progress", "claimed", "verified", "reopened", "overdue", "notice_issued",
              "notice_signed", "interview_scheduled", "interview_outcome")
HAPPENING_LABELS = {"raised": "提出督办事项", "progress": "记录工作写实", "claimed": "责任单位报办结",
                    "verified": "党建办核验办结", "reopened": "退回重办", "overdue": "逾期",
                    "notice_issued": "发出督办通知", "notice_signed": "签收督办通知",
                    "interview_scheduled": "安排约谈", "interview_outcome": "记录约谈结果"}


@dataclass(frozen=True)
class Happening:
    """One entry of the item's timeline: what happened (`kind` of HAPPENINGS), on which day,
    by whom (None: the service itself, e.g. the daily check), and its words."""

    kind: str
    on: date | None
    by: str | None = None
    text: str = ""


@dataclass
class SupervisionItem:
    district: str
    issue_id: str
    title: str
    description: str
    source: Source
    responsible: UnitRef
    due_date: date
    raised_on: date
    owner: str | None = None
    co_units: list[UnitRef] = field(default_factory=list)
    street_id: str | None = None
    community_id: str | None = None
    status: str = OPEN
    progress: list[ProgressRecord] = field(default_factory=list)  # one per ISO week, the latest of it
    # Records ever accepted, replaced ones included: the next record is number progress_seq + 1.
    # It tells a new record from a retry when the content repeats (30 → 40 → 30).
    progress_seq: int = 0
    resolution: str | None = None
    resolved_on: date | None = None        # the day the unit claimed it resolved
    verified_on: date | None = None
    reopened: list[str] = field(default_factory=list)  # the office's reasons, oldest first
    overdue_on: date | None = None         # ladder stage 1 fired on this day
    notice: Notice | None = None           # ladder stage 2
    interview: Interview | None = None     # ladder stage 3
    light: str | None = None               # as stored by the last daily check
    light_on: date | None = None
    history: list[Happening] = field(default_factory=list)  # oldest first; empty for items stored before it
    version: int = 0
    pending_events: list[object] = field(default_factory=list, repr=False)

    @classmethod
    def raise_item(cls, **fields) -> "SupervisionItem":
        item = cls(**fields)
        if not item.title.strip():
            raise Invalid("title", "督办事项须有标题")
        if item.source.kind not in SOURCE_KINDS:
            raise Invalid("source.kind", f"须为以下之一：{'、'.join(SOURCE_KINDS)}")
        if item.due_date < item.raised_on:
            raise Invalid("due_date", f"办理时限 {item.due_date} 早于提出日期 {item.raised_on}")
        item._happened("raised", item.raised_on, None, item.title)
        item.pending_events.append(events.ItemRaised(item.issue_id))
        return item

    def _happened(self, kind: str, on: date | None, by: str | None, text: str = "") -> None:
        self.history.append(Happening(kind, on, by, text))

    def timeline(self) -> list[Happening]:
        """What happened to the item, oldest first. Items stored before the history was kept
        get theirs rebuilt from their fields (without the claims a reopening replaced)."""
        if self.history:
            return list(self.history)
        rebuilt = [Happening("raised", self.raised_on, None, self.title)]
        rebuilt += [Happening("progress", r.recorded_on, r.by, f"{r.week}：{r.percent}%，{r.note}") for r in self.progress]
        rebuilt += [Happening("reopened", None, None, reason) for reason in self.reopened]
        if self.overdue_on:
            rebuilt.append(Happening("overdue", self.overdue_on))
        if self.resolved_on:
            rebuilt.append(Happening("claimed", self.resolved_on, None, self.resolution or ""))
        if self.verified_on:
            rebuilt.append(Happening("verified", self.verified_on))
        if n := self.notice:
            rebuilt.append(Happening("notice_issued", n.issued_on, None, f"{n.number}：{n.reason}"))
            if n.acknowledged_on:
                rebuilt.append(Happening("notice_signed", n.acknowledged_on, n.acknowledged_by, n.number))
        if i := self.interview:
            rebuilt.append(Happening("interview_scheduled", i.scheduled_on, i.scheduled_by, i.reason))
            if i.outcome_recorded_on:
                rebuilt.append(Happening("interview_outcome", i.outcome_recorded_on, None, i.outcome or ""))
        return sorted(rebuilt, key=lambda h: (h.on is None, h.on or date.min))

    # --- state -----------------------------------------------------------------------
    @property
    def unresolved(self) -> bool:
        return self.status in (OPEN, IN_PROGRESS)

    def recorded_weeks(self) -> set[str]:
        return {r.week for r in self.progress}

    def light_for(self, today: date) -> Light | None:
        return self.verdict(today).light

    def verdict(self, today: date) -> Verdict:
        """The light on `today` and the rule that gave it (domain/lights.py)."""
        return assess_light(status=self.status, raised_on=self.raised_on, due_date=self.due_date, today=today,
                            latest_percent=self.latest_percent(), recorded_weeks=self.recorded_weeks())

    def missing_weeks(self, today: date) -> list[str]:
        if self.status == CLOSED:
            return []
        return missing_weeks(self.raised_on, today, self.recorded_weeks())

    def missing_week_count(self, today: date) -> int:
        return 0 if self.status == CLOSED else missing_week_count(self.raised_on, today, self.recorded_weeks())

    def latest_percent(self) -> int:
        # The latest week's record says where the work stands (progress may be revised down).
        return max(self.progress, key=lambda r: r.week).percent if self.progress else 0

    def refresh_light(self, today: date) -> bool:
        """Store today's light; True when it changed."""
        light = self.light_for(today)
        value = light.value if light else None
        changed = value != self.light or self.light_on != today
        self.light, self.light_on = value, today
        return changed

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> bool:
        if self.status == OPEN:
            self.status = IN_PROGRESS
            return True
        if self.status == IN_PROGRESS:
            return False
        raise _wrong_status(self, "只有未开始的事项可以开始办理")

    def record_progress(self, *, week: str, note: str, percent: int, today: date, by: str | None = None) -> bool:
        """The weekly work record (写实) of one ISO week; recording a week again replaces it.
        Returns False when the week's current record already says the same (a retried
        request). Otherwise the record takes the next number (`seq`), so the same content
        recorded again after another record (30 → 40 → 30) is a new fact with its own event."""
        if self.status == CLOSED:
            raise _wrong_status(self, "不能再记录工作写实")
        if not 0 <= percent <= 100:
            raise Invalid("percent", "进度须在 0 到 100 之间")
        if not note.strip():
            raise Invalid("note", "工作写实须写明所做的事，不能为空")
        if monday_of(week) > today:
            raise Invalid("week", f"{week} 还没有开始（今天是 {today}，第 {iso_week(today)} 周）")
        existing = next((r for r in self.progress if r.week == week), None)
        if existing and existing.note == note and existing.percent == percent:
            return False
        self.progress_seq += 1
        self.progress = [r for r in self.progress if r.week != week]
        self.progress.append(ProgressRecord(week=week, note=note, percent=percent, recorded_on=today, by=by,
                                            seq=self.progress_seq))
        self.progress.sort(key=lambda r: r.week)
        if self.status == OPEN:
            self.status = IN_PROGRESS
        self._happened("progress", today, by, f"{week}：{percent}%，{note}")
        self.pending_events.append(events.ProgressRecorded(self.issue_id, week, note, percent, self.progress_seq))
        return True

    def claim_resolved(self, *, resolution: str, today: date, by: str | None = None) -> bool:
        if self.status == RESOLVED and self.resolution == resolution:
            return False
        if not self.unresolved:
            raise _wrong_status(self, "只有未开始或推进中的事项可以报办结")
        if not resolution.strip():
            raise Invalid("resolution", "请写明问题是如何解决的")
        self.status, self.resolution, self.resolved_on = RESOLVED, resolution, today
        self._happened("claimed", today, by, resolution)
        return True

    def verify(self, *, today: date, by: str | None = None) -> bool:
        if self.status == CLOSED:
            return False
        if self.status != RESOLVED:
            raise _wrong_status(self, "责任单位报办结后才能核验")
        self.status, self.verified_on = CLOSED, today
        self.light, self.light_on = None, today
        self._happened("verified", today, by)
        self.pending_events.append(events.ItemVerified(self.issue_id, today))
        return True

    def reopen(self, *, reason: str, today: date | None = None, by: str | None = None) -> None:
        if self.status != RESOLVED:
            raise _wrong_status(self, "只有已报办结待核验的事项可以退回重办")
        if not reason.strip():
            raise Invalid("reason", "请写明不认可办结的理由")
        self.status, self.resolution, self.resolved_on = IN_PROGRESS, None, None
        self.reopened.append(reason)
        self._happened("reopened", today, by, reason)

    # --- the escalation ladder -------------------------------------------------------
    def next_stage(self, today: date, policy: LadderPolicy) -> Stage | None:
        """The ladder stage due today, if any. Each stage fires at most once per item."""
        if not self.unresolved:
            return None
        if self.overdue_on is None:
            return Stage.OVERDUE if today > self.due_date else None
        if self.notice is None:
            return Stage.NOTICE if today >= self.overdue_on + timedelta(days=policy.notice_after_days) else None
        if self.interview is None:
            return Stage.INTERVIEW if today > self.notice.respond_by else None
        return None

    def flag_overdue(self, today: date) -> None:
        if self.overdue_on is not None:
            raise DomainError("事项已标记为逾期", field="ladder", code="item.already_overdue")
        if not (self.unresolved and today > self.due_date):
            raise DomainError(f"事项在 {today} 并未逾期", field="due_date", code="item.not_overdue")
        self.overdue_on = today
        self._happened("overdue", today, None, f"超过办理时限 {self.due_date.isoformat()}")
        self.pending_events.append(events.ItemOverdue(self.issue_id, (today - self.due_date).days))

    def issue_notice(self, *, notice_id: str, number: str, today: date, respond_by: date, reason: str,
                     to_person: str | None, by: str | None = None) -> None:
        """A supervision notice (督办通知) to the responsible unit. The office may issue one
        before the item is overdue (weak progress); the ladder issues it once it is."""
        self.check_notice(today=today, respond_by=respond_by)
        self.notice = Notice(notice_id=notice_id, number=number, to=self.responsible, to_person=to_person,
                             reason=reason, issued_on=today, respond_by=respond_by)
        self._happened("notice_issued", today, by, f"{number}：{reason}（{respond_by.isoformat()}前答复）")
        self.pending_events.append(events.NoticeIssued(self.issue_id))

    def check_notice(self, *, today: date, respond_by: date) -> None:
        """Refuse a notice this item may not get (before a number is taken for it)."""
        if self.notice is not None:
            raise DomainError(f"该事项已发出督办通知 {self.notice.number}", field="notice",
                              code="notice.already_issued")
        if not self.unresolved:
            raise _wrong_status(self, "无需督办通知")
        if respond_by <= today:
            raise Invalid("respond_by", "答复期限须晚于通知发出之日")

    def acknowledge_notice(self, *, person_id: str, today: date, as_office: bool = False) -> bool:
        """签收: the addressee confirms receipt; the office may sign on the addressee's behalf."""
        if self.notice is None:
            raise DomainError("该事项没有发出督办通知", field="notice", code="notice.none")
        if self.notice.acknowledged_on is not None:
            return False
        if self.notice.to_person and person_id != self.notice.to_person and not as_office:
            raise NotAllowed(f"督办通知 {self.notice.number} 的签收人是 {self.notice.to_person}",
                             code="notice.not_yours")
        self.notice.acknowledged_on, self.notice.acknowledged_by = today, person_id
        self._happened("notice_signed", today, person_id, self.notice.number)
        return True

    def schedule_interview(self, *, interview_id: str, person_id: str, reason: str, scheduled_for: date,
                           today: date | None = None, at: time | None = None, place: str | None = None,
                           interviewer: str | None = None, by: str | None = None) -> None:
        """约谈 the responsible person, after a notice, once per item: by the ladder (no `by`)
        or by the office, who names the day, hour, place and who holds it."""
        self.check_interview()
        if today is not None and scheduled_for < today:
            raise Invalid("scheduled_for", f"约谈日期 {scheduled_for} 早于今天（{today}）")
        if not reason.strip():
            raise Invalid("reason", "请写明约谈事由")
        self.interview = Interview(interview_id=interview_id, person_id=person_id, reason=reason,
                                   scheduled_for=scheduled_for, at=at, place=place, interviewer=interviewer,
                                   scheduled_on=today, scheduled_by=by)
        when = scheduled_for.isoformat() + (f" {at.strftime('%H:%M')}" if at else "")
        self._happened("interview_scheduled", today, by,
                       f"{when}{f'，{place}' if place else ''}，约谈 {person_id}：{reason}")
        self.pending_events.append(events.InterviewScheduled(self.issue_id))

    def check_interview(self) -> None:
        """Refuse an interview this item may not get (before anyone is chosen for it)."""
        if self.interview is not None:
            raise DomainError("该事项已安排约谈", field="interview", code="interview.already_scheduled")
        if self.notice is None:
            raise DomainError("约谈须在督办通知之后，该事项尚未发出督办通知", field="notice",
                              code="interview.needs_notice")
        if not self.unresolved:
            raise _wrong_status(self, "无需约谈")

    def record_interview_outcome(self, *, outcome: str, today: date, by: str | None = None) -> None:
        if self.interview is None:
            raise DomainError("该事项没有安排约谈", field="interview", code="interview.none")
        if not outcome.strip():
            raise Invalid("outcome", "请写明约谈结论")
        self.interview.outcome, self.interview.outcome_recorded_on = outcome, today
        self._happened("interview_outcome", today, by, outcome)


@dataclass(frozen=True)
class Finding:
    text: str
    unit: UnitRef | None = None
    # When set, the finding becomes a supervision item with this title and due date.
    item_title: str | None = None
    item_due_date: date | None = None
    item_owner: str | None = None


@dataclass
class Inspection:
    """A monthly inspection (现场观摩、走访座谈、实地督导) of some units."""

    district: str
    inspection_id: str
    kind: str
    date: date
    units: list[UnitRef]
    status: str = "planned"
    findings: list[Finding] = field(default_factory=list)
    held_on: date | None = None
    version: int = 0
    pending_events: list[object] = field(default_factory=list, repr=False)

    @classmethod
    def plan(cls, **fields) -> "Inspection":
        inspection = cls(**fields)
        if inspection.kind not in INSPECTION_KINDS:
            raise Invalid("kind", f"须为以下之一：{'、'.join(INSPECTION_KINDS)}")
        if not inspection.units:
            raise Invalid("units", "督查至少要去一个单位")
        return inspection

    def hold(self, *, findings: list[Finding], held_on: date) -> bool:
        if self.status == "held":
            return False
        for i, finding in enumerate(findings):
            if finding.item_title is not None and finding.item_due_date is None:
                raise Invalid(f"findings.{i}.raise_item.due_date", "要转为督办事项的发现须有办理时限")
            if finding.item_title is not None and finding.unit is None:
                raise Invalid(f"findings.{i}.unit", "要转为督办事项的发现须有责任单位")
        self.status, self.findings, self.held_on = "held", findings, held_on
        self.pending_events.append(events.InspectionHeld(self.inspection_id))
        return True
