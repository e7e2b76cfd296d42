"""The ops tool's pure parts: `--since`, record references, how a record reads (one line, the
JSON line, a DLQ record's error), a trace's order and parents, lag states, where the
connection comes from — and that the package stands alone (contracts + aiokafka, no service)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

import fourx_ops
from fourx_ops.connection import Connection, resolve
from fourx_ops.dlq import ReplayRefused, Selection, checked_fix, error_class_matches, parse_record_ref, report
from fourx_ops.lag import MOVING, OK, STUCK, PartitionLag, any_stuck
from fourx_ops.records import Filter, Seen, summary
from fourx_ops.render import event_line, print_event
from fourx_ops.timespec import BadTime, parse_since, short_delta
from fourx_ops.trace import chain

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@dataclass
class Record:   # the fields of aiokafka's ConsumerRecord the tool reads
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def event(type_: str, district: str = "d1", *, id_: str = "e1", subject: str | None = None,
          correlation: str = "c1", data: dict | None = None, source: str = "/services/issues") -> dict:
    return {"specversion": "1.0", "id": id_, "type": type_, "source": source, "time": "2026-11-29T08:00:00Z",
            "subject": subject, "district": district, "correlationid": correlation,
            "datacontenttype": "application/json", "data": data or {}}


def seen(topic: str, body: dict | bytes | None, *, offset: int = 0, at_ms: int = 0, key: str = "d1",
         headers: dict[str, str] | None = None) -> Seen:
    value = json.dumps(body).encode() if isinstance(body, dict) else body
    return Seen.from_record(Record(topic, 0, offset, at_ms, key.encode(), value,
                                   [(k, v.encode()) for k, v in (headers or {}).items()]))


def dlq_headers(**extra: str) -> dict[str, str]:
    return {"dlq-error": "an item needs a title", "dlq-error-class": "fourx_platform.errors.Invalid",
            "dlq-group": "fourx-issues", "dlq-attempts": "3", "dlq-topic": "meeting-held",
            "dlq-partition": "2", "dlq-offset": "17", "original-content-type": "application/cloudevents+json", **extra}


# --- --since and hop times -------------------------------------------------------------------
@pytest.mark.parametrize("text, back", [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)])
def test_since_takes_a_duration_back_from_now(text, back):
    assert parse_since(text, NOW) == NOW - timedelta(seconds=back)


def test_since_takes_a_moment_and_reads_one_without_offset_as_utc():
    assert parse_since("2026-11-29T16:00:00+08:00", NOW) == datetime(2026, 11, 29, 8, tzinfo=UTC)
    assert parse_since("2026-11-29T08:00:00Z", NOW) == datetime(2026, 11, 29, 8, tzinfo=UTC)
    assert parse_since("2026-11-29T08:00", NOW) == datetime(2026, 11, 29, 8, tzinfo=UTC)
    assert parse_since("2026-11-28", NOW) == datetime(2026, 11, 28, tzinfo=UTC)
    with pytest.raises(BadTime):
        parse_since("yesterday", NOW)


def test_hop_times_read_at_a_glance():
    assert short_delta(timedelta(milliseconds=42)) == "+0.042s"
    assert short_delta(timedelta(seconds=12.34)) == "+12.3s"
    assert short_delta(timedelta(seconds=125)) == "+2m05s"
    assert short_delta(timedelta(hours=1, minutes=2)) == "+1h02m"


# --- records -----------------------------------------------------------------------------------
def test_a_record_reference_names_the_dlq_record_either_way():
    assert parse_record_ref("meeting-held.dlq:2:17") == "meeting-held.dlq:2:17"
    assert parse_record_ref("meeting-held:2:17") == "meeting-held.dlq:2:17"
    for bad in ("meeting-held", "meeting-held:x:1", ":1:2"):
        with pytest.raises(ReplayRefused):
            parse_record_ref(bad)


def test_an_error_class_is_named_in_full_or_by_its_last_part():
    assert error_class_matches("fourx_platform.errors.Invalid", "Invalid")
    assert error_class_matches("fourx_platform.errors.Invalid", "errors.Invalid")
    assert error_class_matches("fourx_platform.errors.Invalid", "fourx_platform.errors.Invalid")
    assert not error_class_matches("fourx_platform.errors.Invalid", "Inval")


def test_filters_keep_district_type_and_correlation():
    a = seen("issue-raised", event("issue-raised", "d1", correlation="c1"))
    b = seen("meeting-held", event("meeting-held", "d2", correlation="c2"), key="d2")
    assert Filter().keeps(a) and Filter().keeps(b)
    assert [s for s in (a, b) if Filter(districts=frozenset({"d2"})).keeps(s)] == [b]
    assert [s for s in (a, b) if Filter(types=frozenset({"issue-raised"})).keeps(s)] == [a]
    assert [s for s in (a, b) if Filter(correlation_id="c2").keeps(s)] == [b]


def test_a_dlq_record_that_is_no_json_still_has_a_district_a_type_and_its_error():
    parked = seen("meeting-held.dlq", b"\xff not json", key="d9", headers=dlq_headers())
    assert (parked.district, parked.type, parked.original_topic) == ("d9", "meeting-held", "meeting-held")
    line = json.loads(parked.as_json_line())
    assert line["value"].endswith("not json") and line["dlq"]["dlq-group"] == "fourx-issues"
    assert line["dlq"]["record"] == "meeting-held.dlq:0:0"
    assert parked.original_coordinates == "meeting-held:2:17"


def test_the_json_line_of_an_event_is_the_cloudevent_itself():
    body = event("issue-raised", data={"issue_id": "i1"})
    assert json.loads(seen("issue-raised", body).as_json_line()) == body
    parked = json.loads(seen("meeting-held.dlq", event("meeting-held"), headers=dlq_headers()).as_json_line())
    assert parked["type"] == "meeting-held" and parked["dlq"]["dlq-error-class"] == "fourx_platform.errors.Invalid"


def test_one_event_is_one_line_however_narrow_the_output(capsys):
    long = event("issue-raised", subject="i-1", data={"issue_id": "i-1", "title": "修缮路灯" * 3,
                                                       "co_units": [1, 2], "responsible": {"kind": "community", "id": "c1"}})
    console = Console(width=40, force_terminal=False)
    print_event(console, seen("issue-raised", long))
    print_event(console, seen("meeting-held.dlq", event("meeting-held"), headers=dlq_headers()))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "issue-raised" in lines[0] and "d1" in lines[0] and "i-1" in lines[0] and "responsible=community:c1" in lines[0]
    assert "fourx-issues gave up after 3" in lines[1] and "Invalid: an item needs a title" in lines[1]


def test_a_summary_is_short_and_counts_lists():
    assert summary({"meeting_id": "m1", "attendees": ["a", "b"], "summary": None}) == "meeting_id=m1 attendees[2]"
    assert len(summary({"title": "x" * 500, "note": "y" * 500}, width=50)) == 50
    assert "not a JSON object" in event_line(seen("issue-raised", b"[1]")).plain


# --- trace -------------------------------------------------------------------------------------
def test_a_chain_is_in_written_order_with_hop_times_and_parents():
    held = seen("meeting-held", event("meeting-held", id_="e1", subject="m1", source="/services/meetings"),
                at_ms=1_000)
    raised = seen("issue-raised", event("issue-raised", id_="e2", subject="i1",
                                        data={"source": {"kind": "meeting_task", "ref": "m1/t1"}}), at_ms=1_250)
    notice = seen("notice-issued", event("notice-issued", id_="e3", subject="n1", data={"issue_id": "i1"}),
                  at_ms=3_250)
    sent = seen("notification-sent", event("notification-sent", id_="e4", subject="x", data={"ref": "e3"}),
                at_ms=4_000)
    hops = chain([sent, notice, held, raised])
    assert [h.seen.type for h in hops] == ["meeting-held", "issue-raised", "notice-issued", "notification-sent"]
    assert hops[0].since_previous is None
    assert [h.since_previous for h in hops[1:]] == [timedelta(milliseconds=250), timedelta(seconds=2),
                                                    timedelta(milliseconds=750)]
    assert hops[-1].since_first == timedelta(seconds=3)
    assert [h.parent.id if h.parent else None for h in hops] == [None, "e1", "e2", "e3"]


def test_the_bulletin_that_counted_the_case_joins_its_trace():
    from fourx_ops.trace import bulletins_counting, counted_week

    held = seen("meeting-held", event("meeting-held", id_="e1", subject="m1", data={"date": "2026-11-06"}),
                at_ms=1_000)
    raised = seen("issue-raised", event("issue-raised", id_="e2", subject="i1", data={"raised_on": "2026-11-06"}),
                  at_ms=2_000)
    assert counted_week(held) == counted_week(raised) == "2026-W45"
    assert counted_week(seen("topic-proposed", event("topic-proposed"))) == "2026-W48"   # its time, local date

    def bulletin(week: str, at_ms: int, district: str = "d1") -> Seen:
        return seen("report-published", event("report-published", district, id_=f"r{at_ms}", subject=f"{district}:{week}",
                                              correlation="other", data={"week": week}, source="/services/notify"),
                    at_ms=at_ms, key=district)

    too_early, counted, later = bulletin("2026-W45", 1_500), bulletin("2026-W45", 5_000), bulletin("2026-W45", 9_000)
    others = [bulletin("2026-W46", 6_000), bulletin("2026-W45", 6_000, district="d2")]
    found = bulletins_counting([held, raised], [too_early, later, counted, *others])
    assert found == [counted]
    hops = chain([held, raised], found)
    assert [h.seen.type for h in hops] == ["meeting-held", "issue-raised", "report-published"]
    assert hops[-1].counted_in == "2026-W45" and hops[-1].parent is None
    assert hops[-1].since_previous == timedelta(seconds=3)


def test_a_dlq_copy_in_a_chain_follows_the_record_it_copies():
    held = seen("meeting-held", event("meeting-held", id_="e1", subject="m1"), at_ms=1_000)
    parked = seen("meeting-held.dlq", event("meeting-held", id_="e1", subject="m1"), at_ms=1_500,
                  headers=dlq_headers())
    hops = chain([parked, held])
    assert [h.seen.topic for h in hops] == ["meeting-held", "meeting-held.dlq"]
    assert hops[1].parent is held


# --- DLQ ---------------------------------------------------------------------------------------
def test_dlq_list_counts_per_topic_group_and_error_class_with_oldest_and_newest():
    one = seen("meeting-held.dlq", b"x", offset=0, at_ms=1_000, headers=dlq_headers())
    two = seen("meeting-held.dlq", b"y", offset=1, at_ms=5_000,
               headers=dlq_headers(**{"dlq-group": "fourx-notify", "dlq-error-class": "builtins.KeyError",
                                      "dlq-error": "'x'"}))
    summary_ = report([one, two], replayed={"meeting-held.dlq:0:0"})
    assert summary_.total == 2 and summary_.by_topic["meeting-held"].count == 2
    assert summary_.by_topic["meeting-held"].replayed == 1
    assert summary_.by_topic["meeting-held"].oldest == one.time and summary_.by_topic["meeting-held"].newest == two.time
    assert {g: t.count for g, t in summary_.by_group.items()} == {"fourx-issues": 1, "fourx-notify": 1}
    assert summary_.last_error["builtins.KeyError"] == "'x'"


def test_a_selection_picks_by_topic_record_class_group_and_district():
    parked = seen("meeting-held.dlq", b"x", offset=4, headers=dlq_headers())
    assert Selection().empty and Selection().keeps(parked)
    assert Selection(topics=frozenset({"meeting-held"})).keeps(parked)
    assert not Selection(topics=frozenset({"issue-raised"})).keeps(parked)
    assert Selection(records=frozenset({"meeting-held.dlq:0:4"})).keeps(parked)
    assert Selection(error_class="Invalid", group="fourx-issues", district="d1").keeps(parked)
    assert not Selection(error_class="KeyError").keeps(parked)
    assert Selection(records=frozenset({"meeting-held.dlq:0:4"})).dlq_topics() == ["meeting-held.dlq"]


def test_a_corrected_copy_is_held_to_the_contract_before_it_is_sent():
    from fourx_contracts.envelope import new_event

    parked = seen("report-requested.dlq", b"x", key="d1", headers=dlq_headers(**{"dlq-topic": "report-requested"}))
    good = new_event(type="report-requested", source="/ops", district="d1", data={"week": "2026-W48"})
    assert checked_fix(parked, good.to_json_bytes()) == good.to_json_bytes()
    other = new_event(type="report-requested", source="/ops", district="d2", data={"week": "2026-W48"})
    with pytest.raises(ReplayRefused, match="district"):
        checked_fix(parked, other.to_json_bytes())
    bad = new_event(type="report-requested", source="/ops", district="d1", data={"week": "48"})
    with pytest.raises(ReplayRefused, match="not a valid report-requested"):
        checked_fix(parked, bad.to_json_bytes())


def test_a_record_parked_by_two_groups_is_replayed_once_and_the_ledger_is_respected():
    from fourx_ops.dlq import LedgerEntry, _plan

    by_issues = seen("meeting-held.dlq", b"x", offset=0, headers=dlq_headers())
    by_notify = seen("meeting-held.dlq", b"x", offset=1, headers=dlq_headers(**{"dlq-group": "fourx-notify"}))
    other = seen("meeting-held.dlq", b"y", offset=2, headers=dlq_headers(**{"dlq-offset": "18"}))
    plan = _plan([by_issues, by_notify, other], {}, force=False, fixed=False)
    assert [(p.record.offset, [t.offset for t in p.twins], p.skipped) for p in plan] == [(0, [1], None), (2, [], None)]
    ledger = {"meeting-held.dlq:0:0": LedgerEntry("meeting-held.dlq:0:0", "then", "meeting-held:2:40", "admin",
                                                  False, "meeting-held:2:17")}
    again = _plan([by_notify, other], ledger, force=False, fixed=False)
    assert [p.skipped is not None for p in again] == [True, False]   # its original was replayed already
    assert [p.skipped for p in _plan([by_issues], ledger, force=True, fixed=False)] == [None]


# --- lag ---------------------------------------------------------------------------------------
def test_lag_with_no_movement_is_stuck_and_without_lag_is_ok():
    assert PartitionLag("g", "t", 0, 10, 10, False).state == OK
    assert PartitionLag("g", "t", 0, 8, 10, True).state == MOVING
    stuck = PartitionLag("g", "t", 0, 8, 10, False)
    assert stuck.state == STUCK and stuck.lag == 2 and any_stuck([stuck])
    assert PartitionLag("g", "t", 0, 8, 10, None).state == "behind"


# --- connection --------------------------------------------------------------------------------
def test_the_environment_names_the_broker_with_the_services_variables():
    conn = resolve(env={"KAFKA_BOOTSTRAP": "k:9093", "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                        "KAFKA_USERNAME": "ops", "KAFKA_PASSWORD": "pw", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"})
    options = conn.client_options()
    assert options["bootstrap_servers"] == "k:9093" and options["sasl_plain_username"] == "ops"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512" and conn.as_principal("admin") == conn


def test_the_local_stack_gives_its_address_and_each_principals_password(tmp_path: Path):
    state = tmp_path / ".fourx"
    (state / "kafka").mkdir(parents=True)
    (state / "stack.json").write_text(json.dumps({"kafka_bootstrap": "127.0.0.1:19092", "mongo_uri": "",
                                                  "components": []}))
    (state / "kafka" / "credentials.json").write_text(json.dumps({"mechanism": "SCRAM-SHA-256",
                                                                  "passwords": {"ops": "o", "admin": "a"}}))
    conn = resolve(env={"FOURX_STATE_DIR": str(state)})
    assert (conn.bootstrap, conn.username, conn.password, conn.security_protocol) == \
        ("127.0.0.1:19092", "ops", "o", "SASL_PLAINTEXT")
    assert conn.as_principal("admin").password == "a"
    assert resolve(bootstrap="127.0.0.1:19092", env={"FOURX_STATE_DIR": str(state)}).password == "o"
    elsewhere = resolve(bootstrap="other:9092", env={"FOURX_STATE_DIR": str(state)})
    assert elsewhere.password is None and elsewhere.security_protocol == "PLAINTEXT"
    assert resolve(env={"FOURX_STATE_DIR": str(tmp_path / "none")}) == Connection()


# --- the package stands alone ------------------------------------------------------------------
def test_the_ops_package_needs_the_contracts_and_a_kafka_client_only():
    pyproject = tomllib.loads((Path(fourx_ops.__file__).parents[2] / "pyproject.toml").read_text())
    names = {r.split(">")[0].split("=")[0].split("<")[0].strip() for r in pyproject["project"]["dependencies"]}
    assert names == {"fourx-contracts", "aiokafka", "rich", "typer"}
    probe = ("import sys, fourx_ops.cli\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'fourx_platform', 'fourx_meetings', 'fourx_issues', 'fourx_notify', 'fourx_local', 'faststream', "
             "'pymongo'}))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"
