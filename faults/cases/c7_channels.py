"""c7: the outside channels fail and come back; notify is SIGKILLed and restarted.

Notify runs as its own process against one Kafka broker and the store. District A's
directory names four bulletin recipients with email + webhook + inbox: three whose webhook
answers 500 twice per delivery and then 200, one whose mailbox is refused (550) and whose
webhook always answers 500. The SMTP server is down when the bulletin is requested and comes
up `SMTP_DOWN_S` later. District B (webhook that answers 200 + inbox, no email) is the
bystander: its bulletin must not wait for A's outage.

Holds when: every good (recipient, channel) got the bulletin exactly once (SMTP by recipient
and Message-ID, webhook by Idempotency-Key, inbox in the store); the refused ones were tried
exactly `max_attempts` times and then marked failed; one `notification-sent` per delivery;
nothing more arrives after the bound, after a SIGKILL + restart of notify, nor after the
bulletin is requested again (same stored events → same content hash → same delivery keys).
`doubled` counts every receipt or attempt beyond those; `lost` every missing one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
import uuid
from pathlib import Path

from fourx_contracts.envelope import new_event
from fourx_local.process import free_port
from pymongo import AsyncMongoClient

from faults.harness import Stack
from faults.publish import send_events
from faults.receivers import SmtpSink, WebhookSink
from faults.reconcile import NOTIFY_DB, read_all
from faults.result import CaseResult

log = logging.getLogger("faults")

CASE = "c7 channels down / 500 / notify killed"
WEEK = "2026-W48"
MAX_ATTEMPTS = 5          # notify's default bound (NotifySettings.max_attempts)
RETRY_BASE_S = 1.0        # 1, 2, 4, 4 s between tries: the bound is reached ~11 s after the first
RETRY_MAX_S = 4.0
SMTP_DOWN_S = 5.0
QUIET_S = 2 * RETRY_MAX_S + 2  # longer than any backoff: whatever was still due would have come
BYSTANDER_LIMIT_S = 30.0


def _directory(district: str, hooks: str, people: list[tuple[str, str | None, str]]) -> object:
    """people: (person_id, email or None, webhook path kind)."""
    # As the meetings service publishes it: consumers take a directory only from its producer.
    return new_event(type="directory-updated", source="/services/meetings", district=district, subject=district, data={
        "version": 1,
        "streets": [{"street_id": f"{district}-s1", "name": "一街道"}],
        "communities": [], "departments": [],
        "people": [{"person_id": pid, "name": pid, "roles": ["street_secretary"],
                    "unit": {"kind": "street", "id": f"{district}-s1"},
                    "channels": ([{"kind": "email", "address": mail}] if mail else [])
                    + [{"kind": "webhook", "url": f"{hooks}/{kind}/{pid}"}, {"kind": "inbox"}]}
                   for pid, mail, kind in people],
    })


async def run(workdir: Path) -> CaseResult:
    started = time.monotonic()
    smtp, hooks = SmtpSink(free_port()), WebhookSink(flaky_failures=2)
    try:
        hooks.start()
        env = {"NOTIFY_SMTP_PORT": str(smtp.port), "NOTIFY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
               "NOTIFY_RETRY_SECONDS": str(RETRY_BASE_S), "NOTIFY_RETRY_MAX_SECONDS": str(RETRY_MAX_S),
               "NOTIFY_SEND_TIMEOUT_SECONDS": "5", "NOTIFY_DELIVERY_EVERY_SECONDS": "0.5",
               # Notify runs alone here: no issues service answers with lights, so none is awaited.
               "NOTIFY_SNAPSHOT_WAIT_SECONDS": "0",
               # The receiver is on loopback: the one internal target notify may post to here.
               "FOURX_WEBHOOK_ALLOWLIST": hooks.base_url.removeprefix("http://")}
        async with Stack(workdir, env=env) as stack:
            await stack.start(services=("notify",))
            notify = stack.live("notify")[0]

            a, b = "c7-a", "c7-b"
            good = [f"{a}-p{i}" for i in (1, 2, 3)]
            bad = f"{a}-p4"
            bystanders = [f"{b}-p1", f"{b}-p2"]
            await send_events(stack.bootstrap, [
                _directory(a, hooks.base_url, [(p, f"{p}@example.org", "flaky") for p in good]
                           + [(bad, f"bounce-{bad}@example.org", "broken")]),
                _directory(b, hooks.base_url, [(p, None, "ok") for p in bystanders]),
            ])
            requested = time.monotonic()
            await send_events(stack.bootstrap, [
                new_event(type="report-requested", source="/faults", district=d, data={"week": WEEK},
                          correlationid=str(uuid.uuid4())) for d in (a, b)])

            mongo = AsyncMongoClient(stack.mongo_uri)
            deliveries = mongo[NOTIFY_DB]["deliveries"]
            try:
                # B is not involved: its bulletin must arrive while A's SMTP server is still down.
                b_done_at = await _until_settled(deliveries, b, 2 * len(bystanders), BYSTANDER_LIMIT_S,
                                                 settled=("delivered",))
                b_delay = (b_done_at or time.monotonic()) - requested
                await asyncio.sleep(max(0.0, SMTP_DOWN_S - (time.monotonic() - requested)))
                smtp.start()
                await _until_settled(deliveries, a, 3 * 4, 90.0)
                await asyncio.sleep(QUIET_S)
                after_bound = _counts(smtp, hooks)

                # SIGKILL notify after its deliveries, start it again: nothing may be sent twice.
                await stack.kill(notify, signal.SIGKILL)
                await stack.restart(notify)
                await asyncio.sleep(QUIET_S)
                after_restart = _counts(smtp, hooks)

                # Asked again: same stored events, same bulletin, same delivery keys.
                again = new_event(type="report-requested", source="/faults", district=a, data={"week": WEEK},
                                  correlationid=str(uuid.uuid4()))
                await send_events(stack.bootstrap, [again])
                await _until_published(stack.bootstrap, again.correlationid, 60.0)
                await asyncio.sleep(QUIET_S)
                after_again = _counts(smtp, hooks)
                docs = await deliveries.find({}, {"_outbox": 0, "body": 0, "html": 0}).to_list(None)
            finally:
                await mongo.close()
            sent = await read_all(stack.bootstrap, ["notification-sent"])

        lost, doubled, notes = _reconcile(after_bound, docs, sent, good, bad, bystanders)
        doubled += _diff(after_bound, after_restart) + _diff(after_restart, after_again)
        stalled = 0 if b_done_at is not None else 1
        workload = (f"2 bulletins × 6 recipients × 3 channels, SMTP down {SMTP_DOWN_S:.0f} s, webhook 500×2, "
                    f"1 bounced+broken recipient, notify SIGKILL, re-request; {time.monotonic() - started:.0f} s")
        for note in notes:
            log.warning("c7: %s", note)
        return CaseResult(CASE, workload, lost, doubled, stalled, round(b_delay, 1))
    finally:
        smtp.stop()
        hooks.stop()


def _counts(smtp: SmtpSink, hooks: WebhookSink) -> dict[str, dict]:
    mail, refused = smtp.snapshot()
    posts, accepted = hooks.snapshot()
    return {"mail": mail, "refused": refused, "posts": posts, "accepted": accepted}


def _diff(before: dict[str, dict], after: dict[str, dict]) -> int:
    """Receipts and attempts that arrived between two snapshots (each one is a send too many)."""
    return sum(max(0, count - before[kind].get(key, 0)) for kind in after for key, count in after[kind].items())


def _reconcile(counts: dict[str, dict], docs: list[dict], sent: list, good: list[str], bad: str,
               bystanders: list[str]) -> tuple[int, int, list[str]]:
    """(lost, doubled, notes) of the receivers' counts and notify's deliveries and
    `notification-sent` records against one bulletin per recipient and channel."""
    lost = doubled = 0
    notes: list[str] = []
    bulletin_docs = [d for d in docs if d.get("kind") == "bulletin"]
    by_doc = {(d["recipient_id"], d["channel"], d["district"]): d for d in bulletin_docs}
    for pid in good:
        address = f"{pid}@example.org"
        # Any second receipt, same Message-ID or another, is a second email.
        receipts = sum(n for (rcpt, _mid), n in counts["mail"].items() if rcpt == address)
        if receipts == 0:
            lost += 1
            notes.append(f"no mail for {address}")
        doubled += max(0, receipts - 1)
    for pid in good + bystanders:
        doc = by_doc.get((pid, "webhook", pid.rsplit("-", 1)[0]))
        kind = "flaky" if pid in good else "ok"
        if doc is None or counts["accepted"].get((kind, doc["_id"]), 0) == 0:
            lost += 1
            notes.append(f"no webhook for {pid}")
        else:
            doubled += counts["accepted"][(kind, doc["_id"])] - 1
        inbox = by_doc.get((pid, "inbox", pid.rsplit("-", 1)[0]))
        if inbox is None or inbox.get("status") != "delivered":
            lost += 1
            notes.append(f"no inbox item for {pid}")
    # The refused recipient: exactly MAX_ATTEMPTS tries per channel, then failed for good.
    bounce = f"bounce-{bad}@example.org"
    doubled += max(0, counts["refused"].get(bounce, 0) - MAX_ATTEMPTS)
    broken = sum(n for (kind, _key), n in counts["posts"].items() if kind == "broken")
    doubled += max(0, broken - MAX_ATTEMPTS)
    for channel in ("email", "webhook"):
        doc = by_doc.get((bad, channel, "c7-a"))
        if doc is None or doc.get("status") != "failed" or doc.get("attempts") != MAX_ATTEMPTS:
            notes.append(f"{bad} {channel}: {doc and (doc.get('status'), doc.get('attempts'))}, refused "
                         f"{counts['refused'].get(bounce, 0)}, broken posts {broken}")
            lost += 1
    # (The mailbox sees fewer refusals than tries: the first tries met a closed SMTP port.)
    if broken < MAX_ATTEMPTS:
        notes.append(f"the broken webhook was tried {broken} times, fewer than the bound {MAX_ATTEMPTS}")
    # One outcome event per bulletin delivery (a republished one keeps its id).
    ids_by_delivery: dict[str, set[str]] = {}
    for record in sent:
        event = json.loads(record.value)
        ids_by_delivery.setdefault(event["data"]["notification_id"], set()).add(event["id"])
    for doc in bulletin_docs:
        ids = ids_by_delivery.get(doc["_id"], set())
        if not ids:
            lost += 1
            notes.append(f"no notification-sent for {doc['_id']} ({doc['recipient_id']} {doc['channel']})")
        doubled += max(0, len(ids) - 1)
    expected = 3 * (len(good) + 1) + 2 * len(bystanders)
    if len(bulletin_docs) != expected:  # a second version of the bulletin would add more
        notes.append(f"{len(bulletin_docs)} bulletin deliveries in the store, expected {expected}")
        doubled += max(0, len(bulletin_docs) - expected)
    return lost, doubled, notes


async def _until_settled(deliveries, district: str, expected: int, timeout: float,
                         settled: tuple[str, ...] = ("delivered", "failed")) -> float | None:
    """When `expected` bulletin deliveries of the district exist and all are settled; None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        docs = await deliveries.find({"district": district, "kind": "bulletin"}, {"status": 1}).to_list(None)
        if len(docs) >= expected and all(d["status"] in settled for d in docs):
            return time.monotonic()
        await asyncio.sleep(0.2)
    return None


async def _until_published(bootstrap: str, correlationid: str | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in await read_all(bootstrap, ["report-published"]):
            if json.loads(record.value).get("correlationid") == correlationid:
                return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"no report-published for request {correlationid} within {timeout:.0f}s")
