"""Command line of the meetings service (`fourx-meetings ...` or `python -m fourx_meetings ...`).

`validate` checks a directory file offline; `import-directory` and `schedule` run the same use
cases as the HTTP API directly against the store (MONGO_URI) and Kafka (KAFKA_BOOTSTRAP), then
publish what they stored."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer
from fourx_platform.kafka import KafkaSettings
from fourx_platform.logs import configure_logging
from fourx_platform.mongo import MongoSettings
from fourx_platform.outbound import OutboundPolicy
from fourx_platform.runtime import ServiceRuntime

from fourx_meetings.adapters.repository import OUTBOX_COLLECTIONS
from fourx_meetings.adapters.roster import parse_roster
from fourx_meetings.domain.calendar import activity_day_date, parse_month
from fourx_meetings.domain.directory import DirectoryInvalid, parse_directory
from fourx_meetings.service_layer import handlers
from fourx_meetings.service_layer.unit_of_work import MongoUnitOfWork

app = typer.Typer(help="fourx meetings: organisation directory and activity days", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"{path}: cannot read: {exc}", err=True)
        raise typer.Exit(2) from exc


def _command(path: Path, district: str) -> handlers.ImportDirectory:
    """The import of `path`: an Excel roster (.xlsx) or a YAML/JSON text."""
    outbound = OutboundPolicy.from_env()
    if path.suffix.lower() == ".xlsx":
        try:
            return handlers.ImportDirectory(district, "", outbound=outbound, roster=path.read_bytes())
        except OSError as exc:
            typer.echo(f"{path}: cannot read: {exc}", err=True)
            raise typer.Exit(2) from exc
    return handlers.ImportDirectory(district, _read(path), outbound=outbound)


def _parse(cmd: handlers.ImportDirectory):
    if cmd.roster is not None:
        return parse_roster(cmd.roster, cmd.outbound)
    return parse_directory(cmd.text, cmd.outbound)


def _report_invalid(path: Path, exc: DirectoryInvalid) -> None:
    for problem in exc.problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        typer.echo(f"{where}: {problem.path}: {problem.message}", err=True)
    typer.echo(f"共 {len(exc.problems)} 处问题，未导入任何内容", err=True)


@app.command()
def validate(file: Path) -> None:
    """Check a directory file (YAML, JSON or an .xlsx roster) and print every problem with its line."""
    try:
        directory = _parse(_command(file, "-"))
    except DirectoryInvalid as exc:
        _report_invalid(file, exc)
        raise typer.Exit(1) from exc
    typer.echo(f"{file}: ok — {len(directory.streets)} streets, {len(directory.communities)} communities, "
               f"{len(directory.departments)} departments, {len(directory.people)} people")


async def _with_store(action: Callable[[MongoUnitOfWork], Awaitable[Any]]) -> Any:
    settings_db = _database()
    runtime = ServiceRuntime("meetings-cli", KafkaSettings(), MongoSettings(), settings_db)
    await runtime.start()
    try:
        result = await action(MongoUnitOfWork(runtime.db))
        await runtime.outbox_relay(OUTBOX_COLLECTIONS).publish_pending()
        return result
    finally:
        await runtime.stop()


def _database() -> str:
    from fourx_meetings.bootstrap import MeetingsSettings
    return MeetingsSettings().database


@app.command("import-directory")
def import_directory(file: Path, district: str = typer.Option(..., help="the district id")) -> None:
    """Validate, store and publish a directory (YAML, JSON or an .xlsx roster) → directory-updated;
    identical content publishes nothing."""
    command = _command(file, district)
    try:
        _parse(command)
    except DirectoryInvalid as exc:
        _report_invalid(file, exc)
        raise typer.Exit(1) from exc
    _, version, changed = asyncio.run(_with_store(
        lambda uow: handlers.import_directory(command, uow)))
    typer.echo(f"district {district}: directory version {version}" + ("" if changed else " (unchanged, nothing published)"))


@app.command()
def schedule(district: str = typer.Option(...), month: str = typer.Option(..., help="e.g. 2026-12"),
             venue: str | None = None) -> None:
    """Schedule a month's activity day by hand (the service also does it periodically)."""
    try:
        year, mon = parse_month(month)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from exc
    day, created = asyncio.run(_with_store(lambda uow: handlers.schedule_activity_day(
        handlers.ScheduleActivityDay(district, year, mon, venue), uow)))
    typer.echo(f"{day.meeting_id}: {day.date} at {day.venue or '(no venue)'}, topics until {day.topic_deadline}"
               + ("" if created else " (already scheduled)"))


@app.command("activity-day")
def show_activity_day(month: str) -> None:
    """Print when a month's activity day falls under the calendar rule (offline)."""
    year, mon = parse_month(month)
    when = activity_day_date(year, mon)
    note = f" (moved from {when.first_friday})" if when.moved else ""
    if not when.calendar_confirmed:
        note += " (no official holiday data for this year yet)"
    typer.echo(f"{month}: {when.date}{note}; topic deadline {when.topic_deadline}")


def main() -> None:
    configure_logging("meetings-cli")  # on stderr: the commands' own output stays alone on stdout
    app()
