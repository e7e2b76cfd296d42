"""The bulletin rendered from Jinja2 templates (Chinese, for the district's offices)."""

from __future__ import annotations

import hashlib
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from fourx_notify.domain.stats import week_bounds

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


def _environment() -> Environment:
    global _env
    if _env is None:  # built on first use, not at import
        _env = Environment(loader=PackageLoader("fourx_notify", "templates"), undefined=StrictUndefined,
                           keep_trailing_newline=True)
    return _env


def render_markdown(*, report_id: str, district_name: str, week: str, stats: dict[str, int],
                    meetings: list[dict[str, Any]]) -> str:
    monday, sunday = week_bounds(week)
    year, number = week.split("-W")
    return _environment().get_template("bulletin.md.j2").render(
        report_id=report_id, district_name=district_name, year=year, week_number=int(number),
        monday=monday, sunday=sunday, labels=STAT_LABELS, stats=stats, meetings=meetings,
    )


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
