"""The Monday 08:00 run: a bulletin for the week before, for every district notify knows.

Safe with several replicas: each run is claimed with a document whose id every replica
derives alike (district + week); only the one whose insert succeeds sends the
`report-requested` (through the claim's outbox), so one bulletin goes out, not three. A
replica that was down at 08:00 catches up within the grace period. The service checks every
`NOTIFY_SCHEDULE_EVERY_SECONDS` (0: never) through the platform's background loop.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from fourx_notify.service_layer.handlers import scheduled_request

if TYPE_CHECKING:
    from fourx_notify.bootstrap import NotifyService

log = structlog.get_logger("fourx.notify.schedule")


async def run_due(service: "NotifyService", now: datetime | None = None,
                  districts: list[str] | None = None) -> list[str]:
    """Claim and request every due weekly bulletin (of every district with a directory, or
    of `districts`); returns the districts this replica claimed."""
    now = now or service.clock.now()
    grace = timedelta(hours=service.settings.schedule_grace_hours)
    due = []
    for district in districts or await service.event_store().projections.districts():
        request_id, run_at, request = scheduled_request(district, now, service.settings.time_zone)
        if now - run_at <= grace:
            due.append((request_id, district, request.data["week"], request))
    # One bulk insert for every district: each claim still succeeds on one replica only.
    claimed = await service.bulletins().claim_scheduled_runs(due)
    if claimed:
        log.info("weekly bulletins requested", districts=len(claimed))
        service.kick_relay()
    return claimed

