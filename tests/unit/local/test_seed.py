"""The load generator: deterministic, valid against the contract, shaped like real districts."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from fourx_contracts.envelope import CloudEvent, event_id
from fourx_contracts.producers import expected_source
from fourx_contracts.vocabulary import ROLES
from fourx_platform.kafka import decode_record
from fourx_local.cli import app
from fourx_local.seed import DEFAULT_START, generate
from fourx_local.seed.work import first_friday, iso_week

DISTRICTS, WEEKS = 6, 6


@pytest.fixture(scope="module")
def sample():
    return list(generate(DISTRICTS, WEEKS, seed=11))


def digest(events) -> str:
    h = hashlib.sha256()
    for e in events:
        h.update(e.value)
    return h.hexdigest()


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_events(sample):
    assert digest(generate(DISTRICTS, WEEKS, seed=11)) == digest(sample)
    other = list(generate(DISTRICTS, WEEKS, seed=12))
    assert not {e.id for e in other} & {e.id for e in sample}


def test_every_event_is_a_valid_event_of_its_topic_from_its_producer(sample):
    for e in sample:
        # The consumers' own decoding: CloudEvent, key = district, payload, source and time.
        envelope, _ = decode_record(e.type, e.value, e.key)
        assert envelope.source == expected_source(e.type)
        assert envelope.district == e.district and envelope.id == e.id
        # Exactly what the services' CloudEvent would put on the wire.
        assert CloudEvent.from_json_bytes(e.value).to_json_bytes() == e.value
    assert len({e.id for e in sample}) == len(sample)


def test_ids_follow_the_services_rule(sample):
    raised = next(e for e in sample if e.type == "issue-raised")
    issue_id = json.loads(raised.value)["data"]["issue_id"]
    assert raised.id == event_id("/services/issues", "issue-raised", raised.district, issue_id)


def test_a_district_has_the_shape_of_a_real_one(sample):
    directories = [json.loads(e.value)["data"] for e in sample if e.type == "directory-updated"]
    assert len(directories) == DISTRICTS
    for d in directories:
        assert 3 <= len(d["streets"]) <= 5 and 34 <= len(d["communities"]) <= 46 and 4 <= len(d["departments"]) <= 6
        secretaries = [p for p in d["people"] if p["roles"] == ["community_secretary"]]
        assert len(secretaries) == len(d["communities"])
        assert 20 <= len(d["people"]) - len(secretaries) <= 30  # the leaders: ≈ 25
        assert all(set(p["roles"]) <= set(ROLES) and p["channels"] for p in d["people"])


def test_each_district_week_carries_the_work_in_realistic_proportions(sample):
    start = DEFAULT_START
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for e in sample:
        body = json.loads(e.value)
        day = date.fromisoformat(body["time"][:10])
        if day >= start:
            counts[(e.district, iso_week(day))][e.type] += 1
    weeks = {iso_week(start + timedelta(days=7 * w)) for w in range(WEEKS)}
    assert {w for _, w in counts} == weeks
    total = Counter()
    for (district, week), c in counts.items():
        total.update(c)
        assert 40 <= c["progress-recorded"] <= 300, (district, week, c)
        assert 5 <= c["issue-raised"] <= 60 and 2 <= c["issue-resolved"] <= 60, (district, week, c)
        assert 80 <= sum(c.values()) <= 450
    per_week = {t: n / len(counts) for t, n in total.items()}
    assert 0.8 <= per_week["activity-held"] <= 2.5 and 1 <= per_week["inspection-held"] <= 3.5
    assert 0.5 <= per_week["issue-overdue"] <= 8 and per_week["notice-issued"] == per_week["issue-overdue"]
    assert 0 < per_week["interview-scheduled"] < per_week["notice-issued"]
    fridays = {first_friday(d.year, d.month) for d in (start + timedelta(days=i) for i in range(7 * WEEKS))}
    held = [json.loads(e.value)["data"] for e in sample if e.type == "meeting-held"]
    assert len(held) == DISTRICTS * len({f for f in fridays if f >= start})


def test_every_community_reports_and_gets_a_comment_and_every_task_becomes_an_item(sample):
    raised = {json.loads(e.value)["data"]["source"]["ref"] for e in sample if e.type == "issue-raised"}
    directory = {e.district: json.loads(e.value)["data"] for e in sample if e.type == "directory-updated"}
    for e in (e for e in sample if e.type == "meeting-held"):
        data = json.loads(e.value)["data"]
        communities = {c["community_id"] for c in directory[e.district]["communities"]}
        assert {r["community_id"] for r in data["community_reports"]} == communities
        assert {c["community_id"] for c in data["comments"]} == communities
        assert all(f"{data['meeting_id']}/{t['task_id']}" in raised for t in data["tasks"])


def test_an_item_is_raised_before_anything_happens_to_it_and_nothing_after_it_is_resolved(sample):
    state: dict[str, str] = {}
    for e in sample:
        if e.type in ("issue-raised", "progress-recorded", "issue-resolved", "issue-overdue", "notice-issued",
                      "interview-scheduled"):
            issue = json.loads(e.value)["data"]["issue_id"]
            if e.type == "issue-raised":
                assert issue not in state
                state[issue] = "open"
            else:
                assert state.get(issue) == "open", (e.type, issue)
                if e.type == "issue-resolved":
                    state[issue] = "resolved"


def test_a_districts_events_come_in_the_order_they_happened(sample):
    last: dict[str, str] = {}
    for e in sample:
        time = json.loads(e.value)["time"]
        assert time >= last.get(e.district, ""), e.type
        last[e.district] = time


def test_the_seed_command_writes_json_lines(tmp_path):
    out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(app, ["seed", "--districts", "2", "--weeks", "1", "--seed", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines()
    assert f"events={len(lines)}" in result.output
    assert b"\n".join(lines) + b"\n" == b"".join(e.value + b"\n" for e in generate(2, 1, 5))


def test_the_seed_command_wants_one_destination_and_a_monday(tmp_path):
    assert CliRunner().invoke(app, ["seed", "--districts", "1"]).exit_code == 2
    result = CliRunner().invoke(app, ["seed", "--start", "2025-06-03", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
