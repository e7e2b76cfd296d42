from __future__ import annotations

from datetime import date

import pytest
from fourx_meetings.domain.activities import Activity, Outcome
from fourx_meetings.domain.errors import Invalid
from fourx_meetings.domain.model import UnitRef
from fourx_meetings.domain.supervision import SupervisionItem, latest_progress, report_form, supervision_facts


def diagnosis(outcomes, **record) -> Activity:
    return Activity.hold(district="d", activity_id="a1", kind="collective_diagnosis", date=date(2026, 11, 6),
                         title="集体会诊：老旧小区停车难", participants=["p1", "p2"], outcomes=outcomes,
                         record=record or {"problem": "停车位不足"})


def test_a_collective_diagnosis_records_what_it_decided():
    outcome = Outcome("规划临时停车点", UnitRef("department", "d-housing"), date(2026, 12, 31))
    activity = diagnosis([outcome])
    assert activity.outcomes == [outcome] and len(activity.pending_events) == 1
    with pytest.raises(Invalid, match="outcomes"):
        diagnosis([])
    with pytest.raises(Invalid, match="record.problem"):
        diagnosis([outcome], problem="")


def test_a_study_visit_records_what_was_learned():
    with pytest.raises(Invalid, match="record.learned"):
        Activity.hold(district="d", activity_id="a2", kind="study_visit", date=date(2026, 11, 10), title="对标学访",
                      participants=["p1"], outcomes=[], record={"destination": "某区"})


def test_the_report_form_shows_unfinished_items_and_those_finished_since_last_month():
    items = [
        SupervisionItem("i1", "加装电梯", community_id="c-1", due_date=date(2026, 12, 1),
                        progress_week="2026-W47", progress_percent=60, progress_note="已摸底"),
        SupervisionItem("i2", "垃圾分类", community_id="c-1", resolved_on=date(2026, 10, 20)),
        SupervisionItem("i3", "停车", responsible={"kind": "community", "id": "c-1"}, days_overdue=3),
        SupervisionItem("i4", "旧事", community_id="c-1", resolved_on=date(2026, 9, 1)),
        SupervisionItem("i5", "别的社区", community_id="c-2"),
    ]
    form = report_form(items, "c-1", previous_day=date(2026, 10, 8))
    assert [(i["issue_id"], i["status"]) for i in form["supervision_items"]] == [
        ("i1", "in_progress"), ("i3", "overdue"), ("i2", "resolved")]
    assert "加装电梯（推进中，进度 60%）" in form["last_month_draft"]
    assert "停车（已逾期，逾期 3 天）" in form["last_month_draft"]
    assert form["next_month_draft"] == "加装电梯；停车"


def test_supervision_facts_do_not_depend_on_arrival_order():
    progress = supervision_facts("progress-recorded",
                                 {"issue_id": "i", "week": "2026-W48", "note": "n", "percent": 50, "seq": 4})
    assert progress.fields == {"progress.2026-W48.records.s000000004": {"percent": 50, "note": "n", "seq": 4}}
    assert progress.at_least == {}
    overdue = supervision_facts("issue-overdue", {"issue_id": "i", "due_date": "2026-11-01", "days_overdue": 4})
    assert overdue.at_least == {"days_overdue": 4}
    record: dict = {}
    for days in (4, 2, 6, 3):  # a late, smaller count never lowers it
        supervision_facts("issue-overdue", {"issue_id": "i", "due_date": "2026-11-01", "days_overdue": days}
                          ).apply_to(record)
    assert record["days_overdue"] == 6


def _apply_sets(doc: dict, facts) -> None:
    facts.apply_to(doc)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_the_supervision_read_model_ends_at_the_latest_record_in_any_order(order):
    records = [{"issue_id": "i", "week": "2026-W48", "note": "同一说明", "percent": p, "seq": n}
               for n, p in ((1, 30), (2, 40), (3, 30))]
    doc: dict = {}
    for i in order:
        _apply_sets(doc, supervision_facts("progress-recorded", records[i]))
    assert latest_progress(doc["progress"]) == ("2026-W48", {"percent": 30, "note": "同一说明", "seq": 3})
    _apply_sets(doc, supervision_facts("progress-recorded", {**records[1], "week": "2026-W47", "seq": 4}))
    assert latest_progress(doc["progress"])[0] == "2026-W48"  # a backfilled earlier week is not the latest


def test_a_week_stored_before_records_were_numbered_still_reads():
    doc = {"progress": {"2026-W47": {"percent": 60, "note": "旧"}}}
    assert latest_progress(doc["progress"]) == ("2026-W47", {"percent": 60, "note": "旧"})
    _apply_sets(doc, supervision_facts(
        "progress-recorded", {"issue_id": "i", "week": "2026-W47", "note": "新", "percent": 70, "seq": 5}))
    assert latest_progress(doc["progress"])[1]["percent"] == 70
