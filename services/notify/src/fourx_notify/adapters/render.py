"""The bulletin rendered for people: Markdown and HTML from Jinja2 templates, and a Word
document (.docx, what district offices file) built with python-docx from the same view.

Every value in a template comes from users (titles, notes, reasons, names), so none is
output raw: the HTML template is autoescaped, and in Markdown (the download, email text and
webhook bodies) each value goes through `markdown_text` — HTML escaped, link and table
syntax escaped, on one line — so user text can add neither markup nor structure.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

STAT_LABELS: list[tuple[str, str]] = [
    ("meetings_held", "召开集中活动日（次）"),
    ("activities_held", "开展“X”灵活活动（次）"),
    ("topics_proposed", "征集议题（个）"),
    ("topics_selected", "确定议题（个）"),
    ("tasks_assigned", "交办任务（项）"),
    ("issues_raised", "新增督办问题（个）"),
    ("issues_resolved", "办结督办问题（个）"),
    ("issues_overdue", "逾期督办问题（个）"),
    ("open_issues", "周末在办问题（个）"),
    ("progress_records", "工作写实记录（条）"),
    ("inspections_held", "开展督查（次）"),
    ("notices_issued", "下发督办通知（份）"),
    ("interviews_scheduled", "安排约谈（人次）"),
]

_env: Environment | None = None
_md_env: Environment | None = None
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
# HTML's specials become entities; Markdown's link, image, code and table syntax get a
# backslash (a literal character). One pass, so nothing is escaped twice.
_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "`": "\\`", "[": "\\[", "]": "\\]",
               "|": "\\|"}
_MD_SPECIAL = re.compile("|".join(re.escape(c) for c in _MD_ESCAPES))
_PLAIN = re.compile("[^" + re.escape("".join(_MD_ESCAPES)) + "\r\n\u2028\u2029]*")


def markdown_text(value: Any) -> Any:
    """User text as it may appear inside Markdown: no HTML, no links or tables, one line."""
    if not isinstance(value, str) or _PLAIN.fullmatch(value):
        return value   # most values: nothing to escape (one scan, not two substitutions)
    return _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group()], _LINE_BREAKS.sub(" ", value))


def _environment() -> Environment:
    global _env
    if _env is None:  # built on first use, not at import
        _env = Environment(loader=PackageLoader("fourx_notify", "templates"), undefined=StrictUndefined,
                           keep_trailing_newline=True, autoescape=select_autoescape(["html.j2"]))
    return _env


def _markdown_environment() -> Environment:
    global _md_env
    if _md_env is None:  # every {{ value }} of the Markdown template passes markdown_text
        _md_env = Environment(loader=PackageLoader("fourx_notify", "templates"), undefined=StrictUndefined,
                              keep_trailing_newline=True, autoescape=False, finalize=markdown_text)
    return _md_env


def render_markdown(view: dict[str, Any], stats: dict[str, int], focus: dict[str, Any] | None = None) -> str:
    """The bulletin; with `focus` (a street's section) that street's part comes first."""
    return _markdown_environment().get_template("bulletin.md.j2").render(b=view, stats=stats, labels=STAT_LABELS,
                                                                         focus=focus)


def render_html(view: dict[str, Any], stats: dict[str, int]) -> str:
    return _environment().get_template("bulletin.html.j2").render(b=view, stats=stats, labels=STAT_LABELS)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def render_docx(view: dict[str, Any], stats: dict[str, int]) -> bytes:
    from docx import Document  # heavy (lxml): loaded when a .docx is asked for
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    title = doc.add_heading(view["title"], level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(f"{view['issue_label']}　{view['year']}年第{view['week_number']}周"
                            f"（{view['monday']} 至 {view['sunday']}）")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading("本周工作数据", level=1)
    _table(doc, ["项目", "数量"], [[label, str(stats[key])] for key, label in STAT_LABELS])

    doc.add_heading("一、集中活动日与议题", level=1)
    for m in view["activity_days"]:
        doc.add_paragraph(f"{m['date']} 集中活动日（到会 {m['attendees']} 人）")
        for r in m["reports"]:
            doc.add_paragraph(f"{r['community']}汇报：上月 {r['last_month']}；下月 {r['next_month']}", style="List Bullet")
        for c in m["comments"]:
            doc.add_paragraph(f"点评（{c['by']}，{c['community']}）：{c['text']}", style="List Bullet")
        for t in m["tasks"]:
            doc.add_paragraph(f"交办任务：{t['title']}（责任单位：{t['unit']}，完成时限：{t['due_date']}）",
                              style="List Bullet")
        if m["summary"]:
            doc.add_paragraph(f"总结讲评：{m['summary']}", style="List Bullet")
    if not view["activity_days"]:
        doc.add_paragraph("本周未召开集中活动日。")
    if view["topics"]["selected"]:
        doc.add_paragraph("确定议题：" + "、".join(view["topics"]["selected"]))

    doc.add_heading("二、“X”灵活活动", level=1)
    for a in view["activities"]:
        doc.add_paragraph(f"{a['date']} {a['kind']}：{a['title']}", style="List Bullet")
    if not view["activities"]:
        doc.add_paragraph("本周未开展“X”灵活活动。")

    sup = view["supervision"]
    doc.add_heading("三、督办问题清单", level=1)
    lights = "、".join(f"{c['label']} {c['count']}" for c in sup["light_counts"])
    judged = (f"预警灯与排名由督办系统按 {sup['as_of']} 判定。" if sup.get("as_of")
              else "督办系统未提供本周预警灯与排名。")
    doc.add_paragraph(f"本周新增 {sup['new']} 个，办理中 {sup['in_progress']} 个，本周办结 {sup['resolved']} 个，"
                      f"逾期 {sup['overdue']} 个。预警：{lights}。{judged}")
    for s in sup["streets"]:
        doc.add_heading(s["name"], level=2)
        rows = [[_light(i), "—", i["title"], i["unit"], i["status"], f"{i['percent']}%", i["due_date"]]
                for i in s["street_items"]]
        rows += [[_light(i), c["name"], i["title"], i["unit"], i["status"], f"{i['percent']}%", i["due_date"]]
                 for c in s["communities"] for i in c["items"]]
        _table(doc, ["预警", "社区", "问题", "责任单位", "状态", "进度", "时限"], rows)

    doc.add_heading("四、督办通知与约谈", level=1)
    for n in view["notices"]:
        doc.add_paragraph(f"{n['issued_on']} 向{n['to']}（{n['person']}）下发督办通知：{n['reason']}", style="List Bullet")
    for i in view["interviews"]:
        doc.add_paragraph(f"约谈 {i['person']}：{i['reason']}（{i['scheduled_for']}）", style="List Bullet")

    doc.add_heading("五、督查情况", level=1)
    for x in view["inspections"]:
        doc.add_paragraph(f"{x['date']} {x['kind']}（{x['units']}）：{x['findings']}", style="List Bullet")

    doc.add_heading("六、排名表", level=1)
    for label, rows in (("街道", view["league"]["streets"]), ("社区", view["league"]["communities"])):
        _table(doc, [label, "问题数", "办结率", "按期办结率", "逾期", "排名"],
               [[r["name"], str(r["items"]), r["closure_rate"], r["on_time_rate"], str(r["overdue"]), str(r["rank"])]
                for r in rows])

    doc.add_heading("七、下周到期事项", level=1)
    for d in view["deadlines"]:
        doc.add_paragraph(f"{d['date']} {d['what']}（{d['unit']}）", style="List Bullet")
    if not view["deadlines"]:
        doc.add_paragraph("下周无到期事项。")

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _light(item: dict[str, Any]) -> str:
    return f"{item['light_label']}（{item['light_reason']}）" if item.get("light_reason") else item["light_label"]


def _table(doc: Any, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = str(text)
