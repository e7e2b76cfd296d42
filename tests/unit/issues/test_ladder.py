"""The escalation ladder under an injected clock: overdue → notice → interview, each once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fourx_issues.domain.model import LadderPolicy, Source, Stage, UnitRef
from fourx_issues.service_layer import handlers
from fourx_platform.clock import FixedClock
from fourx_platform.errors import DomainError, NotAllowed

from tests.unit.issues.fakes import FakeUnitOfWork

D = "d1"
DUE = date(2026, 12, 4)
POLICY = LadderPolicy(notice_after_days=0, respond_within_days=7, interview_in_days=3)


async def raise_one(uow: FakeUnitOfWork, ref: str = "t1", owner: str | None = "p-sec-1", due: date = DUE) -> str:
    item, _ = await handlers.raise_item(handlers.RaiseItem(
        district=D, title=f"任务{ref}", description="", source=Source("meeting_task", f"m1/{ref}"),
        responsible=UnitRef("community", "c1"), due_date=due, raised_on=date(2026, 11, 6), owner=owner), uow)
    return item.issue_id


async def check(uow: FakeUnitOfWork, clock: FixedClock) -> handlers.CheckReport:
    return await handlers.daily_check(uow, D, clock.today(), POLICY)


async def test_nothing_fires_on_or_before_the_due_date():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE)
    await raise_one(uow)
    report = await check(uow, clock)
    assert report.overdue == report.notices == report.interviews == []
    assert not uow.events("issue-overdue")


async def test_overdue_then_notice_the_day_after_the_due_date():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    issue_id = await raise_one(uow)
    report = await check(uow, clock)
    assert report.overdue == [issue_id] and report.notices == [issue_id] and report.interviews == []
    [overdue] = uow.events("issue-overdue")
    assert overdue.data == {"issue_id": issue_id, "due_date": "2026-12-04", "days_overdue": 1}
    [notice] = uow.events("notice-issued")
    assert notice.data["issue_id"] == issue_id
    assert notice.data["to"] == {"kind": "community", "id": "c1"} and notice.data["to_person"] == "p-sec-1"
    assert notice.data["issued_on"] == "2026-12-05" and notice.data["respond_by"] == "2026-12-12"
    assert notice.data["number"] == "督办〔2026〕第1号"
    assert uow.events("issue-overdue")[0].data["issue_id"] == notice.data["issue_id"]


async def test_notice_waits_for_the_policy_delay():
    uow = FakeUnitOfWork()
    issue_id = await raise_one(uow)
    policy = LadderPolicy(notice_after_days=2)
    first = await handlers.daily_check(uow, D, DUE + timedelta(days=1), policy)
    assert first.overdue == [issue_id] and first.notices == []
    second = await handlers.daily_check(uow, D, DUE + timedelta(days=3), policy)
    assert second.overdue == [] and second.notices == [issue_id]


async def test_interview_only_after_respond_by():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    issue_id = await raise_one(uow)
    await check(uow, clock)
    clock.day = date(2026, 12, 12)  # the respond-by day itself: not yet
    assert (await check(uow, clock)).interviews == []
    clock.day = date(2026, 12, 13)
    report = await check(uow, clock)
    assert report.interviews == [issue_id]
    [interview] = uow.events("interview-scheduled")
    assert interview.data["issue_id"] == issue_id and interview.data["person_id"] == "p-sec-1"
    assert interview.data["scheduled_for"] == "2026-12-16"
    assert "督办〔2026〕第1号" in interview.data["reason"]


async def test_no_step_fires_twice():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    await raise_one(uow)
    for offset in range(1, 40):  # every day for weeks, and the same day again
        clock.day = DUE + timedelta(days=offset)
        await check(uow, clock)
        await check(uow, clock)
    assert len(uow.events("issue-overdue")) == 1
    assert len(uow.events("notice-issued")) == 1
    assert len(uow.events("interview-scheduled")) == 1


async def test_no_step_twice_when_a_replica_races_the_same_check():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    issue_id = await raise_one(uow)

    async def other_replica_runs_first():
        await handlers.daily_check(uow, D, clock.today(), POLICY)

    uow.items.before_save = other_replica_runs_first
    await check(uow, clock)
    assert len(uow.events("issue-overdue")) == 1 and len(uow.events("notice-issued")) == 1
    assert uow.notice_numbers.holders[f"{D}/2026"] == [issue_id]


async def test_deterministic_ids_for_the_same_stage():
    a, b = FakeUnitOfWork(), FakeUnitOfWork()
    for uow in (a, b):
        await raise_one(uow)
        await handlers.daily_check(uow, D, DUE + timedelta(days=1), POLICY)
    assert [e.id for e in a.outbox] == [e.id for e in b.outbox]


async def test_a_resolved_item_does_not_climb():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    issue_id = await raise_one(uow)
    await handlers.claim_resolved(uow, D, issue_id, resolution="已办结", today=DUE)
    await check(uow, clock)
    assert not uow.events("issue-overdue")


async def test_resolved_before_respond_by_gets_no_interview():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    issue_id = await raise_one(uow)
    await check(uow, clock)
    await handlers.claim_resolved(uow, D, issue_id, resolution="整改到位", today=date(2026, 12, 10))
    clock.day = date(2026, 12, 20)
    await check(uow, clock)
    assert not uow.events("interview-scheduled")


async def test_reopened_item_never_gets_a_second_notice():
    uow, clock = FakeUnitOfWork(), FixedClock(DUE + timedelta(days=1))
    issue_id = await raise_one(uow)
    await check(uow, clock)
    await handlers.claim_resolved(uow, D, issue_id, resolution="整改到位", today=date(2026, 12, 6))
    await handlers.reopen(uow, D, issue_id, reason="现场核查未整改")
    clock.day = date(2026, 12, 7)
    await check(uow, clock)
    assert len(uow.events("notice-issued")) == 1 and len(uow.events("issue-overdue")) == 1
    clock.day = date(2026, 12, 13)
    assert (await check(uow, clock)).interviews == [issue_id]


async def test_notice_numbers_count_per_district_and_year_without_gaps():
    uow = FakeUnitOfWork()
    ids = [await raise_one(uow, ref=f"t{i}") for i in range(3)]
    await handlers.daily_check(uow, D, DUE + timedelta(days=1), POLICY)
    numbers = {e.data["issue_id"]: e.data["number"] for e in uow.events("notice-issued")}
    assert sorted(numbers.values()) == ["督办〔2026〕第1号", "督办〔2026〕第2号", "督办〔2026〕第3号"]
    assert set(numbers) == set(ids)
    late = await raise_one(uow, ref="late", due=date(2026, 12, 31))
    await handlers.daily_check(uow, D, date(2027, 1, 2), POLICY)
    assert uow.events("notice-issued")[-1].data == {**uow.events("notice-issued")[-1].data, "issue_id": late,
                                                     "number": "督办〔2027〕第1号"}


async def test_office_may_issue_a_notice_before_the_item_is_overdue_and_the_ladder_skips_it():
    uow = FakeUnitOfWork()
    issue_id = await raise_one(uow)
    await handlers.issue_notice(uow, D, issue_id, today=date(2026, 11, 20), reason="进度滞后",
                                respond_by=None, policy=POLICY)
    with pytest.raises(DomainError, match="^notice: 该事项已发出督办通知"):
        await handlers.issue_notice(uow, D, issue_id, today=date(2026, 11, 21), reason="再次", respond_by=None,
                                    policy=POLICY)
    report = await handlers.daily_check(uow, D, DUE + timedelta(days=1), POLICY)
    assert report.overdue == [issue_id] and report.notices == [] and report.interviews == [issue_id]
    assert len(uow.events("notice-issued")) == 1


async def test_acknowledging_a_notice_by_its_addressee_only():
    uow = FakeUnitOfWork()
    issue_id = await raise_one(uow)
    await handlers.daily_check(uow, D, DUE + timedelta(days=1), POLICY)
    with pytest.raises(NotAllowed):
        await handlers.acknowledge_notice(uow, D, issue_id, person_id="someone-else", today=DUE)
    item = await handlers.acknowledge_notice(uow, D, issue_id, person_id="p-sec-1", today=date(2026, 12, 6))
    assert item.notice.acknowledged_on == date(2026, 12, 6)
    again = await handlers.acknowledge_notice(uow, D, issue_id, person_id="p-sec-1", today=date(2026, 12, 7))
    assert again.notice.acknowledged_on == date(2026, 12, 6)


async def test_interview_outcome_is_recorded_later():
    uow = FakeUnitOfWork()
    issue_id = await raise_one(uow)
    with pytest.raises(DomainError, match="^interview: "):
        await handlers.record_interview_outcome(uow, D, issue_id, outcome="x", today=DUE)
    await handlers.daily_check(uow, D, DUE + timedelta(days=1), POLICY)
    await handlers.daily_check(uow, D, DUE + timedelta(days=9), POLICY)
    item = await handlers.record_interview_outcome(uow, D, issue_id, outcome="已约谈，限期两周整改",
                                                   today=DUE + timedelta(days=12))
    assert item.interview.outcome == "已约谈，限期两周整改"


async def test_domain_refuses_each_stage_twice():
    uow = FakeUnitOfWork()
    issue_id = await raise_one(uow)
    item = await uow.items.get(D, issue_id)
    today = DUE + timedelta(days=1)
    item.flag_overdue(today)
    with pytest.raises(DomainError):
        item.flag_overdue(today)
    item.issue_notice(notice_id="n", number="督办〔2026〕第1号", today=today, respond_by=today + timedelta(days=7),
                      reason="r", to_person=None)
    with pytest.raises(DomainError):
        item.issue_notice(notice_id="n", number="督办〔2026〕第2号", today=today, respond_by=today + timedelta(days=7),
                          reason="r", to_person=None)
    item.schedule_interview(interview_id="i", person_id="p", reason="r", scheduled_for=today)
    with pytest.raises(DomainError):
        item.schedule_interview(interview_id="i", person_id="p", reason="r", scheduled_for=today)
    assert item.next_stage(today + timedelta(days=100), POLICY) is None
    assert [type(e).__name__ for e in item.pending_events] == ["ItemOverdue", "NoticeIssued", "InterviewScheduled"]


def test_stage_order():
    assert [s.value for s in Stage] == ["overdue", "notice", "interview"]


async def test_a_number_taken_for_an_item_resolved_meanwhile_is_handed_back():
    uow = FakeUnitOfWork()
    first = await raise_one(uow, ref="a")
    await handlers.daily_check(uow, D, DUE + timedelta(days=1), POLICY)     # first gets 第1号
    late = await raise_one(uow, ref="b", due=DUE + timedelta(days=5))

    async def unit_resolves_it_meanwhile():
        await handlers.claim_resolved(uow, D, late, resolution="刚刚办结", today=DUE + timedelta(days=7))

    uow.items.before_save_of[late] = unit_resolves_it_meanwhile
    report = await handlers.daily_check(uow, D, DUE + timedelta(days=7), POLICY)
    assert report.notices == [] and not uow.items.before_save_of
    assert uow.notice_numbers.holders[f"{D}/2026"] == [first]   # 第2号 is free again
    third = await raise_one(uow, ref="c", due=DUE + timedelta(days=5))
    await handlers.daily_check(uow, D, DUE + timedelta(days=8), POLICY)
    numbers = {e.data["issue_id"]: e.data["number"] for e in uow.events("notice-issued")}
    assert numbers == {first: "督办〔2026〕第1号", third: "督办〔2026〕第2号"}


async def test_a_notice_issued_by_hand_hands_its_number_back_when_the_item_was_resolved_meanwhile():
    uow = FakeUnitOfWork()
    issue_id = await raise_one(uow)

    async def unit_resolves_it_meanwhile():
        await handlers.claim_resolved(uow, D, issue_id, resolution="刚刚办结", today=date(2026, 11, 20))

    uow.items.before_save_of[issue_id] = unit_resolves_it_meanwhile
    with pytest.raises(DomainError, match="^status: ") as refused:
        await handlers.issue_notice(uow, D, issue_id, today=date(2026, 11, 20), reason="进度滞后",
                                    respond_by=None, policy=POLICY)
    assert refused.value.field == "status" and not uow.items.before_save_of
    assert uow.notice_numbers.holders[f"{D}/2026"] == []   # the reserved 第1号 is free again
    assert not uow.events("notice-issued")
