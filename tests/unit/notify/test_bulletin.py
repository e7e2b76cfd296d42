from __future__ import annotations

import io

from docx import Document
from fourx_notify.adapters.render import content_hash, render_docx, render_html, render_markdown
from fourx_notify.domain.bulletin import build_bulletin, street_section
from fourx_notify.domain.stats import compute_stats

from tests.unit.notify.sample import DIRECTORY, SNAPSHOT, WEEK, events


def view(snapshot=SNAPSHOT):
    return build_bulletin(events(), district="d", week=WEEK, number=7, directory=DIRECTORY, snapshot=snapshot)


def test_supervision_list_by_street_and_community_with_lights():
    v = view()
    sup = v["supervision"]
    assert (sup["new"], sup["in_progress"], sup["resolved"], sup["overdue"]) == (2, 2, 1, 1)
    by_id = {i["issue_id"]: i for s in sup["streets"] for c in s["communities"] for i in c["items"]}
    by_id |= {i["issue_id"]: i for s in sup["streets"] for i in s["street_items"]}
    assert by_id["old"]["light"] == "red" and by_id["old"]["status"] == "逾期"
    assert by_id["done"]["light"] is None and by_id["done"]["status"] == "本周办结"
    assert by_id["new"]["status"] == "本周新增"
    assert [s["name"] for s in sup["streets"]] == ["华林街道", "东街街道", "区直及部门"]
    assert by_id["dept"]["light"] == "yellow" and by_id["dept"]["light_reason"] == "上周（2026-W47）工作写实缺失"
    assert sup["as_of"] == "2026-11-29" and sup["lights"] == {"red": 1, "yellow": 1, "blue": 1, "green": 0}


def test_the_bulletin_shows_the_issues_services_lights_and_ranks_not_its_own():
    """Notify has no light or league rule: it shows what the snapshot says, even where the
    events alone would suggest otherwise (here: an item due in 2 days told green, ranks swapped)."""
    told = {**SNAPSHOT, "items": [{**i, "light": "green", "reason": "on_track", "reason_text": "按计划推进"}
                                  if i["issue_id"] == "new" else i for i in SNAPSHOT["items"]],
            "league": {"streets": [{**r, "rank": 3 - r["rank"]} for r in SNAPSHOT["league"]["streets"]],
                       "communities": []}}
    v = view(told)
    new = next(i for s in v["supervision"]["streets"] for c in s["communities"] for i in c["items"]
               if i["issue_id"] == "new")
    assert new["light"] == "green" and new["light_label"] == "🟢绿灯"
    assert [(r["unit_id"], r["rank"]) for r in v["league"]["streets"]] == [("s1", 1), ("s2", 2)]


def test_without_a_snapshot_there_are_no_lights_and_no_league_and_the_bulletin_says_so():
    v = view(None)
    items = [i for s in v["supervision"]["streets"] for i in s["street_items"]]
    items += [i for s in v["supervision"]["streets"] for c in s["communities"] for i in c["items"]]
    assert items and all(i["light"] is None and i["light_label"] == "—" for i in items)
    assert v["league"]["streets"] == [] and v["league"]["communities"] == []
    assert "督办系统未提供本周预警灯与排名" in render_markdown(v, compute_stats(events(), WEEK))


def test_a_claimed_item_reads_as_awaiting_verification():
    told = {**SNAPSHOT, "items": [{**i, "status": "resolved", "light": "green", "reason": "claimed",
                                   "reason_text": "已报办结，待核验"} if i["issue_id"] == "old" else i
                                  for i in SNAPSHOT["items"]]}
    v = view(told)
    old = next(i for s in v["supervision"]["streets"] for c in s["communities"] for i in c["items"]
               if i["issue_id"] == "old")
    assert old["status"] == "已报办结待核验" and old["light"] == "green"


def test_league_table_rates():
    rows = {r["unit_id"]: r for r in view()["league"]["streets"]}
    assert rows["s2"]["closure_rate"] == "100.0%" and rows["s2"]["on_time_rate"] == "100.0%"
    assert rows["s1"]["closure_rate"] == "0.0%" and rows["s1"]["on_time_rate"] == "0.0%"
    assert rows["s2"]["rank"] == 1 and rows["s1"]["rank"] == 2


def test_next_weeks_deadlines():
    whats = [d["what"] for d in view()["deadlines"]]
    assert whats == ["督办问题：问题new", "交办任务：加装电梯摸底", "督办通知回复：逾期未办"]


def test_markdown_has_every_section_in_chinese_and_is_stable():
    v, stats = view(), compute_stats(events(), WEEK)
    md = render_markdown(v, stats)
    for heading in ("鼓楼区周工作记实通报", "2026年第7期", "一、集中活动日与议题", "二、“X”灵活活动", "三、督办问题清单",
                    "四、督办通知与约谈", "五、督查情况", "六、排名表", "七、下周到期事项", "停车难会诊", "台账不全"):
        assert heading in md
    assert content_hash(md) == content_hash(render_markdown(view(), compute_stats(events(), WEEK)))


def test_a_streets_people_read_their_street_first():
    v, stats = view(), compute_stats(events(), WEEK)
    md = render_markdown(v, stats, street_section(v, "s1"))
    assert md.index("本街道情况：华林街道") < md.index("本周工作数据")


def test_html_escapes_and_docx_holds_title_and_stats_table():
    v, stats = view(), compute_stats(events(), WEEK)
    assert "<h1>鼓楼区周工作记实通报</h1>" in render_html(v, stats)
    doc = Document(io.BytesIO(render_docx(v, stats)))
    assert doc.paragraphs[0].text == "鼓楼区周工作记实通报"
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["项目", "数量"]
    assert [r.cells[1].text for r in table.rows[1:]][:2] == [str(stats["meetings_held"]), str(stats["activities_held"])]


def _progress(i: int, percent: int, seq: int | None, week: str = WEEK, minute: int = 0):
    from datetime import timedelta

    from fourx_notify.domain.stats import StoredEvent, dating
    from tests.unit.notify.sample import T
    data = {"issue_id": "dept", "week": week, "note": "同一说明", "percent": percent, "seq": seq}
    day, wk = dating("progress-recorded", data, T)
    return StoredEvent(id=f"p{i}", type="progress-recorded", district="d", time=T + timedelta(minutes=minute),
                       occurred_on=day, week=wk, data=data)


def _percent_of_dept(extra) -> int:
    v = build_bulletin(events() + extra, district="d", week=WEEK, number=7, directory=DIRECTORY)  # no snapshot
    return next(i for s in v["supervision"]["streets"] for i in s["street_items"] if i["issue_id"] == "dept")["percent"]


def test_the_latest_record_of_a_week_is_the_highest_seq_whatever_the_arrival_or_clock():
    thirty_forty_thirty = [_progress(1, 30, 1, minute=0), _progress(2, 40, 2, minute=1), _progress(3, 30, 3, minute=2)]
    assert _percent_of_dept(thirty_forty_thirty) == 30
    # the third record's clock ran behind, and it was stored first: its number still says it is the latest
    skewed = [_progress(3, 30, 3, minute=-5), _progress(2, 40, 2, minute=1), _progress(1, 30, 1, minute=0)]
    assert _percent_of_dept(skewed) == 30
    # a later week wins over a record of an earlier week entered afterwards (higher seq)
    assert _percent_of_dept([_progress(1, 60, 1), _progress(2, 10, 2, week="2026-W47", minute=9)]) == 60
    # records of producers that do not number them fall back to time
    assert _percent_of_dept([_progress(1, 50, None, minute=3), _progress(2, 20, None, minute=1)]) == 50


def test_user_text_cannot_add_html_links_or_structure_to_the_markdown():
    from fourx_notify.adapters.render import markdown_text

    assert markdown_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert markdown_text("[点我](javascript:alert(1))") == "\\[点我\\](javascript:alert(1))"
    assert markdown_text("a | b\n# 标题\r\n- 条目") == "a \\| b # 标题 - 条目"
    assert markdown_text("&lt;") == "&amp;lt;" and markdown_text(3) == 3
