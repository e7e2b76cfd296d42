"""The organisation directory as an Excel roster (.xlsx): what a district office keeps its
people in. One sheet per part — 区, 街道, 社区, 部门, 人员 — each with a header row, read
into the same data as the YAML/JSON import and checked by the same rules
(`domain.directory.validate_directory`); every problem names its sheet, row and column
(“人员表第 7 行（C 列）：角色“xxx”不存在…”). Roles and unit kinds may be written as their
Chinese labels or their names. `template()` is the workbook to fill in, with a sheet that
explains the roles and unit kinds."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fourx_contracts.vocabulary import ROLE_LABELS, ROLE_UNIT_KIND, ROLES, UNIT_KIND_LABELS, UNIT_KINDS
from fourx_platform.inputs import InputRefused, check_value
from fourx_platform.outbound import OutboundPolicy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from fourx_meetings.domain.directory import (
    MAX_SNAPSHOT_BYTES, Directory, DirectoryInvalid, Problem, _dotted, validate_directory,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A district has a few thousand people; more rows than this is not a roster.
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Column:
    header: str
    path: tuple[str, ...]          # where the value goes in a row's entry
    required: bool = True
    example: str = ""


@dataclass(frozen=True)
class Sheet:
    title: str
    key: str                        # the directory's list it fills (None-like "" for the district row)
    columns: tuple[Column, ...]
    required: bool = True


SHEETS = (
    Sheet("区", "", (Column("区名称", ("district_name",), False, "鼓楼区"),
                    Column("集中活动日地点", ("venue",), False, "区委党校报告厅")), required=False),
    Sheet("街道", "streets", (Column("街道编号", ("street_id",), example="s-east"),
                             Column("街道名称", ("name",), example="东街街道"))),
    Sheet("社区", "communities", (Column("社区编号", ("community_id",), example="c-1"),
                                 Column("社区名称", ("name",), example="幸福社区"),
                                 Column("所属街道编号", ("street_id",), example="s-east"))),
    Sheet("部门", "departments", (Column("部门编号", ("department_id",), example="zhujian"),
                                 Column("部门名称", ("name",), example="区住建局")), required=False),
    Sheet("人员", "people", (Column("人员编号", ("person_id",), example="p-001"),
                            Column("姓名", ("name",), example="王芳"),
                            Column("角色", ("roles",), example=ROLE_LABELS["community_secretary"]),
                            Column("单位类型", ("unit", "kind"), example=UNIT_KIND_LABELS["community"]),
                            Column("单位编号", ("unit", "id"), example="c-1"),
                            Column("邮箱", ("email",), False, "wangfang@example.gov.cn"),
                            Column("手机", ("sms",), False, "13800000000"),
                            Column("Webhook", ("webhook",), False, ""))),
)
EXPLAINED = "说明"
# Several roles in one cell: 社区党委书记、街道书记 (or commas, semicolons, new lines).
ROLE_SEPARATORS = re.compile(r"[、,，;；\s]+")
_ROLE_OF = {**{r: r for r in ROLES}, **{label: r for r, label in ROLE_LABELS.items()}}
_KIND_OF = {**{k: k for k in UNIT_KINDS}, **{label: k for k, label in UNIT_KIND_LABELS.items()}}
# Where each channel column goes in the contract's channel entry.
_CHANNELS = {"email": "address", "sms": "number", "webhook": "url"}


def _cell_text(value: Any) -> str | None:
    """A cell as text: numbers typed into an id column (1001, 1001.0) read as "1001"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


class _Reader:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.lines: dict[tuple, int] = {}
        # dotted path → (sheet, row, column letter, column header)
        self.cells: dict[str, tuple[str, int, str | None, str | None]] = {}
        self.problems: list[Problem] = []

    def place(self, path: tuple, sheet: str, row: int, column: int | None = None, header: str | None = None) -> None:
        self.lines[path] = row
        self.cells[_dotted(path)] = (sheet, row, get_column_letter(column) if column else None, header)

    def fail(self, sheet: str, row: int | None, column: int | None, message: str) -> None:
        self.problems.append(_problem(sheet, row, get_column_letter(column) if column else None, message))


def _problem(sheet: str, row: int | None, column: str | None, message: str) -> Problem:
    where = f"{sheet}表" + (f"第 {row} 行" if row else "") + (f"（{column} 列）" if column else "")
    return Problem(row, f"{sheet}!{column or ''}{row or ''}", f"{where}：{message}")


def _read_sheet(reader: _Reader, book: Any, sheet: Sheet) -> None:
    if sheet.title not in book.sheetnames:
        if sheet.required:
            reader.problems.append(Problem(None, "(file)", f"缺少工作表“{sheet.title}”；请从模板开始填写"))
        elif sheet.key:
            reader.data[sheet.key] = []
        return
    rows = book[sheet.title].iter_rows(values_only=True)
    header = [(_cell_text(v) or "") for v in next(rows, ())]
    where: dict[Column, int] = {}
    for column in sheet.columns:
        if column.header in header:
            where[column] = header.index(column.header) + 1
        elif column.required:
            reader.fail(sheet.title, 1, None, f"缺少列“{column.header}”（表头须在第 1 行）")
    if any(c.required and c not in where for c in sheet.columns):
        return
    entries: list[dict[str, Any]] = []
    for row_number, values in enumerate(rows, start=2):
        if row_number > MAX_ROWS + 1:
            reader.fail(sheet.title, row_number, None, f"行数过多：每张表最多 {MAX_ROWS} 行")
            break
        cells = {c: _cell_text(values[i - 1]) if i - 1 < len(values) else None for c, i in where.items()}
        if not any(cells.values()):
            continue  # an empty row between blocks is not a mistake
        if not sheet.key:  # the district's own row: only the first one counts
            reader.data.update({c.path[0]: v for c, v in cells.items() if v})
            for c, i in where.items():
                reader.place((c.path[0],), sheet.title, row_number, i)
            break
        index = len(entries)
        base = (sheet.key, index)
        reader.place(base, sheet.title, row_number)
        entry: dict[str, Any] = {}
        for column, text in cells.items():
            path, at = base + column.path, where[column]
            if column.path == ("roles",):
                names = [n for n in ROLE_SEPARATORS.split(text or "") if n]
                entry["roles"] = [_ROLE_OF.get(n, n) for n in names]
                reader.place(path, sheet.title, row_number, at)
                for j in range(len(names)):
                    reader.place(path + (j,), sheet.title, row_number, at)
            elif column.path[0] == "unit":
                value = _KIND_OF.get(text, text) if column.path[1] == "kind" and text else text
                entry.setdefault("unit", {})[column.path[1]] = value
                reader.place(base + ("unit",), sheet.title, row_number, where[_column(sheet, "unit", "kind")])
                reader.place(path, sheet.title, row_number, at)
            elif column.path[0] in _CHANNELS:
                if text:
                    j = len(entry.setdefault("channels", []))
                    kind = column.path[0]
                    entry["channels"].append({"kind": kind, _CHANNELS[kind]: text})
                    for sub in ((), (_CHANNELS[kind],)):
                        reader.place(base + ("channels", j, *sub), sheet.title, row_number, at)
            else:
                # An empty cell stays in the entry, so the rules name its column.
                entry[column.path[0]] = text or ""
                reader.place(path, sheet.title, row_number, at, column.header)
        entries.append(entry)
    reader.data[sheet.key] = entries


def _column(sheet: Sheet, *path: str) -> Column:
    return next(c for c in sheet.columns if c.path == path)


Cells = dict[str, tuple[str, int, str | None, str | None]]


def read_roster(content: bytes) -> tuple[dict[str, Any], dict[tuple, int], Cells]:
    """The roster's data in the directory's shape, the row of each path, and the cell of each
    path; DirectoryInvalid for a file that is not a roster at all."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DirectoryInvalid([Problem(None, "(file)", f"不是有效的 Excel 文件（.xlsx）：{type(exc).__name__}；"
                                                        f"请用模板填写后另存为 .xlsx")]) from None
    reader = _Reader()
    try:
        for sheet in SHEETS:
            _read_sheet(reader, book, sheet)
    finally:
        book.close()
    if reader.problems:
        raise DirectoryInvalid(reader.problems)
    return reader.data, reader.lines, reader.cells


def parse_roster(content: bytes, outbound: OutboundPolicy | None = None) -> Directory:
    """Read and validate an .xlsx roster: the directory, or DirectoryInvalid naming each
    problem's sheet, row and column (all of them at once)."""
    data, lines, cells = read_roster(content)
    try:
        check_value(data)
        directory = validate_directory(data, lines, outbound)
    except InputRefused as exc:
        raise DirectoryInvalid([_located(Problem(None, _dotted(exc.loc), exc.message), cells)]) from None
    except DirectoryInvalid as exc:
        raise DirectoryInvalid([_located(p, cells) for p in exc.problems]) from None
    size = len(json.dumps(directory.to_snapshot(), ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_SNAPSHOT_BYTES:
        raise DirectoryInvalid([Problem(None, "(file)", f"名册过大：快照 {size} 字节，最多 {MAX_SNAPSHOT_BYTES} 字节")])
    return directory


_LAST_PART = re.compile(r"(\.[^.\[]+|\[\d+\])$")  # `.key` or `[3]` at the end of a dotted path


_EMPTY = re.compile(r"^缺少 \S+ 或为空$")  # the rules' words for an empty field, said with the column's header


def _located(problem: Problem, cells: Cells) -> Problem:
    """A validator's problem (a dotted path) as a sheet, row and column of the workbook."""
    path = problem.path
    while path and path not in cells:
        last = _LAST_PART.search(path)
        path = path[:last.start()] if last else ""
    if not path:
        return problem
    sheet, row, column, header = cells[path]
    message = f"“{header}”未填写" if header and path == problem.path and _EMPTY.match(problem.message) \
        else problem.message
    return _problem(sheet, row, column, message)


def template() -> bytes:
    """The roster to fill in: every sheet with its header and an example row, and a sheet
    explaining the roles and unit kinds."""
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        ws.append([c.example for c in sheet.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, column in enumerate(sheet.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = max(14, 2 * len(column.header) + 4)
        ws.freeze_panes = "A2"
    guide = book.create_sheet(EXPLAINED)
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 24, 30
    guide.column_dimensions["C"].width = 16
    rows: list[list[str]] = [
        ["填写说明"],
        ["每张表第 1 行为表头，请勿修改；第 2 行为示例，导入前请改成本区的实际内容或删除。"],
        ["编号只用字母、数字和短横线，全区唯一；人员的“单位编号”须是街道、社区或部门表中已有的编号（区级人员填 -）。"],
        ["一人有多个角色时，在“角色”一格中用顿号（、）分隔。邮箱、手机、Webhook 用于接收周工作通报，可不填。"],
        ["出错时，导入结果会指出哪张表的第几行、哪一列，改正后重新导入即可。"],
        [],
        ["角色", "英文名（也可填写）", "所在单位类型"],
        *[[ROLE_LABELS[r], r, UNIT_KIND_LABELS[ROLE_UNIT_KIND[r]]] for r in ROLES],
        [],
        ["单位类型", "英文名（也可填写）"],
        *[[UNIT_KIND_LABELS[k], k] for k in UNIT_KINDS],
    ]
    for row in rows:
        guide.append(row)
    for row_number in (1, 7, 8 + len(ROLES) + 1):
        guide.cell(row_number, 1).font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
