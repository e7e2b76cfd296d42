"""The directory as an Excel roster (.xlsx): the template imports as it is, Chinese labels and
names are both read, and every problem names its sheet, row and column, all at once."""

from __future__ import annotations

import io

import pytest
from fourx_contracts.vocabulary import ROLE_LABELS, ROLES, UNIT_KIND_LABELS
from fourx_meetings.adapters.roster import SHEETS, parse_roster, template
from fourx_meetings.domain.directory import DirectoryInvalid
from openpyxl import Workbook, load_workbook


def roster(people: list[list[object]], *, streets=(("s1", "东城街道"),), communities=(("c1", "幸福社区", "s1"),),
           departments=(("zj", "区住建局"),), drop: str | None = None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    rows = {"区": [["区名称", "集中活动日地点"], ["鼓楼区", "区委党校"]],
            "街道": [["街道编号", "街道名称"], *map(list, streets)],
            "社区": [["社区编号", "社区名称", "所属街道编号"], *map(list, communities)],
            "部门": [["部门编号", "部门名称"], *map(list, departments)],
            "人员": [["人员编号", "姓名", "角色", "单位类型", "单位编号", "邮箱", "手机", "Webhook"], *people]}
    for title, content in rows.items():
        if title != drop:
            sheet = book.create_sheet(title)
            for row_number, row in enumerate(content, 1):  # by number: an empty row keeps its place
                for column, value in enumerate(row, 1):
                    sheet.cell(row_number, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems(content: bytes) -> list[tuple[int | None, str, str]]:
    with pytest.raises(DirectoryInvalid) as info:
        parse_roster(content)
    return [(p.line, p.path, p.message) for p in info.value.problems]


def test_the_template_imports_as_it_is_and_explains_roles_and_unit_kinds():
    content = template()
    directory = parse_roster(content)
    assert directory.district_name and directory.people and directory.communities
    book = load_workbook(io.BytesIO(content))
    assert [s.title for s in SHEETS] + ["说明"] == book.sheetnames
    explained = {cell for row in book["说明"].iter_rows(values_only=True) for cell in row if cell}
    assert set(ROLE_LABELS.values()) <= explained and set(UNIT_KIND_LABELS.values()) <= explained
    assert set(ROLES) <= explained


def test_labels_or_names_several_roles_and_numeric_ids_are_read():
    directory = parse_roster(roster([
        ["p1", "王芳", "社区党委书记", "社区", "c1", "wang@example.gov.cn", None, None],
        ["p2", "李强", "street_secretary、街道组织委员", "street", "s1", None, 13800000000, None],
        [1003, "赵敏", "区委党建办", "区", "-", None, None, None],
    ]))
    people = {p.person_id: p for p in directory.people}
    assert people["p1"].roles == ("community_secretary",) and people["p1"].unit_kind == "community"
    assert people["p2"].roles == ("street_secretary", "street_org_member")
    assert people["p2"].channels == ({"kind": "sms", "number": "13800000000"},)
    assert people["1003"].unit_kind == "district" and directory.venue == "区委党校"


def test_every_problem_names_its_sheet_row_and_column():
    found = problems(roster([
        ["p1", "王芳", "社区党委书记", "社区", "c1"],
        [],  # an empty row is skipped, rows keep their numbers
        ["p2", "李强", "村长", "社区", "c1"],
        ["p3", "", "社区党委书记", "社区", "c9"],
        ["p1", "重复", "部门分管负责同志", "部门", "zj"],
    ], communities=(("c1", "幸福社区", "s1"), ("c2", "和平社区", "s-none"))))
    by_line = {(line, path): message for line, path, message in found}
    # row 1 is the header, p1 row 2, the empty row 3
    assert by_line[(4, "人员!C4")].startswith("人员表第 4 行（C 列）：角色“村长”不存在；可用角色：社区党委书记（community_secretary）")
    assert by_line[(5, "人员!B5")] == "人员表第 5 行（B 列）：“姓名”未填写"
    assert by_line[(5, "人员!E5")] == "人员表第 5 行（E 列）：没有社区 c9"
    assert by_line[(6, "人员!A6")].startswith("人员表第 6 行（A 列）：人员编号 p1 重复（首次出现在第 2 行）")
    assert by_line[(3, "社区!C3")] == "社区表第 3 行（C 列）：没有街道 s-none"
    assert len(found) == 5


def test_a_role_held_in_the_wrong_kind_of_unit_names_the_roles_cell():
    [(line, path, message)] = problems(roster([["p1", "王芳", "社区党委书记", "部门", "zj"]]))
    assert (line, path) == (2, "人员!C2") and "属于社区" in message


@pytest.mark.parametrize(("content", "expected"), [
    (b"not a zip at all", "不是有效的 Excel 文件"),
    (b"PK\x03\x04broken", "不是有效的 Excel 文件"),
])
def test_a_file_that_is_not_a_workbook_is_refused_in_chinese(content, expected):
    [(line, path, message)] = problems(content)
    assert line is None and path == "(file)" and expected in message


def test_a_missing_sheet_or_header_is_named():
    [(_, _, message)] = problems(roster([], drop="人员"))
    assert message == "缺少工作表“人员”；请从模板开始填写"
    book = load_workbook(io.BytesIO(roster([["p1", "王芳", "社区党委书记", "社区", "c1"]])))
    book["街道"]["B1"] = "名称"
    buffer = io.BytesIO()
    book.save(buffer)
    [(line, path, message)] = problems(buffer.getvalue())
    assert line == 1 and message == "街道表第 1 行：缺少列“街道名称”（表头须在第 1 行）"


def test_optional_sheets_may_be_left_out():
    directory = parse_roster(roster([["p1", "王芳", "社区党委书记", "社区", "c1"]], drop="部门"))
    assert directory.departments == () and len(directory.people) == 1
