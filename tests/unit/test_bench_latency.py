"""Part 5 of `make bench-scale`: the figures it reports from what it measured (the run itself
needs the stack: `make bench-scale N=100`)."""

from __future__ import annotations

from bench.scale.latency import Latency
from bench.scale.report import Figures, scale_line


def test_percentiles_and_the_note_come_from_the_measured_latencies():
    measured = Latency(rate=200, seconds=10, sent=2000, accepted=1999, warmup=200,
                       latencies_ms=[float(n) for n in range(1, 101)], to_kafka_ms=[5.0] * 100)
    assert measured.percentile(50) == 51 and measured.percentile(99) == 99 and measured.lost == 1899
    note = measured.note()
    assert "p50=51ms p99=99ms" in note and "accepted→on Kafka p50=5ms" in note
    assert "p99=99ms" in scale_line(Figures(districts=1, p99=measured.percentile(99)))
    assert Latency(rate=1, seconds=1).percentile(99) is None
    assert "no command became visible" in Latency(rate=1, seconds=1, sent=3).note()
