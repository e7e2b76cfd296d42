"""`make bench-scale [N=2800]`: fourx at the scale of many districts, on the project's own
Kafka and store (started here by `fourx_local.infra.provide`, or taken from KAFKA_BOOTSTRAP /
MONGO_URI), in one process tree.

    uv run python -m bench.scale --districts N [--weeks 1] [--seed 1] [--events E] [--sequential-relay]

The load is the generator's (`fourx-dev seed`): N districts and a week of their work. Built so
far: 1 ingest (notify's read model vs a raw aiokafka + PyMongo baseline, and the store's
ceiling), 2 publish (the outbox relay vs raw pipelined publish), 3 the Monday run, 4 history
and 5 latency (HTTP command accepted → visible in notify's read model). A part not run
(`--parts`) prints `n/a`. Each part notes how busy the store process was while it ran (its
CPU seconds over the wall time): the store's measured share of the figure. Figures, not
assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench.scale.busy import StoreMeter
from bench.scale.report import Figures, scale_line, table

DEFAULT_DISTRICTS = 2800
DEFAULT_SAMPLE = 400   # ≈ 121,000 events: the ingest and publish parts' load
PARTS = ("ingest", "publish", "monday", "history", "latency")
console = Console(width=150)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--districts", "-N", type=int, default=DEFAULT_DISTRICTS,
                        help=f"districts (default {DEFAULT_DISTRICTS})")
    parser.add_argument("--weeks", type=int, default=1, help="weeks of their work (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--events", type=int, default=None,
                        help="use only the first E generated events (of the sample, and of the others)")
    parser.add_argument("--ingest-districts", type=int, default=DEFAULT_SAMPLE,
                        help=f"districts whose events the ingest and publish parts run on (default {DEFAULT_SAMPLE}); "
                             "the Monday run takes all")
    parser.add_argument("--sequential-relay", action="store_true",
                        help="also time the relay publishing one entry at a time (slow: ~E/1000 s)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="longest wait for one ingest run (s)")
    parser.add_argument("--latency-seconds", type=float, default=None,
                        help="how long part 5 sends 200 commands/s (default 60; 15 below 1,000 districts)")
    parser.add_argument("--latency-rate", type=float, default=200.0, help="commands/s in part 5 (default 200)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated parts to run (default: all of {','.join(PARTS)})")
    args = parser.parse_args(argv)
    if min(args.districts, args.weeks, args.ingest_districts) < 1 or (args.events is not None and args.events < 1):
        parser.error("districts, weeks, ingest districts and events must be at least 1")
    args.parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if args.parts - set(PARTS):
        parser.error(f"unknown parts: {sorted(args.parts - set(PARTS))}")
    return args


def sample_districts(args: argparse.Namespace) -> int:
    return min(args.districts, args.ingest_districts)


def events_of(args: argparse.Namespace, part: str):
    """The generator's events of the first K districts (`sample`, what the ingest and publish
    parts run on) or of the others (`rest`, seeded before the Monday run)."""
    from fourx_local.seed import generate

    k = sample_districts(args)
    first, last = {"sample": (0, k), "rest": (k, args.districts)}[part]
    stream = generate(last, args.weeks, args.seed, first=first)
    return stream if args.events is None else itertools.islice(stream, args.events)


async def run(args: argparse.Namespace, infra) -> tuple[Figures, dict[str, str]]:
    from fourx_contracts.events import TOPICS
    from fourx_platform.kafka import ensure_topics
    from fourx_platform.mongo import MongoSettings

    from bench.scale import ingest, publish
    from fourx_local.seed.sinks import publish as seed_publish

    admin, mongo = infra.kafka_as("admin"), MongoSettings(uri=infra.mongo_uri)
    await ensure_topics(admin)
    figures, notes = Figures(districts=args.districts), {}
    meter = StoreMeter(next((p.pid for p in infra.processes if p.name == "secantusdb"), None))
    read_model: dict[str, str] | None = None   # the ingest part's notify read model, for the Monday run

    # The first K districts' events are seeded first: the ingest and publish parts run on them
    # (they measure rates, and three ingests of every district's events would take the store
    # an hour). The other districts' follow before the Monday run, which takes every district.
    k = sample_districts(args)
    started = time.perf_counter()
    sampled = await seed_publish(events_of(args, "sample"), admin)
    figures.events = sampled
    notes["load"] = (f"generated and published {sampled:,} events of {k} districts in "
                     f"{time.perf_counter() - started:.1f}s (pipelined, acks=all)")
    console.print(f"[dim]{notes['load']}[/]")

    if "ingest" in args.parts:
        writes = ingest.projection_writes(events_of(args, "sample"))
        ceiling = await ingest.store_ceiling(mongo, events_of(args, "sample"), writes)
        figures.store, figures.store_events = ceiling.read_model_rate, ceiling.events_rate
        console.print(f"[dim]store ceiling: {figures.store:,.0f} docs/s (events alone {figures.store_events:,.0f})[/]")
        topics = sorted({e.type for e in events_of(args, "sample")} & set(TOPICS))
        figures.raw = sampled / await ingest.raw_ingest(admin, mongo, topics, sampled, writes)
        figures.raw_events = sampled / await ingest.raw_ingest(admin, mongo, topics, sampled)
        del writes
        console.print(f"[dim]raw ingest: {figures.raw:,.0f}/s (events alone {figures.raw_events:,.0f}/s)[/]")
        mark = meter.start()
        spent, read_model = await ingest.notify_ingest(infra.kafka_as("notify"), mongo, sampled, args.timeout)
        figures.ingest = sampled / spent
        console.print(f"[dim]notify ingest: {figures.ingest:,.0f}/s[/]")
        notes["ingest"] = (f"{sampled:,} events of the first {k} districts; both include joining the group; "
                           "raw stores json as is, notify validates")
        notes["ingest, store"] = meter.since(mark).note()

    if k < args.districts:
        started = time.perf_counter()
        rest = await seed_publish(events_of(args, "rest"), admin)
        figures.events = sampled + rest
        notes["load, the other districts"] = (f"{rest:,} events of {args.districts - k} districts in "
                                              f"{time.perf_counter() - started:.1f}s, before the Monday run")
        console.print(f"[dim]{notes['load, the other districts']}[/]")

    if "monday" in args.parts:
        from datetime import datetime, timedelta

        from bench.scale import monday
        from fourx_local.seed import DEFAULT_START

        last_week = datetime.combine(DEFAULT_START + timedelta(weeks=args.weeks - 1), datetime.min.time())
        one, three, more = await monday.monday(infra.kafka_as("notify"), admin, mongo, args.districts, figures.events,
                                               last_week, args.timeout, meter, read_model)
        figures.monday = one
        notes.update(more)
        if three is not None:
            notes["monday, 3 replicas"] = f"{three:.1f}s for the same run on 3 notify replicas in one group (one process)"
        console.print(f"[dim]Monday run: {one:.1f}s on one notify; three replicas: {notes.get('monday, 3 replicas', 'not run')}[/]")
    if "publish" in args.parts:
        count, rawpub_s = await publish.raw(admin, events_of(args, "sample"))
        figures.rawpub = count / rawpub_s
        database, entries, docs = await publish.fill_outbox(mongo, events_of(args, "sample"))
        mark = meter.start()
        figures.relay = entries / await publish.drain(admin, mongo, database, entries, pipelined=True)
        notes["publish, store"] = meter.since(mark).note()
        notes["publish"] = f"{entries:,} entries (the first {k} districts' events) in {docs:,} aggregate documents"
        database, _, _ = await publish.fill_outbox(mongo, events_of(args, "sample"))
        count, spent = await publish.removal_ceiling(mongo, database)
        figures.removals = count / spent
        if args.sequential_relay:
            database, entries, _ = await publish.fill_outbox(mongo, events_of(args, "sample"))
            one = entries / await publish.drain(admin, mongo, database, entries, pipelined=False)
            notes["relay, awaited publish per entry"] = f"{one:,.0f}/s (the same relay given a send-and-wait publish)"
    if "history" in args.parts:
        from bench.scale import history

        figures.history_ratio, more = await history.history(mongo)
        notes.update(more)
        console.print(f"[dim]history ratio (52 weeks / 1 week): {figures.history_ratio:.2f}[/]")
    if "latency" in args.parts:
        from bench.scale import latency
        seconds = args.latency_seconds or (60.0 if args.districts >= 1000 else 15.0)
        mark = meter.start()
        measured = await latency.measure(infra, rate=args.latency_rate, seconds=seconds)
        figures.p99 = measured.percentile(99)
        notes["latency"] = measured.note()
        notes["latency, store"] = meter.since(mark).note()
        console.print(f"[dim]latency: {notes['latency']}[/]")
    return figures, notes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # The services' INFO lines (partition assignments, one per consumer) drown the figures.
    for name in ("faststream", "aiokafka"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from fourx_local.infra import provide

    with tempfile.TemporaryDirectory() as tmp, provide(Path(tmp)) as infra:
        console.print(f"[dim]Kafka {infra.kafka_bootstrap} ({infra.choice.kafka}), store ({infra.choice.store}); "
                      f"{args.districts} districts × {args.weeks} week(s), seed {args.seed}[/]")
        figures, notes = asyncio.run(run(args, infra))
    console.print(table(figures, notes))
    print(scale_line(figures), flush=True)


if __name__ == "__main__":
    main()
