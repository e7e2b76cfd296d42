"""The supervision snapshot: the issues service's lights and league table for one week's
bulletin, judged on one day — the two cases notify used to judge differently included."""

from __future__ import annotations

from datetime import date

from fourx_issues.domain.league import league_table
from fourx_issues.domain.lights import assess_light
from fourx_issues.domain.model import Source, SupervisionItem, UnitRef
from fourx_issues.domain.snapshot import snapshot_day, take_snapshot

W48 = "2026-W48"                      # Monday 23 – Sunday 29 November 2026
MONDAY_W47 = date(2026, 11, 16)


def item(issue_id: str, community: str, street: str, due: date, raised: date = MONDAY_W47) -> SupervisionItem:
    return SupervisionItem.raise_item(
        district="d", issue_id=issue_id, title=issue_id, description="", source=Source("community", community),
        responsible=UnitRef("community", community), due_date=due, raised_on=raised,
        street_id=street, community_id=community)


def test_the_snapshot_day_is_the_weeks_sunday_or_today_while_the_week_runs():
    assert snapshot_day(W48, date(2026, 11, 30)) == date(2026, 11, 29)   # asked the Monday after
    assert snapshot_day(W48, date(2026, 12, 20)) == date(2026, 11, 29)   # asked weeks later
    assert snapshot_day(W48, date(2026, 11, 25)) == date(2026, 11, 25)   # asked during the week


def test_each_rule_gives_its_reason():
    common = dict(raised_on=MONDAY_W47, due_date=date(2026, 12, 31), recorded_weeks={"2026-W47"})
    today = date(2026, 11, 25)
    assert assess_light(status="closed", today=today, latest_percent=0, **common).reason is None
    assert assess_light(status="resolved", today=today, latest_percent=0, **common).reason == "claimed"
    overdue = assess_light(status="open", today=date(2027, 1, 2), latest_percent=0, **common)
    assert (overdue.light, overdue.reason, overdue.text) == ("red", "overdue", "已逾期2天（时限2026-12-31）")
    lagging = assess_light(status="open", today=date(2026, 12, 20), latest_percent=10,
                           **{**common, "recorded_weeks": {"2026-W47", "2026-W48", "2026-W49", "2026-W50"}})
    assert (lagging.light, lagging.reason) == ("yellow", "lagging")
    missing = assess_light(status="open", today=today, latest_percent=10, **{**common, "recorded_weeks": {W48}})
    assert (missing.light, missing.reason, missing.text) == ("yellow", "record_missing", "上周（2026-W47）工作写实缺失")
    soon = assess_light(status="open", today=date(2026, 12, 29), latest_percent=90,
                        **{**common, "recorded_weeks": {"2026-W52"}})
    assert (soon.light, soon.reason) == ("blue", "due_soon")
    assert assess_light(status="open", today=today, latest_percent=10, **common).reason == "on_track"


def test_last_weeks_missing_record_turns_the_item_yellow_though_this_weeks_is_there():
    lamp = item("lamp", "c1", "s1", date(2026, 12, 31))
    lamp.record_progress(week=W48, note="摸底", percent=20, today=date(2026, 11, 24))
    snap = take_snapshot("d", W48, [lamp], today=date(2026, 11, 30))
    [told] = snap.items
    assert snap.as_of == date(2026, 11, 29)
    assert (told.light, told.reason, told.percent) == ("yellow", "record_missing", 20)
    assert told.light == lamp.light_for(date(2026, 11, 29)).value  # what the API says that day


def test_claimed_on_time_and_verified_late_is_on_time_and_ranks_its_street_first():
    claimed = item("claimed", "c2", "s2", date(2026, 11, 25))
    claimed.claim_resolved(resolution="已整改", today=date(2026, 11, 24))
    claimed.verify(today=date(2026, 11, 27))
    prompt = item("prompt", "c1", "s1", date(2026, 11, 26))
    prompt.claim_resolved(resolution="已清理", today=date(2026, 11, 24))
    prompt.verify(today=date(2026, 11, 24))
    late = item("late", "c1", "s1", date(2026, 11, 20))
    snap = take_snapshot("d", W48, [late, prompt, claimed], today=date(2026, 11, 30),
                         streets=["s1", "s2", "s3"], communities=["c1", "c2"])
    told = {i.issue_id: i for i in snap.items}
    assert told["claimed"].on_time is True and told["claimed"].light is None
    assert told["late"].on_time is False and told["late"].light == "red"
    assert [(r["unit_id"], r["rank"], r["on_time_rate"]) for r in snap.streets] == [
        ("s2", 1, 1.0), ("s1", 2, 0.5), ("s3", 3, None)]
    # the same order as the issues API's league table on that day
    assert [r.unit_id for r in league_table([late, prompt, claimed], by="street", today=date(2026, 11, 29),
                                            units=["s1", "s2", "s3"])] == ["s2", "s1", "s3"]


def test_the_bulletin_lists_items_raised_by_its_day_and_not_closed_before_its_week():
    old = item("old", "c1", "s1", date(2026, 11, 20))
    old.claim_resolved(resolution="done", today=date(2026, 11, 18))
    old.verify(today=date(2026, 11, 19))                       # closed in W47: off W48's list
    later = item("later", "c1", "s1", date(2026, 12, 31), raised=date(2026, 12, 2))   # not raised yet
    now = item("now", "c1", "s1", date(2026, 12, 31))
    snap = take_snapshot("d", W48, [old, later, now], today=date(2026, 11, 30), streets=["s1"])
    assert [i.issue_id for i in snap.items] == ["now"]
    assert snap.streets[0]["items"] == 2                       # the league counts every item raised by then
