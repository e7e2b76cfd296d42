"""`make bench-scale`'s command line and its last line (the full run is not part of the suite)."""

from __future__ import annotations

import re

import pytest

from bench.scale.__main__ import DEFAULT_DISTRICTS, parse_args
from bench.scale.report import NOT_RUN, Figures, scale_line, table

LINE = re.compile(
    r"^scale: districts=\d+ events=\d+ ingest=(\d+/s|n/a) raw=(\d+/s|n/a) ratio=(\d+\.\d\d|n/a) "
    r"store=(\d+/s|n/a) relay=(\d+/s|n/a) rawpub=(\d+/s|n/a) ratio=(\d+\.\d\d|n/a) monday=(\d+\.\d+s|n/a) "
    r"history_ratio=(\d+\.\d\d|n/a) p99=(\d+ms|n/a)$")


def test_defaults_and_n():
    args = parse_args([])
    assert args.districts == DEFAULT_DISTRICTS == 2800 and args.weeks == 1 and args.events is None
    assert parse_args(["--districts", "100"]).districts == 100
    assert args.ingest_districts == 400   # the ingest and publish parts' sample; the Monday run takes all
    with pytest.raises(SystemExit):
        parse_args(["--districts", "0"])


def test_the_last_line_has_the_issues_format_and_says_n_a_for_what_is_not_built():
    figures = Figures(districts=100, events=30331, ingest=1637.4, raw=3358.0, store=4135.2, relay=2342.0,
                      rawpub=12375.0)
    line = scale_line(figures)
    assert LINE.match(line), line
    assert line == ("scale: districts=100 events=30331 ingest=1637/s raw=3358/s ratio=0.49 store=4135/s "
                    "relay=2342/s rawpub=12375/s ratio=0.19 monday=n/a history_ratio=n/a p99=n/a")
    done = Figures(districts=1, events=1, ingest=1, raw=1, store=1, relay=1, rawpub=1, monday=42.0,
                   history_ratio=1.05, p99=80.0)
    assert LINE.match(scale_line(done)) and "monday=42.0s history_ratio=1.05 p99=80ms" in scale_line(done)


def test_the_table_names_the_parts_not_built():
    rows = table(Figures(districts=1)).columns[-1]._cells
    assert rows.count(NOT_RUN) == 3


async def test_the_raw_baseline_stores_the_same_documents_as_notifys_read_model():
    from bench.scale.ingest import notify_documents, raw_document
    from fourx_local.seed import generate

    events = list(generate(2, 2, seed=3))
    ours = await notify_documents(events)  # by notify's own record_events → EventStore path
    assert [raw_document(e.value) for e in events] == ours
    assert {d["type"] for d in ours} >= {"meeting-held", "issue-raised", "progress-recorded", "directory-updated"}


def test_a_part_first_and_the_rest_later_are_the_same_events():
    from fourx_local.seed import generate

    whole = {e.value for e in generate(5, 1, seed=4)}
    parts = [e.value for e in generate(2, 1, seed=4)] + [e.value for e in generate(5, 1, seed=4, first=2)]
    assert len(parts) == len(whole) and set(parts) == whole
