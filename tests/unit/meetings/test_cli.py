from __future__ import annotations

from fourx_meetings.entrypoints.cli import app
from typer.testing import CliRunner

from tests.unit.meetings.fixtures import DIRECTORY_YAML

runner = CliRunner()


def test_validate_accepts_a_good_file_and_lists_problems_with_file_and_line(tmp_path):
    good = tmp_path / "directory.yaml"
    good.write_text(DIRECTORY_YAML, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "3 communities" in result.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(DIRECTORY_YAML.replace("street_id: s-west, name: 幸福社区", "street_id: s-nowhere, name: 幸福社区"),
                   encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:8: communities[2].street_id: 没有街道 s-nowhere" in result.output


def test_activity_day_prints_the_rule_for_a_month():
    result = runner.invoke(app, ["activity-day", "2026-10"])
    assert result.exit_code == 0
    assert "2026-10: 2026-10-08 (moved from 2026-10-02); topic deadline 2026-10-01" in result.output


def test_validate_reads_an_excel_roster_too(tmp_path):
    import io

    from fourx_meetings.adapters.roster import template
    from openpyxl import load_workbook

    good = tmp_path / "roster.xlsx"
    good.write_bytes(template())
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "1 communities" in result.output
    book = load_workbook(io.BytesIO(template()))
    book["人员"].append(["p-2", "李强", "村长", "社区", "c-1"])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1 and "人员表第 3 行（C 列）：角色“村长”不存在" in result.output
