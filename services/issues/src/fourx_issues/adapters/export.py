"""The supervision list as an Excel workbook (.xlsx): what the office hands on or prints. One
row per item, Chinese headers, every name and state in the words of the vocabulary."""

from __future__ import annotations

import io
from datetime import date

from fourx_contracts.vocabulary import (
    ITEM_STATUS_LABELS, LIGHT_REASON_LABELS, SOURCE_KIND_LABELS, UNIT_KIND_LABELS, label, light_label,
)
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from fourx_issues.domain.directory import Directory
from fourx_issues.domain.model import SupervisionItem, UnitRef

# (header, column width)
COLUMNS = (("编号", 16), ("事项", 36), ("责任单位", 18), ("所属街道", 14), ("所属社区", 14), ("状态", 14),
           ("预警灯", 10), ("亮灯原因", 30), ("进度（%）", 10), ("期限", 12), ("剩余天数", 10), ("提出日期", 12),
           ("来源", 14), ("督办通知", 22), ("约谈", 22), ("协办单位", 24))
# The light's colour in the cell (Excel ARGB), so a printed list reads like the console.
FILLS = {"red": "FFF4CCCC", "yellow": "FFFFF2CC", "blue": "FFCFE2F3", "green": "FFD9EAD3"}


def _unit(unit: UnitRef | None, directory: Directory) -> str:
    if unit is None:
        return ""
    name = directory.unit_name(unit)
    return name or f"{label(UNIT_KIND_LABELS, unit.kind)} {unit.id}"


def _notice(item: SupervisionItem) -> str:
    n = item.notice
    if n is None:
        return ""
    signed = f"已签收（{n.acknowledged_on.isoformat()}）" if n.acknowledged_on else "未签收"
    return f"{n.number} {signed}"


def _interview(item: SupervisionItem, directory: Directory) -> str:
    i = item.interview
    if i is None:
        return ""
    who = directory.person_name(i.person_id) or i.person_id
    when = i.scheduled_for.isoformat() + (f" {i.at.strftime('%H:%M')}" if i.at else "")
    return f"{when} 约谈{who}" + ("（已有结果）" if i.outcome else "")


def row(item: SupervisionItem, directory: Directory, today: date) -> list[object]:
    verdict = item.verdict(today)
    light = verdict.light.value if verdict.light else None
    street = UnitRef("street", item.street_id) if item.street_id else None
    community = UnitRef("community", item.community_id) if item.community_id else None
    return [item.issue_id, item.title, _unit(item.responsible, directory), _unit(street, directory),
            _unit(community, directory), label(ITEM_STATUS_LABELS, item.status), light_label(light),
            verdict.text or label(LIGHT_REASON_LABELS, verdict.reason), item.latest_percent(), item.due_date,
            (item.due_date - today).days, item.raised_on, label(SOURCE_KIND_LABELS, item.source.kind),
            _notice(item), _interview(item, directory), "、".join(_unit(u, directory) for u in item.co_units)]


def workbook(items: list[SupervisionItem], directory: Directory, today: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "督办清单"
    sheet.append([header for header, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_, width) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    light_column = [header for header, _ in COLUMNS].index("预警灯") + 1
    for item in items:
        sheet.append(row(item, directory, today))
        light = item.light_for(today)
        if light is not None:
            sheet.cell(sheet.max_row, light_column).fill = PatternFill("solid", fgColor=FILLS[light.value])
    for column in ("J", "L"):  # the dates read as dates
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    note = book.create_sheet("说明")
    note.append(["导出日期", today.isoformat()])
    note.append(["事项数", len(items)])
    note.append(["预警灯", "按导出当日判定：红灯逾期未办结，黄灯进度滞后或工作写实缺失，蓝灯临近到期，绿灯按计划推进"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
