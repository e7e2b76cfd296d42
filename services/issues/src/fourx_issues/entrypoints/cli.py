"""Run the daily check once from a shell or a cron job, with an explicit "today" if wanted:

    python -m fourx_issues.entrypoints.cli daily-check [--today 2026-12-05] [--district D]

It writes to the store like the service does; the running service's outbox relay publishes
the resulting events (or this process publishes them itself with --publish).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date


from fourx_issues.adapters.repository import OUTBOX_COLLECTIONS
from fourx_issues.bootstrap import IssuesService
from fourx_issues.service_layer import handlers


async def daily_check(today: date | None, district: str | None, publish: bool) -> dict:
    service = IssuesService()
    await service.runtime.open_store()
    try:
        day = today or service.clock.today()
        uow = service.unit_of_work()
        if district:
            reports = {district: await handlers.daily_check(uow, district, day, service.policy)}
        else:
            reports = await handlers.daily_check_all(uow, day, service.policy)
        if publish:
            await service.runtime.broker.start()
            await service.runtime.outbox_relay(OUTBOX_COLLECTIONS).publish_pending()
        return {d: {"today": r.today.isoformat(), "checked": r.checked, "overdue": r.overdue,
                    "notices": r.notices, "interviews": r.interviews, "lights": r.lights}
                for d, r in reports.items()}
    finally:
        await service.runtime.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="fourx-issues", description="督办清单：每日检查")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("daily-check", help="recompute lights and climb the escalation ladder")
    check.add_argument("--today", type=date.fromisoformat, help="check as of this day (YYYY-MM-DD)")
    check.add_argument("--district", help="only this district (default: every district with open items)")
    check.add_argument("--publish", action="store_true", help="publish the events now instead of leaving "
                                                               "them to the running service's relay")
    args = parser.parse_args(argv)
    result = asyncio.run(daily_check(args.today, args.district, args.publish))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
