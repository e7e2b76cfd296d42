"""`fourx-issues daily-check`: the flags reach the use case, the result is printed as JSON."""

from __future__ import annotations

import json
from datetime import date

from fourx_issues.entrypoints import cli
from typer.testing import CliRunner

runner = CliRunner()


def test_daily_check_passes_its_flags_and_prints_the_reports(monkeypatch):
    calls = []

    async def fake_daily_check(today, district, publish):
        calls.append((today, district, publish))
        return {"d1": {"today": "2026-12-05", "overdue": ["i1"]}}

    monkeypatch.setattr(cli, "daily_check", fake_daily_check)
    result = runner.invoke(cli.app, ["daily-check", "--today", "2026-12-05", "--district", "d1", "--publish"])
    assert result.exit_code == 0, result.output
    assert calls == [(date(2026, 12, 5), "d1", True)]
    assert json.loads(result.output) == {"d1": {"today": "2026-12-05", "overdue": ["i1"]}}

    result = runner.invoke(cli.app, ["daily-check"])
    assert result.exit_code == 0 and calls[-1] == (None, None, False)  # the clock's today, every district


def test_a_bad_day_is_refused_before_anything_runs(monkeypatch):
    monkeypatch.setattr(cli, "daily_check", None)  # would fail if called
    result = runner.invoke(cli.app, ["daily-check", "--today", "5 December"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_the_command_keeps_its_name():
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0 and "daily-check" in result.output
