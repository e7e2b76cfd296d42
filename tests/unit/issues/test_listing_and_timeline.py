"""The supervision list's filters (domain/listing.py), an item's timeline and the office's
interview scheduling, pure and over the fake unit of work."""

from __future__ import annotations

from datetime import date, time

import pytest
from fourx_contracts.events import DirectoryUpdated
from fourx_issues.domain.listing import ItemFilter, Mine
from fourx_issues.domain.model import (
    HAPPENING_LABELS, HAPPENINGS, Interview, LadderPolicy, Notice, Source, SupervisionItem, UnitRef,
)
from fourx_issues.service_layer import handlers
from fourx_platform.errors import DomainError, Invalid

from tests.unit.issues.fakes import FakeUnitOfWork

TODAY = date(2026, 11, 10)
C1, C2, ZJ = UnitRef("community", "c1"), UnitRef("community", "c2"), UnitRef("department", "zhujian")


def item(issue_id: str, responsible: UnitRef = C1, due: date = date(2026, 12, 1), **kw) -> SupervisionItem:
    return SupervisionItem.raise_item(district="d", issue_id=issue_id, title=f"事项{issue_id}", description="",
                                      source=Source("community", issue_id), responsible=responsible, due_date=due,
                                      raised_on=date(2026, 11, 2), **kw)


def noticed(issue_id: str, to_person: str | None = "p-sec", **kw) -> SupervisionItem:
    i = item(issue_id, **kw)
    i.issue_notice(notice_id="n", number="督办〔2026〕第1号", today=TODAY, respond_by=date(2026, 11, 17),
                   reason="进度偏慢", to_person=to_person, by="p-office")
    return i


def test_the_store_answers_street_community_and_status_the_rest_is_judged_per_item():
    where = ItemFilter(street="s1", community="c1", status="open")
    assert where.store_query("d") == {"district": "d", "street_id": "s1", "community_id": "c1", "status": "open"}
    assert not where.judged_here
    for judged in (ItemFilter(department="zhujian"), ItemFilter(mine=Mine("p", None)),
                   ItemFilter(due_before=date(2026, 11, 30))):
        assert judged.judged_here and judged.store_query("d") == {"district": "d"}


def test_the_due_range_includes_both_days():
    due = item("a", due=date(2026, 11, 20))
    assert ItemFilter(due_after=date(2026, 11, 20), due_before=date(2026, 11, 20)).matches(due, TODAY)
    assert not ItemFilter(due_after=date(2026, 11, 21)).matches(due, TODAY)
    assert not ItemFilter(due_before=date(2026, 11, 19)).matches(due, TODAY)


def test_department_and_unit_include_co_units():
    with_co = item("a", responsible=C2, co_units=[ZJ])
    assert ItemFilter(department="zhujian").matches(with_co, TODAY)
    assert ItemFilter(unit=C2).matches(with_co, TODAY) and not ItemFilter(unit=C1).matches(with_co, TODAY)
    assert not ItemFilter(department="other").matches(with_co, TODAY)


def test_mine_is_my_unit_or_what_names_me():
    mine = Mine("p-sec", C1)
    assert ItemFilter(mine=mine).matches(item("a"), TODAY)
    assert not ItemFilter(mine=mine).matches(item("b", responsible=C2), TODAY)
    # a notice to me on another unit's item is mine too (the office names the addressee)
    assert ItemFilter(mine=Mine("p-sec", None)).matches(noticed("c", responsible=C2), TODAY)
    assert ItemFilter(mine=Mine("p-x", None)).matches(item("d", owner="p-x"), TODAY)


@pytest.mark.parametrize(("state", "plain", "unsigned", "signed"), [
    ("none", True, False, False), ("issued", False, True, True),
    ("unsigned", False, True, False), ("signed", False, False, True),
])
def test_notice_states(state, plain, unsigned, signed):
    signed_item = noticed("s")
    signed_item.acknowledge_notice(person_id="p-sec", today=TODAY)
    where = ItemFilter(notice=state)
    assert [where.matches(i, TODAY) for i in (item("p"), noticed("u"), signed_item)] == [plain, unsigned, signed]


def test_interview_states():
    pending = noticed("a")
    pending.schedule_interview(interview_id="i", person_id="p-sec", reason="仍未办结", scheduled_for=date(2026, 11, 20),
                               today=TODAY)
    done = noticed("b")
    done.schedule_interview(interview_id="i", person_id="p-sec", reason="仍未办结", scheduled_for=date(2026, 11, 20),
                            today=TODAY)
    done.record_interview_outcome(outcome="限期整改", today=TODAY)
    states = {s: [ItemFilter(interview=s).matches(i, TODAY) for i in (item("x"), pending, done)]
              for s in ("none", "scheduled", "pending", "done")}
    assert states == {"none": [True, False, False], "scheduled": [False, True, True],
                      "pending": [False, True, False], "done": [False, False, True]}


def test_the_timeline_records_each_happening_with_its_day_and_who():
    i = item("a")
    i.record_progress(week="2026-W46", note="清理一半", percent=50, today=TODAY, by="p-sec")
    i.issue_notice(notice_id="n", number="督办〔2026〕第1号", today=TODAY, respond_by=date(2026, 11, 17),
                   reason="进度偏慢", to_person="p-sec", by="p-office")
    i.acknowledge_notice(person_id="p-sec", today=date(2026, 11, 11))
    i.schedule_interview(interview_id="iv", person_id="p-sec", reason="仍未办结", scheduled_for=date(2026, 11, 20),
                         today=date(2026, 11, 12), at=time(14, 30), place="三楼会议室", by="p-office")
    i.record_interview_outcome(outcome="限期整改", today=date(2026, 11, 20), by="p-office")
    i.claim_resolved(resolution="已清理", today=date(2026, 11, 21), by="p-sec")
    i.reopen(reason="仍有堆物", today=date(2026, 11, 22), by="p-office")
    i.claim_resolved(resolution="全部清理", today=date(2026, 11, 24), by="p-sec")
    i.verify(today=date(2026, 11, 25), by="p-office")
    timeline = i.timeline()
    assert [h.kind for h in timeline] == ["raised", "progress", "notice_issued", "notice_signed",
                                          "interview_scheduled", "interview_outcome", "claimed", "reopened",
                                          "claimed", "verified"]
    assert [h.on for h in timeline] == sorted(h.on for h in timeline)
    assert "2026-11-20 14:30，三楼会议室" in timeline[4].text
    assert set(HAPPENINGS) == set(HAPPENING_LABELS) and {h.kind for h in timeline} <= set(HAPPENINGS)


def test_an_item_stored_before_the_history_gets_its_timeline_rebuilt():
    old = SupervisionItem(district="d", issue_id="old", title="旧事项", description="", source=Source("community", "x"),
                          responsible=C1, due_date=date(2026, 12, 1), raised_on=date(2026, 11, 2),
                          notice=Notice("n", "督办〔2026〕第2号", C1, "p-sec", "逾期", date(2026, 11, 5),
                                        date(2026, 11, 12), acknowledged_on=date(2026, 11, 6), acknowledged_by="p-sec"),
                          interview=Interview("iv", "p-sec", "仍未办结", date(2026, 11, 15)))
    kinds = [h.kind for h in old.timeline()]
    assert kinds[:3] == ["raised", "notice_issued", "notice_signed"] and "interview_scheduled" in kinds


def test_an_interview_needs_a_notice_an_open_item_and_a_day_not_past():
    with pytest.raises(DomainError) as no_notice:
        item("a").check_interview()
    assert no_notice.value.code == "interview.needs_notice"
    with pytest.raises(Invalid) as past:
        noticed("b").schedule_interview(interview_id="i", person_id="p", reason="r",
                                        scheduled_for=date(2026, 11, 1), today=TODAY)
    assert past.value.field == "scheduled_for"
    closed = noticed("c")
    closed.claim_resolved(resolution="好了", today=TODAY)
    with pytest.raises(DomainError) as wrong:
        closed.check_interview()
    assert wrong.value.code == "item.wrong_status"


async def test_the_office_schedules_the_interview_of_the_notices_addressee():
    uow = FakeUnitOfWork()
    await handlers.on_directory_updated("d", DirectoryUpdated.model_validate({
        "version": 1, "streets": [], "communities": [], "departments": [],
        "people": [{"person_id": "p-sec", "name": "王书记", "roles": ["community_secretary"],
                    "unit": {"kind": "community", "id": "c1"}}]}), uow)
    raised, _ = await handlers.raise_item(handlers.RaiseItem(
        district="d", title="楼道堆物", description="", source=Source("community", "r"), responsible=C1,
        due_date=date(2026, 11, 20), raised_on=date(2026, 11, 2)), uow)
    await handlers.issue_notice(uow, "d", raised.issue_id, today=TODAY, reason="进度偏慢", respond_by=None,
                                policy=LadderPolicy(), by="p-office")
    got = await handlers.schedule_interview(handlers.ScheduleInterview(
        district="d", issue_id=raised.issue_id, scheduled_for=date(2026, 11, 19), today=TODAY, at=time(9, 0),
        place="区委组织部", by="p-office"), uow)
    assert got.interview.person_id == "p-sec" and got.interview.place == "区委组织部"
    assert "督办〔2026〕第1号" in got.interview.reason
    [event] = uow.events("interview-scheduled")
    assert event.data["at"] == time(9, 0) or str(event.data["at"]).startswith("09:00")
    with pytest.raises(Invalid):
        await handlers.schedule_interview(handlers.ScheduleInterview(
            district="d", issue_id=raised.issue_id, scheduled_for=date(2026, 11, 19), today=TODAY,
            interviewer="nobody"), uow)
