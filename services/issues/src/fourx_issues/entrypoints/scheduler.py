"""The daily check, run by the service itself (`ISSUES_CHECK_EVERY_SECONDS`, through the
platform's background loop): each round checks every district as of the clock's today.
Several replicas may run it at once (see climb_ladder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from fourx_issues.service_layer import handlers

if TYPE_CHECKING:
    from fourx_issues.bootstrap import IssuesService

log = structlog.get_logger("fourx.issues.scheduler")


async def check_all(service: "IssuesService") -> None:
    today = service.clock.today()
    reports = await handlers.daily_check_all(service.unit_of_work(), today, service.policy)
    fired = sum(len(r.overdue) + len(r.notices) + len(r.interviews) for r in reports.values())
    log.info("daily check done", today=str(today), districts=len(reports), steps=fired)
