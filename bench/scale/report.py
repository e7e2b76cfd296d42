"""The figures of `make bench-scale`, the table and the one line that ends the run.

The line has exactly the issue's format; a figure whose part was not run is `n/a` (never an
invented number), and the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

NOT_RUN = "not run (see --parts)"


@dataclass
class Figures:
    districts: int
    events: int = 0
    ingest: float | None = None     # notify's read model, events/s
    raw: float | None = None        # raw aiokafka getmany + PyMongo, the same documents (events + items), events/s
    store: float | None = None      # the store alone, the same documents and indexes, events/s
    raw_events: float | None = None    # the raw consumer writing the event documents only
    store_events: float | None = None  # insert_many of the event documents only
    relay: float | None = None      # outbox relay draining E pending entries, events/s
    rawpub: float | None = None     # raw pipelined aiokafka publish, events/s
    removals: float | None = None   # the relay's store work alone (find + bulk $pull), entries/s
    monday: float | None = None     # seconds until the last report-published, N districts
    history_ratio: float | None = None
    p99: float | None = None        # ms, command accepted → visible in notify's read model

    @property
    def ingest_ratio(self) -> float | None:
        return _ratio(self.ingest, self.raw)

    @property
    def publish_ratio(self) -> float | None:
        return _ratio(self.relay, self.rawpub)


def _ratio(ours: float | None, baseline: float | None) -> float | None:
    return None if ours is None or not baseline else ours / baseline


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}/s"


def _num(value: float | None, fmt: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{unit}"


def scale_line(f: Figures) -> str:
    """`scale: districts=N events=E ingest=X/s raw=Y/s ratio=R store=Z/s relay=P/s rawpub=Q/s
    ratio=S monday=Ts history_ratio=H p99=Lms`"""
    return (f"scale: districts={f.districts} events={f.events} ingest={_rate(f.ingest)} raw={_rate(f.raw)} "
            f"ratio={_num(f.ingest_ratio, '.2f')} store={_rate(f.store)} relay={_rate(f.relay)} "
            f"rawpub={_rate(f.rawpub)} ratio={_num(f.publish_ratio, '.2f')} monday={_num(f.monday, '.1f', 's')} "
            f"history_ratio={_num(f.history_ratio, '.2f')} p99={_num(f.p99, '.0f', 'ms')}")


def table(f: Figures, notes: dict[str, str] | None = None) -> Table:
    notes = notes or {}
    t = Table("part", "fourx", "baseline", "fourx / baseline", "note", title=f"bench-scale: {f.districts} districts, "
              f"{f.events:,} events")
    t.add_row("1 ingest (notify read model)", _rate(f.ingest), f"{_rate(f.raw)} raw, same documents",
              _num(f.ingest_ratio, ".2f"), notes.get("ingest", ""))
    t.add_row("  store ceiling (no Kafka)", _rate(f.store), "", _num(_ratio(f.ingest, f.store), ".2f"),
              notes.get("store", "same documents (events + item projection) and indexes"))
    t.add_row("  raw, event documents only", _rate(f.raw_events), "", _num(_ratio(f.ingest, f.raw_events), ".2f"),
              "half the read model's writes: for comparison")
    t.add_row("  store ceiling, event documents only", _rate(f.store_events), "",
              _num(_ratio(f.ingest, f.store_events), ".2f"), "insert_many alone")
    t.add_row("2 publish (outbox relay)", _rate(f.relay), f"{_rate(f.rawpub)} raw pipelined",
              _num(f.publish_ratio, ".2f"), notes.get("publish", ""))
    t.add_row("  store ceiling (outbox read + removals, no Kafka)", _rate(f.removals), "",
              _num(_ratio(f.relay, f.removals), ".2f"), "the relay's own find and bulk $pull writes")
    for label, value in (("3 Monday run", _num(f.monday, ".1f", " s")),
                         ("4 history (52 weeks / 1 week)", _num(f.history_ratio, ".2f")),
                         ("5 latency p99 at 200 commands/s", _num(f.p99, ".0f", " ms"))):
        note = notes.get("latency", "") if label.startswith("5 ") else ""
        t.add_row(label, value, "", "", NOT_RUN if value == "n/a" else note)
    for extra, text in notes.items():
        if extra not in ("ingest", "store", "publish", "latency"):
            t.add_row(f"  {extra}", "", "", "", text)
    return t


__all__ = ["Figures", "NOT_RUN", "scale_line", "table"]
