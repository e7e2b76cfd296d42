"""Command line of the issues service (`fourx-issues ...`): run the daily check once from a
shell or a cron job, with an explicit "today" if wanted:

    fourx-issues daily-check [--today 2026-12-05] [--district D] [--publish]

It writes to the store like the service does; the running service's outbox relay publishes
the resulting events (or this process publishes them itself with --publish).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date

import typer
from fourx_platform.logs import configure_logging

from fourx_issues.adapters.repository import OUTBOX_COLLECTIONS
from fourx_issues.bootstrap import IssuesService
from fourx_issues.service_layer import handlers

app = typer.Typer(help="督办清单：每日检查", no_args_is_help=True)


@app.callback()
def _commands() -> None:
    """Keeps `daily-check` a named command (typer runs a lone command without its name)."""


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


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise typer.BadParameter(f"not a day (YYYY-MM-DD): {value!r}") from exc


@app.command("daily-check")
def daily_check_command(
    today: str | None = typer.Option(None, help="check as of this day (YYYY-MM-DD)"),
    district: str | None = typer.Option(None, help="only this district (default: every district with open items)"),
    publish: bool = typer.Option(False, "--publish",
                                 help="publish the events now instead of leaving them to the running service's relay"),
) -> None:
    """Recompute lights and climb the escalation ladder."""
    result = asyncio.run(daily_check(_day(today), district, publish))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


def main() -> None:
    configure_logging("issues-cli")  # on stderr: the commands' own output stays alone on stdout
    app()


if __name__ == "__main__":
    main()
