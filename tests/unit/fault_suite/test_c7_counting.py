"""The channel case's counting (faults/cases/c7_channels.py) on made-up receipts: a clean
run counts nothing, and each way of sending twice, too often or not at all is counted."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

from faults.cases.c7_channels import MAX_ATTEMPTS, _diff, _reconcile

GOOD, BAD, BYSTANDER = "c7-a-p1", "c7-a-p4", "c7-b-p1"


def _doc(pid: str, channel: str, status: str = "delivered", attempts: int = 1) -> dict:
    return {"_id": f"{pid}/{channel}", "recipient_id": pid, "channel": channel, "district": pid.rsplit("-", 1)[0],
            "kind": "bulletin", "status": status, "attempts": attempts}


def _clean() -> tuple[dict, list[dict], list]:
    docs = [_doc(GOOD, "email"), _doc(GOOD, "webhook"), _doc(GOOD, "inbox"),
            _doc(BAD, "email", "failed", MAX_ATTEMPTS), _doc(BAD, "webhook", "failed", MAX_ATTEMPTS),
            _doc(BAD, "inbox"), _doc(BYSTANDER, "webhook"), _doc(BYSTANDER, "inbox")]
    sent = [SimpleNamespace(value=json.dumps({"id": f"ev-{d['_id']}", "data": {"notification_id": d["_id"]}}))
            for d in docs]
    counts = {
        "mail": {(f"{GOOD}@example.org", f"<{GOOD}/email@fourx>"): 1},
        "refused": {f"bounce-{BAD}@example.org": 3},          # the first two tries met a closed port
        "posts": {("flaky", f"{GOOD}/webhook"): 3, ("broken", f"{BAD}/webhook"): MAX_ATTEMPTS,
                  ("ok", f"{BYSTANDER}/webhook"): 1},
        "accepted": {("flaky", f"{GOOD}/webhook"): 1, ("ok", f"{BYSTANDER}/webhook"): 1},
    }
    return counts, docs, sent


def _count(counts: dict, docs: list[dict], sent: list) -> tuple[int, int]:
    lost, doubled, _notes = _reconcile(counts, docs, sent, [GOOD], BAD, [BYSTANDER])
    return lost, doubled


def test_a_clean_run_counts_nothing() -> None:
    assert _count(*_clean()) == (0, 0)


def test_a_second_email_is_doubled_whatever_its_message_id() -> None:
    for key in ((f"{GOOD}@example.org", f"<{GOOD}/email@fourx>"), (f"{GOOD}@example.org", "<other@fourx>")):
        counts, docs, sent = _clean()
        counts["mail"][key] = counts["mail"].get(key, 0) + 1
        assert _count(counts, docs, sent) == (0, 1)


def test_a_webhook_never_accepted_is_lost_and_one_tried_past_the_bound_is_doubled() -> None:
    counts, docs, sent = _clean()
    del counts["accepted"][("flaky", f"{GOOD}/webhook")]
    assert _count(counts, docs, sent) == (1, 0)
    counts, docs, sent = _clean()
    counts["posts"][("broken", f"{BAD}/webhook")] += 1
    assert _count(counts, docs, sent) == (0, 1)


def test_a_second_version_of_the_bulletin_and_a_second_outcome_id_are_doubled() -> None:
    counts, docs, sent = _clean()
    docs.append({**_doc(GOOD, "email"), "_id": f"{GOOD}/email/v2"})
    sent.append(SimpleNamespace(value=json.dumps({"id": "ev-v2", "data": {"notification_id": f"{GOOD}/email/v2"}})))
    assert _count(counts, docs, sent)[1] >= 1
    counts, docs, sent = _clean()
    sent.append(SimpleNamespace(value=json.dumps({"id": "ev-again", "data": {"notification_id": f"{GOOD}/inbox"}})))
    assert _count(counts, docs, sent) == (0, 1)


def test_anything_arriving_after_a_snapshot_is_a_send_too_many() -> None:
    before, _docs, _sent = _clean()
    after = copy.deepcopy(before)
    assert _diff(before, after) == 0
    after["posts"][("broken", f"{BAD}/webhook")] += 1
    after["mail"][(f"{GOOD}@example.org", "<new@fourx>")] = 1
    assert _diff(before, after) == 2
