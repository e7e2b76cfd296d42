"""The fault suite's counting rules, without I/O: what is lost, doubled or only republished."""

from __future__ import annotations

import json

from faults.reconcile import KafkaRecord, on_kafka
from faults.result import CaseResult, summary, table
from faults.workload import Ledger, fact_key


def record(topic: str, event_id: str, district: str, data: dict, offset: int = 0) -> KafkaRecord:
    body = {"id": event_id, "type": topic, "district": district, "data": data}
    return KafkaRecord(topic, 0, offset, district.encode(), json.dumps(body).encode(), {}, body)


def test_the_same_id_twice_is_republished_not_doubled() -> None:
    ledger = Ledger()
    ledger.expect("topic-proposed", "d1", "t1")
    records = [record("topic-proposed", "e1", "d1", {"topic_id": "t1"}, 0),
               record("topic-proposed", "e1", "d1", {"topic_id": "t1"}, 1)]
    result, _ = on_kafka(records, ledger, {"d1"})
    assert (len(result.lost), len(result.doubled), result.republished) == (0, 0, 1)


def test_one_fact_under_two_ids_is_doubled_and_a_missing_one_lost() -> None:
    ledger = Ledger()
    ledger.expect("meeting-held", "d1", "m1")
    ledger.expect("meeting-held", "d1", "m2")
    records = [record("meeting-held", "e1", "d1", {"meeting_id": "m1"}),
               record("meeting-held", "e2", "d1", {"meeting_id": "m1"})]
    result, _ = on_kafka(records, ledger, {"d1"})
    assert result.doubled == {("meeting-held", "d1", "m1")}
    assert result.lost == {("meeting-held", "d1", "m2")}


def test_other_districts_and_garbage_are_not_counted() -> None:
    ledger = Ledger()
    garbage = KafkaRecord("meeting-held", 0, 5, b"d1", b"\xff", {}, None)
    records = [garbage, record("meeting-held", "e1", "d2", {"meeting_id": "m1"}),
               record("meeting-held", "e2", "d2", {"meeting_id": "m1"})]
    result, _ = on_kafka(records, ledger, {"d1"})
    assert not result.lost and not result.doubled


def test_fact_keys_name_what_an_event_is_about() -> None:
    assert fact_key("issue-raised", {"issue_id": "i", "source": {"kind": "meeting_task", "ref": "m/t"}}) \
        == "meeting_task:m/t"
    assert fact_key("progress-recorded", {"issue_id": "i", "week": "2026-W48", "percent": 30, "seq": 2}) == "i/#2"
    assert fact_key("progress-recorded", {"issue_id": "i", "week": "2026-W48", "percent": 30}) == "i/2026-W48/30"
    assert fact_key("meeting-held", {}, "e9") == "id:e9"


def test_a_crashed_case_is_a_row_and_the_summary_stays_last() -> None:
    rows = [CaseResult("c1", "3 commands", 0, 0, 0, 1.0),
            CaseResult("c9", "-", 0, 0, 0, 0.0, error="RuntimeError: boom")]
    assert "CRASHED: RuntimeError: boom" in table(rows).splitlines()[2]
    assert summary(rows) == "faults: 2 cases, lost 0, doubled 0, stalled 0"
