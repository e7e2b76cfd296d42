"""How the commands look to a person: one line per event, tables for the rest. Colour says who
produced a topic (meetings, issues, notify) and marks DLQs and stuck partitions red; rich drops
the colour by itself when the output is not a terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fourx_contracts.producers import PRODUCERS
from fourx_ops.dlq import DlqReport, Replay, Tally
from fourx_ops.lag import MOVING, OK, STUCK, PartitionLag
from fourx_ops.records import Seen, summary
from fourx_ops.timespec import short_delta
from fourx_ops.trace import Hop

_SERVICE_STYLE = {"meetings": "cyan", "issues": "yellow", "notify": "green", None: "magenta"}


def topic_style(topic: str) -> str:
    if topic.endswith(".dlq"):
        return "bold red"
    return _SERVICE_STYLE.get(PRODUCERS.get(topic), "white")


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def event_line(seen: Seen) -> Text:
    """time · topic · district · type (when not the topic's) · subject or id · payload, or for
    a DLQ record: the consumer group that gave up, the error class and message."""
    line = Text()
    line.append(when(seen.time), style="dim")
    line.append(" ")
    line.append(f"{seen.topic:<22}", style=topic_style(seen.topic))
    line.append(f" {seen.district or '-':<16}", style="bold")
    if seen.type and seen.type != seen.topic:
        line.append(f" {seen.type}", style=topic_style(seen.type))
    ident = seen.subject or (seen.id or "")[:8] or "-"
    line.append(f" {ident}", style="blue")
    if seen.is_dlq:
        line.append(f" ✗ {seen.group or '?'} gave up after {seen.attempts or '?'}: ", style="red")
        line.append(f"{seen.error_class.rsplit('.', 1)[-1] or '?'}: {seen.error[:120]}", style="red")
        line.append(f" [{seen.coordinates}]", style="dim")
    elif seen.event is None:
        line.append(" (not a JSON object)", style="red")
    else:
        # The subject was just shown; its repetition in the payload (`meeting_id=…`) is noise.
        line.append(f" {summary({k: v for k, v in seen.data.items() if v != seen.subject})}")
    return line


def print_event(console: Console, seen: Seen) -> None:
    # soft_wrap: one event, one line, however narrow the terminal (or pipe).
    console.print(event_line(seen), soft_wrap=True, highlight=False)


def trace_table(correlation_id: str, hops: Sequence[Hop]) -> RenderableType:
    if not hops:
        return Text(f"no event carries correlation id {correlation_id}", style="yellow")
    numbers = {id(h.seen): i for i, h in enumerate(hops, 1)}
    table = Table(title=f"trace {correlation_id}: {len(hops)} event(s), "
                        f"{short_delta(hops[-1].since_first)[1:]} end to end", title_justify="left")
    for column in ("#", "written (UTC)", "hop", "total", "event", "by", "district", "subject", "after"):
        table.add_column(column, no_wrap=column not in ("subject", "after"))
    for i, hop in enumerate(hops, 1):
        seen = hop.seen
        parent = f"#{numbers[id(hop.parent)]} {hop.parent.type}" if hop.parent is not None else (
            f"counts the above ({hop.counted_in})" if hop.counted_in else "")
        event = Text(seen.type or "?", style=topic_style(seen.topic))
        if seen.is_dlq:
            event.append(f" → DLQ by {seen.group}: {seen.error_class.rsplit('.', 1)[-1]}", style="bold red")
        table.add_row(str(i), when(seen.time), short_delta(hop.since_previous) if hop.since_previous is not None else "",
                      short_delta(hop.since_first), event, (seen.source or "-").rsplit("/", 1)[-1],
                      seen.district or "-", seen.subject or (seen.id or "")[:8], parent)
    return table


def _tally_table(title: str, label: str, tallies: dict[str, Tally], errors: dict[str, str] | None,
                 with_replayed: bool) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (label, "records", *(["replayed"] if with_replayed else []), "oldest", "newest",
                   *(["last error"] if errors is not None else [])):
        table.add_column(column, overflow="fold")
    for name, tally in sorted(tallies.items(), key=lambda kv: (-kv[1].count, kv[0])):
        table.add_row(name, str(tally.count), *([str(tally.replayed)] if with_replayed else []),
                      when(tally.oldest), when(tally.newest), *([errors.get(name, "")[:160]] if errors else []))
    return table


def dlq_report(report: DlqReport) -> RenderableType:
    if report.total == 0:
        return Text("the DLQs are empty", style="green")
    replayed = report.ledger_readable
    parts: list[RenderableType] = [
        Text(f"{report.total} parked record(s)", style="bold red"),
        _tally_table("by topic", "topic", report.by_topic, None, replayed),
        _tally_table("by consumer group (dlq-group)", "group", report.by_group, None, replayed),
        _tally_table("by error class (dlq-error-class)", "error class", report.by_error_class, report.last_error,
                     replayed),
    ]
    if not replayed:
        parts.append(Text("(the replay ledger fourx-ops.replayed could not be read: replayed counts not shown)",
                          style="dim"))
    return Group(*parts)


def dlq_record(seen: Seen) -> RenderableType:
    head = Table.grid(padding=(0, 1))
    head.add_column(style="dim")
    head.add_column()
    for name, value in (("parked", f"{seen.coordinates} at {when(seen.time)}"),
                        ("original", seen.original_coordinates),
                        ("district", seen.district or "-"),
                        ("event", f"{seen.type} {seen.id or ''}".strip()),
                        ("group", f"{seen.group} (gave up after {seen.attempts} attempt(s))"),
                        ("error", Text(f"{seen.error_class}: {seen.error}", style="red"))):
        head.add_row(name, value)
    for name, value in sorted(seen.headers.items()):
        if name.startswith("original-"):
            head.add_row(name, value)
    if seen.event is not None:
        body: RenderableType = Text(json.dumps(seen.event, ensure_ascii=False, indent=2))
    else:
        body = Text("(no value)" if seen.value is None else seen.value.decode(errors="replace")[:4000], style="yellow")
    return Panel(Group(head, body), title=seen.coordinates, title_align="left", border_style="red")


def replay_lines(steps: Sequence[Replay], dry_run: bool) -> RenderableType:
    lines = []
    for step in steps:
        r = step.record
        what = f"{r.coordinates} → {step.to_topic} ({r.district}, {' '.join(filter(None, (r.type, r.id)))})"
        if step.skipped:
            lines.append(Text(f"skipped {what}: {step.skipped}", style="yellow"))
        elif dry_run:
            lines.append(Text(f"would replay {what}{' (corrected copy)' if step.fixed else ''}"))
        else:
            lines.append(Text(f"replayed {what} as {step.written}{' (corrected copy)' if step.fixed else ''}",
                              style="green"))
        for twin in step.twins:
            lines.append(Text(f"  with {twin.coordinates} (the same record, parked by {twin.group})", style="dim"))
    sent = sum(1 for s in steps if not s.skipped)
    verb = "would replay" if dry_run else "replayed"
    lines.append(Text(f"{verb} {sent}, skipped {len(steps) - sent}", style="bold"))
    return Group(*lines)


_STATE_STYLE = {OK: "green", MOVING: "yellow", STUCK: "bold red"}


def lag_table(rows: Sequence[PartitionLag], window: float, every_partition: bool = False) -> RenderableType:
    """A line per group (partitions, total lag, how many stuck), then the partitions behind
    (or all of them)."""
    if not rows:
        return Text("no consumer group has committed offsets", style="yellow")
    groups = Table(title=f"consumer groups (moved: committed offset changed within {window:g}s)", title_justify="left")
    for column in ("group", "partitions", "lag", "stuck", "state"):
        groups.add_column(column, justify="right" if column in ("partitions", "lag", "stuck") else "left")
    for group in sorted({r.group for r in rows}):
        mine = [r for r in rows if r.group == group]
        stuck = sum(r.state == STUCK for r in mine)
        behind = sum(r.lag for r in mine)
        state = STUCK if stuck else (OK if behind == 0 else next(r.state for r in mine if r.lag))
        groups.add_row(group, str(len(mine)), str(behind), str(stuck),
                       Text(state, style=_STATE_STYLE.get(state, "yellow")))
    shown = [r for r in rows if every_partition or r.lag > 0]
    if not shown:
        return groups
    table = Table(title="partitions" if every_partition else "partitions behind", title_justify="left")
    for column in ("group", "topic", "partition", "committed", "end", "lag", "moved", "state"):
        table.add_column(column, justify="right" if column in ("partition", "committed", "end", "lag") else "left")
    for r in shown:
        moved = "-" if r.moved is None else ("yes" if r.moved else "no")
        table.add_row(r.group, Text(r.topic, style=topic_style(r.topic)), str(r.partition), str(r.committed),
                      str(r.end), str(r.lag), moved, Text(r.state, style=_STATE_STYLE.get(r.state, "yellow")))
    return Group(groups, table)
