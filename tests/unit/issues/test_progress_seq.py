"""Weekly records are numbered per item: the same content recorded again after another record
is a new fact (its own event id), a retried request is not, a republished event keeps its id."""

from __future__ import annotations

from datetime import date

from fourx_contracts.events import validate_payload
from fourx_issues.adapters.integration import item_events
from fourx_issues.adapters.repository import item_from_document, item_to_document
from fourx_issues.domain.model import Source, SupervisionItem, UnitRef
from fourx_issues.service_layer import handlers

from tests.unit.issues.fakes import FakeUnitOfWork

D = "d1"
TODAY = date(2026, 11, 25)
WEEK = "2026-W48"
NOTE = "完成摸底"


async def raised(uow: FakeUnitOfWork) -> str:
    item, _ = await handlers.raise_item(handlers.RaiseItem(
        district=D, title="加装电梯", description="", source=Source("meeting_task", "m1/t1"),
        responsible=UnitRef("community", "c1"), due_date=date(2026, 12, 31), raised_on=date(2026, 11, 6)), uow)
    return item.issue_id


async def record(uow: FakeUnitOfWork, iid: str, percent: int, week: str = WEEK, note: str = NOTE) -> SupervisionItem:
    return await handlers.record_progress(uow, D, iid, week=week, note=note, percent=percent, today=TODAY)


async def test_30_40_30_in_one_week_is_three_records_with_three_ids_ending_at_30():
    uow = FakeUnitOfWork()
    iid = await raised(uow)
    for percent in (30, 40, 30):
        item = await record(uow, iid, percent)
    events = uow.events("progress-recorded")
    assert [(e.data["percent"], e.data["seq"]) for e in events] == [(30, 1), (40, 2), (30, 3)]
    assert len({e.id for e in events}) == 3
    assert [(r.week, r.percent, r.seq) for r in item.progress] == [(WEEK, 30, 3)] and item.progress_seq == 3
    assert item.light_for(TODAY) is not None and item.latest_percent() == 30
    for event in events:
        assert validate_payload(event, "progress-recorded").seq == event.data["seq"]


async def test_a_retried_request_right_after_its_record_changes_nothing():
    uow = FakeUnitOfWork()
    iid = await raised(uow)
    await record(uow, iid, 30)
    item = await record(uow, iid, 30)  # the same request again (a client retry)
    assert [e.data["seq"] for e in uow.events("progress-recorded")] == [1] and item.progress_seq == 1
    await record(uow, iid, 40)
    await record(uow, iid, 40)
    await record(uow, iid, 30, week="2026-W47")  # another week's record ...
    await record(uow, iid, 40)  # ... and a retry of this week's: still the week's current record
    assert [e.data["seq"] for e in uow.events("progress-recorded")] == [1, 2, 3]


async def test_the_number_survives_the_store_and_a_concurrent_writer_makes_the_loser_renumber():
    uow = FakeUnitOfWork()
    iid = await raised(uow)
    await record(uow, iid, 30)

    async def someone_else_records_40():
        await record(uow, iid, 40)

    uow.items.before_save_of[iid] = someone_else_records_40
    item = await record(uow, iid, 30, note="复核后回调")  # conflicts, reloads, takes the next number
    assert [(e.data["percent"], e.data["seq"]) for e in uow.events("progress-recorded")] == [
        (30, 1), (40, 2), (30, 3)]
    assert (await uow.items.get(D, iid)).progress_seq == item.progress_seq == 3


async def test_two_identical_requests_at_once_record_once():
    uow = FakeUnitOfWork()
    iid = await raised(uow)

    async def the_same_request_wins_first():
        await record(uow, iid, 30)

    uow.items.before_save_of[iid] = the_same_request_wins_first
    await record(uow, iid, 30)
    assert [e.data["seq"] for e in uow.events("progress-recorded")] == [1]


async def test_a_republished_record_keeps_its_id():
    uow = FakeUnitOfWork()
    iid = await raised(uow)
    item = await uow.items.get(D, iid)
    item.record_progress(week=WEEK, note=NOTE, percent=30, today=TODAY)
    first, again = item_events(item), item_events(item)  # e.g. the relay maps or publishes twice
    assert [e.id for e in first] == [e.id for e in again] and len(first) == 1


def test_an_item_stored_before_records_were_numbered_continues_after_its_records():
    item = SupervisionItem.raise_item(
        district=D, issue_id="i1", title="t", description="", source=Source("community", "r"),
        responsible=UnitRef("community", "c1"), due_date=date(2026, 12, 31), raised_on=date(2026, 11, 2))
    item.record_progress(week="2026-W46", note="a", percent=10, today=TODAY)
    item.record_progress(week="2026-W47", note="b", percent=20, today=TODAY)
    legacy = item_to_document(item)
    del legacy["progress_seq"]
    for r in legacy["progress"]:
        del r["seq"]
    old = item_from_document(legacy)
    assert old.progress_seq == 2 and [r.seq for r in old.progress] == [0, 0]
    old.record_progress(week=WEEK, note="c", percent=30, today=TODAY)
    assert old.progress[-1].seq == 3
