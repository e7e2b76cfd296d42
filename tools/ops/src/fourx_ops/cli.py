"""`fourx-ops` (and the same commands under `fourx-dev`): watch, trace, dlq list|show|replay, lag.

Each command is a thin shell over an async function of its module (`watch.watch`,
`trace.trace`, `dlq.parked/replay`, `lag.lag`), which tests call directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console

from fourx_ops import dlq as dlq_core
from fourx_ops import render
from fourx_ops.connection import ADMIN, OPS, Connection, NoConnection, resolve
from fourx_ops.lag import any_stuck, lag as lag_core
from fourx_ops.reader import BEGINNING, END, MissingTopics, Start
from fourx_ops.records import Filter
from fourx_ops.timespec import BadTime, parse_since
from fourx_ops.trace import trace as trace_core
from fourx_ops.watch import watch as watch_core

T = TypeVar("T")
# Piped or captured output is not cut to 80 columns: the tables stay whole for grep and logs.
PIPE_WIDTH = 200


def _console() -> Console:
    console = Console()
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console

Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap (default: KAFKA_BOOTSTRAP, else the `make up` stack)",
                                               show_default=False)]
Principal = Annotated[str, typer.Option(help="which of the local stack's principals to use (KAFKA_USERNAME wins)")]
Since = Annotated[str | None, typer.Option(help="start this long ago (10m, 2h, 1d) or at an ISO time", show_default=False)]
Topics = Annotated[list[str] | None, typer.Option("--topic", help="topic (repeatable); a DLQ is `<topic>.dlq`",
                                                  show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="one JSON object per line (for jq)")]


def _connect(bootstrap: str | None, principal: str) -> Connection:
    return resolve(bootstrap, principal)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's core; the operator's mistakes end in one red line, not a traceback."""
    try:
        return asyncio.run(coro)
    except (NoConnection, MissingTopics, BadTime, dlq_core.ReplayRefused) as exc:
        Console(stderr=True).print(f"[red]{exc}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    except KafkaError as exc:  # refused by the ACLs, broker away, …: say which, plainly
        Console(stderr=True).print(f"[red]Kafka said {type(exc).__name__}: {exc}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _start(since: str | None, from_beginning: bool, default: Start) -> Start:
    if since and from_beginning:
        Console(stderr=True).print("[red]--since or --from-beginning, not both[/]")
        raise typer.Exit(2)
    if from_beginning:
        return BEGINNING
    if since:
        try:
            return parse_since(since)
        except BadTime as exc:
            Console(stderr=True).print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
    return default


def watch(
    topic: Topics = None,
    district: Annotated[list[str] | None, typer.Option(help="only this district (repeatable)", show_default=False)] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="only this event type (repeatable)",
                                                    show_default=False)] = None,
    correlation_id: Annotated[str | None, typer.Option(help="only events of this causal chain", show_default=False)] = None,
    since: Since = None,
    from_beginning: Annotated[bool, typer.Option(help="start at the beginning of each topic")] = False,
    limit: Annotated[int | None, typer.Option(help="stop after N matching events", min=1, show_default=False)] = None,
    follow: Annotated[bool, typer.Option(help="keep waiting for new events (--no-follow: stop at the current end)")] = True,
    as_json: AsJson = False,
    bootstrap: Bootstrap = None,
    principal: Principal = OPS,
) -> None:
    """Tail every topic and DLQ (or --topic), one line per event; DLQ records with their error."""
    keep = Filter(frozenset(district or ()), frozenset(type_ or ()), correlation_id)
    start = _start(since, from_beginning, END)
    connection = _connect(bootstrap, principal)

    out = _console()

    async def tail() -> None:
        async for seen in watch_core(connection, topic or (), keep=keep, start=start, limit=limit, follow=follow):
            if as_json:
                print(seen.as_json_line(), flush=True)
            else:
                render.print_event(out, seen)

    _run(tail())


def trace(
    correlation_id: Annotated[str, typer.Argument(help="the correlation id the chain's events share")],
    since: Since = None,
    bulletins: Annotated[bool, typer.Option(help="add the weekly bulletin that counted the chain's events")] = True,
    as_json: AsJson = False,
    bootstrap: Bootstrap = None,
    principal: Principal = OPS,
) -> None:
    """Every event (and DLQ record) of one causal chain, in the order written, with hop times,
    and the bulletin that counted them."""
    start = _start(since, False, BEGINNING)
    hops = _run(trace_core(_connect(bootstrap, principal), correlation_id, start, with_bulletins=bulletins))
    if as_json:
        for hop in hops:
            print(json.dumps({"event": json.loads(hop.seen.as_json_line()), "written": hop.seen.time.isoformat(),
                              "hop_seconds": hop.since_previous.total_seconds() if hop.since_previous is not None else None,
                              "total_seconds": hop.since_first.total_seconds(),
                              "after": hop.parent.id if hop.parent else None, "counted_in": hop.counted_in},
                             ensure_ascii=False))
    else:
        _console().print(render.trace_table(correlation_id, hops))
    if not hops:
        raise typer.Exit(1)


dlq_app = typer.Typer(help="What the consumers parked in the DLQs: list, show, replay.", no_args_is_help=True)


def _selection(topic: list[str] | None, record: list[str] | None, error_class: str | None, group: str | None,
               district: str | None) -> dlq_core.Selection:
    try:
        refs = frozenset(dlq_core.parse_record_ref(r) for r in record or ())
    except dlq_core.ReplayRefused as exc:
        Console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    topics = frozenset(t.removesuffix(".dlq") for t in topic or ())
    return dlq_core.Selection(topics, refs, error_class, group, district)


ErrorClass = Annotated[str | None, typer.Option(help="error class, full or its last part (Invalid)", show_default=False)]
Record = Annotated[list[str] | None, typer.Option("--record", help="one DLQ record, TOPIC:PARTITION:OFFSET (repeatable)",
                                                  show_default=False)]
Group_ = Annotated[str | None, typer.Option("--group", help="the consumer group that gave up (dlq-group)",
                                            show_default=False)]
District = Annotated[str | None, typer.Option(help="one district", show_default=False)]


@dlq_app.command("list")
def dlq_list(topic: Topics = None, bootstrap: Bootstrap = None, principal: Principal = OPS) -> None:
    """Parked records per topic, per consumer group and per error class, oldest and newest."""
    connection = _connect(bootstrap, principal)

    async def gather() -> dlq_core.DlqReport:
        records = await dlq_core.parked(connection, _selection(topic, None, None, None, None))
        ledger = await dlq_core.read_ledger(connection)
        return dlq_core.report(records, None if ledger is None else set(ledger))

    _console().print(render.dlq_report(_run(gather())))


@dlq_app.command("show")
def dlq_show(topic: Topics = None, record: Record = None, error_class: ErrorClass = None, group: Group_ = None,
             district: District = None,
             limit: Annotated[int | None, typer.Option(help="at most N records (the newest)", min=1,
                                                       show_default=False)] = None,
             as_json: AsJson = False, bootstrap: Bootstrap = None, principal: Principal = OPS) -> None:
    """Parked records with their headers and payload."""
    records = _run(dlq_core.parked(_connect(bootstrap, principal),
                                   _selection(topic, record, error_class, group, district)))
    if limit is not None:
        records = sorted(records, key=lambda r: r.timestamp_ms)[-limit:]
    out = _console()
    for seen in records:
        if as_json:
            print(seen.as_json_line(), flush=True)
        else:
            out.print(render.dlq_record(seen))
    if not as_json:
        out.print(f"{len(records)} record(s)")


@dlq_app.command("replay")
def dlq_replay(topic: Topics = None, record: Record = None, error_class: ErrorClass = None, group: Group_ = None,
               district: District = None,
               all_: Annotated[bool, typer.Option("--all", help="every parked record (no other selector needed)")] = False,
               dry_run: Annotated[bool, typer.Option(help="say what would be sent; send nothing")] = False,
               force: Annotated[bool, typer.Option(help="send again what the ledger says was already replayed")] = False,
               fix: Annotated[Path | None, typer.Option(help="a corrected CloudEvent (JSON) to send instead of one "
                                                             "record's original value", show_default=False)] = None,
               bootstrap: Bootstrap = None,
               principal: Annotated[str, typer.Option(help="local stack principal; replay writes service-owned "
                                                           "topics, which only the admin may")] = ADMIN) -> None:
    """Send parked records back onto their original topics (original key and value), once."""
    selection = _selection(topic, record, error_class, group, district)
    if selection.empty and not all_:
        Console(stderr=True).print("[red]say what to replay: --topic, --record, --error-class, --group, "
                                   "--district, or --all[/]")
        raise typer.Exit(2)
    fixed = fix.read_bytes() if fix is not None else None
    connection = _connect(bootstrap, principal)

    async def go() -> list[dlq_core.Replay]:
        chosen = await dlq_core.parked(connection, selection)
        return await dlq_core.replay(connection, chosen, dry_run=dry_run, force=force, fix=fixed)

    steps = _run(go())
    _console().print(render.replay_lines(steps, dry_run))


def lag(
    window: Annotated[float, typer.Option(help="seconds between the two samples (0: one sample)", min=0)] = 5.0,
    group: Annotated[list[str] | None, typer.Option(help="only groups starting with this (repeatable)",
                                                    show_default=False)] = None,
    partitions: Annotated[bool, typer.Option("--all-partitions", help="list every partition, not only those behind")] = False,
    fail_on_stuck: Annotated[bool, typer.Option(help="exit 1 if any partition is STUCK")] = False,
    as_json: AsJson = False,
    bootstrap: Bootstrap = None,
    principal: Principal = OPS,
) -> None:
    """Per consumer group, topic and partition: committed, end, lag, and whether it moved."""
    rows = _run(lag_core(_connect(bootstrap, principal), window=window, groups=group or ()))
    if as_json:
        for r in rows:
            print(json.dumps({"group": r.group, "topic": r.topic, "partition": r.partition, "committed": r.committed,
                              "end": r.end, "lag": r.lag, "moved": r.moved, "state": r.state}))
    else:
        _console().print(render.lag_table(rows, window, partitions))
    if fail_on_stuck and any_stuck(rows):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ops commands to a typer app (`fourx-ops` itself, and `fourx-dev`)."""
    app.command()(watch)
    app.command()(trace)
    app.add_typer(dlq_app, name="dlq")
    app.command()(lag)


app = typer.Typer(help="Operate fourx: watch the event streams, trace a case, the DLQs, consumer lag.",
                  no_args_is_help=True, add_completion=False)
register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
