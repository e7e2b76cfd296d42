"""The period summary (工作总结) of a district as a Word document, in the shape of the source
document: an opening paragraph with the figures, then 一、背景动因, 二、主要做法 (the 4
standing items, the X activities, the supervision mechanism, each with its figures) and
三、初步成效. The figures come from the events (domain/outcomes.py); what only the office can
say — the background, the narrative, the voices — is left as marked places (`PLACEHOLDER`)
for the office to write, never invented here."""

from __future__ import annotations

import io
from typing import Any

from fourx_contracts.vocabulary import ACTIVITY_LABELS

from fourx_notify.domain.outcomes import FIGURE_KEYS, FIGURE_LABELS, Period, on_time_rate

SECTIONS = ("一、背景动因", "二、主要做法", "三、初步成效")
PLACEHOLDER = "【此处由党建办填写：{what}】"


def _todo(what: str) -> str:
    return PLACEHOLDER.format(what=what)


def summary_paragraphs(district_name: str, period: Period, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(style, text) in reading order: `title`, `heading1`, `heading2`, `text`, `todo`.
    Kept apart from python-docx so the text is testable as text."""
    f = facts["figures"]
    kinds = facts["activities_by_kind"]
    places = "、".join(facts["places"][:3]) or "外地"
    rate = on_time_rate(f)
    out: list[tuple[str, str]] = [
        ("title", f"{district_name}实施“4+X+1”模式建强社区党组织工作总结"),
        ("subtitle", f"（{period.label}，{period.start.isoformat()} 至 {period.end.isoformat()}）"),
        ("text", f"{period.label}，研究中心召开全体成员参加的研讨活动（集中活动日）{f['activity_days_held']}次，"
                 f"组织观摩点评{f['site_observations']}次，提出意见建议{f['suggestions_made']}条"
                 f"（采纳{f['suggestions_adopted']}条），组织{f['study_visit_people']}人次赴{places}等"
                 f"{f['study_visit_places']}地参观学习，{f['secretaries_taught']}名社区党委书记登台传授经验，"
                 f"会诊解决工作难题{f['problems_solved']}件。"),
        ("todo", _todo("本区基本情况及研究中心组建情况概述")),
        ("heading1", SECTIONS[0]),
        ("todo", _todo("本区城市社区党建面临的形势、问题和推行“4+X+1”模式的动因")),
        ("heading1", SECTIONS[1]),
        ("heading2", "一是制定4项常规议程。"),
        ("text", f"本期召开集中活动日{f['activity_days_held']}次：社区党委书记述职{facts['community_reports']}人次，"
                 f"街道组织委员现场点评{facts['comments']}条，职能部门交办任务{facts['tasks_assigned']}项，"
                 f"组织部分管副部长逐次总结讲评。"),
        ("todo", _todo("4项常规议程的具体做法和特色")),
        ("heading2", "二是科学设置X项活动。"),
        ("text", f"活动日前征集议题{facts['topics_proposed']}个、确定{facts['topics_selected']}个；"
                 + "，".join(f"{ACTIVITY_LABELS[k]}{n}次" for k, n in kinds.items())
                 + f"。集体会诊议定解决事项{facts['diagnosis_outcomes']}项，会诊解决工作难题{f['problems_solved']}件；"
                 f"{f['secretaries_taught']}名社区党委书记登台传授经验；组织{f['study_visit_people']}人次赴"
                 f"{f['study_visit_places']}地对标学访；现场观摩点评{kinds['site_observation']}次"
                 f"（点评单位{facts['observed_units']}个）。研究中心提出意见建议{f['suggestions_made']}条，"
                 f"区委党建办采纳{f['suggestions_adopted']}条、转为督办事项{facts['suggestions_with_item']}条、"
                 f"未采纳{facts['suggestions_declined']}条。"),
        *([("text", "会诊解决的工作难题：" + "；".join(f"{p['title']}（{p['solved_on']} 核验办结）"
                                                     for p in facts["problems"]) + "。")] if facts["problems"] else []),
        ("todo", _todo("X项活动的典型做法和案例")),
        ("heading2", "三是建立一套督查机制。"),
        ("text", f"本期纳入督办问题清单{f['issues_raised']}个，办结{f['issues_resolved']}个，其中按期办结"
                 f"{f['issues_resolved_on_time']}个"
                 + (f"（按期办结率{rate:.0%}）" if rate is not None else "")
                 + f"；开展现场观摩、走访座谈、实地督导{facts['inspections']}次；下发督办通知{f['notices_issued']}份，"
                 f"约谈{f['interviews_held']}人次。"),
        ("todo", _todo("周工作记实通报、月度督查和督办约谈的落实情况")),
        ("heading1", SECTIONS[2]),
        ("table", "figures"),
        ("heading2", "一是组建了出谋划策的智囊团。"),
        ("todo", _todo("区、街道、社区三级联动的成效")),
        ("heading2", "二是搭建了破解难题的新课堂。"),
        ("text", f"会诊解决工作难题{f['problems_solved']}件，{f['secretaries_taught']}名社区党委书记登台传授经验，"
                 f"{f['study_visit_people']}人次赴{f['study_visit_places']}地参观学习。"),
        ("todo", _todo("破解难题的典型事例和基层反响")),
        ("heading2", "三是开发了推进落实的助推器。"),
        ("text", f"研究中心提出意见建议{f['suggestions_made']}条，区委党建办采纳{f['suggestions_adopted']}条并制定具体"
                 f"工作要求；督办问题办结{f['issues_resolved']}个，其中按期办结{f['issues_resolved_on_time']}个。"),
        ("todo", _todo("联动机制推动工作落实的成效")),
    ]
    return out


def render_summary_docx(district_name: str, period: Period, facts: dict[str, Any]) -> bytes:
    from docx import Document  # heavy (lxml): loaded when a .docx is asked for
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    for style, text in summary_paragraphs(district_name, period, facts):
        if style == "title":
            doc.add_heading(text, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif style == "subtitle":
            doc.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif style == "heading1":
            doc.add_heading(text, level=1)
        elif style == "heading2":
            doc.add_heading(text, level=2)
        elif style == "table":
            table = doc.add_table(rows=1, cols=2)
            table.style = "Table Grid"
            table.rows[0].cells[0].text, table.rows[0].cells[1].text = "成效数据", "数量"
            for key in FIGURE_KEYS:
                row = table.add_row().cells
                row[0].text, row[1].text = FIGURE_LABELS[key], str(facts["figures"][key])
        else:
            doc.add_paragraph(text)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
