"""The DLQs: what was parked (`<topic>.dlq`, with the contract's `dlq-…` headers), and sending
it back onto its original topic.

Replay sends the original key and value unchanged (or, for one record, a corrected copy the
operator supplies and this tool validates against the contract first): consumers check that
an event's `source` is its topic's producer and dedupe by event id, so an unchanged replay is
accepted and acts at most once. What was replayed is recorded in a compacted topic,
`fourx-ops.replayed`, keyed by the DLQ record (`<topic>.dlq:partition:offset`), so a second
replay of the same record — from any machine — is skipped unless the operator forces it.
A record that fails again is parked again: a new DLQ record, replayable in its turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, TopicAuthorizationFailedError, for_code

from fourx_contracts.envelope import CONTENT_TYPE, CloudEvent, InvalidEvent
from fourx_contracts.events import TOPICS, validate_payload
from fourx_contracts.producers import check_provenance
from fourx_ops.connection import Connection
from fourx_ops.reader import BEGINNING, read_all
from fourx_ops.records import Seen, dlq_of

LEDGER_TOPIC = "fourx-ops.replayed"
REPLAYED_FROM = "fourx-replayed-from"   # header on a replayed record: the DLQ record it came from
# A DLQ record may be near the broker's 1 MiB limit (the services' DLQ topics take 2 MiB).
MAX_REQUEST_SIZE = 2 * 1024 * 1024 + 64 * 1024


class ReplayRefused(ValueError):
    """A replay the tool will not attempt (a bad selection or a bad corrected copy)."""


def parse_record_ref(text: str) -> str:
    """`meeting-held.dlq:2:17` (or `meeting-held:2:17`, the DLQ meant) → the DLQ record's
    coordinates as `Seen.coordinates` spells them."""
    parts = text.strip().rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or not parts[0]:
        raise ReplayRefused(f"{text!r}: name a DLQ record as TOPIC:PARTITION:OFFSET, e.g. meeting-held.dlq:2:17")
    return f"{dlq_of(parts[0])}:{int(parts[1])}:{int(parts[2])}"


def error_class_matches(error_class: str, wanted: str) -> bool:
    """`Invalid` or `errors.Invalid` name `fourx_platform.errors.Invalid` as well as the full name."""
    return error_class == wanted or error_class.endswith(f".{wanted}")


@dataclass(frozen=True)
class Selection:
    """Which DLQ records a `dlq show` / `dlq replay` means; empty fields select everything."""

    topics: frozenset[str] = frozenset()       # original topics
    records: frozenset[str] = frozenset()      # DLQ coordinates (parse_record_ref)
    error_class: str | None = None
    group: str | None = None
    district: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.topics or self.records or self.error_class or self.group or self.district)

    def keeps(self, seen: Seen) -> bool:
        return ((not self.topics or seen.original_topic in self.topics)
                and (not self.records or seen.coordinates in self.records)
                and (self.error_class is None or error_class_matches(seen.error_class, self.error_class))
                and (self.group is None or seen.group == self.group)
                and (self.district is None or seen.district == self.district))

    def dlq_topics(self) -> list[str]:
        named = set(self.topics) | {ref.rsplit(":", 2)[0][: -len(".dlq")] for ref in self.records}
        return [dlq_of(t) for t in (sorted(named) if named else TOPICS)]


async def parked(connection: Connection, selection: Selection = Selection()) -> list[Seen]:
    """The DLQ records `selection` keeps, oldest DLQ offset first per partition."""
    records = await read_all(connection, selection.dlq_topics(), BEGINNING)
    return sorted((r for r in records if selection.keeps(r)), key=lambda r: (r.topic, r.partition, r.offset))


# --- list ----------------------------------------------------------------------------------
@dataclass
class Tally:
    count: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    replayed: int = 0

    def add(self, seen: Seen, replayed: bool) -> None:
        self.count += 1
        self.replayed += replayed
        self.oldest = seen.time if self.oldest is None else min(self.oldest, seen.time)
        self.newest = seen.time if self.newest is None else max(self.newest, seen.time)


@dataclass
class DlqReport:
    by_topic: dict[str, Tally] = field(default_factory=dict)
    by_group: dict[str, Tally] = field(default_factory=dict)
    by_error_class: dict[str, Tally] = field(default_factory=dict)
    # The latest error message of each class, so `dlq list` shows what went wrong.
    last_error: dict[str, str] = field(default_factory=dict)
    total: int = 0
    ledger_readable: bool = True


def report(records: Iterable[Seen], replayed: set[str] | None = None) -> DlqReport:
    out = DlqReport(ledger_readable=replayed is not None)
    done = replayed or set()
    tables: list[tuple[dict[str, Tally], Callable[[Seen], str]]] = [
        (out.by_topic, lambda r: r.original_topic), (out.by_group, lambda r: r.group or "?"),
        (out.by_error_class, lambda r: r.error_class or "?")]
    for seen in records:
        out.total += 1
        for table, key in tables:
            table.setdefault(key(seen), Tally()).add(seen, seen.coordinates in done)
        out.last_error[seen.error_class or "?"] = seen.error
    return out


# --- the ledger ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerEntry:
    record: str           # the DLQ record's coordinates (the ledger key)
    replayed_at: str
    to: str               # where the replayed copy was written, topic:partition:offset
    by: str | None
    fixed: bool
    original: str | None = None   # the original record's coordinates (dlq-topic/partition/offset)


async def read_ledger(connection: Connection) -> dict[str, LedgerEntry] | None:
    """What was replayed, by DLQ record; None when the ledger cannot be read."""
    try:
        records = await read_all(connection, [LEDGER_TOPIC], BEGINNING, strict=False)
    except Exception:  # a principal that may not read it: `dlq list` still works without it
        return None
    ledger: dict[str, LedgerEntry] = {}
    for seen in records:
        if seen.key is None:
            continue
        if seen.event is None:   # a tombstone: an operator cleared the entry
            ledger.pop(seen.key, None)
            continue
        e = seen.event
        ledger[seen.key] = LedgerEntry(seen.key, str(e.get("replayed_at")), str(e.get("to")), e.get("by"),
                                       bool(e.get("fixed")), e.get("original"))
    return ledger


async def ensure_ledger(connection: Connection) -> None:
    """Create the ledger (compacted: the latest entry per DLQ record is all that matters)."""
    admin = AIOKafkaAdminClient(**connection.client_options(), client_id="fourx-ops")
    await admin.start()
    try:
        if LEDGER_TOPIC in await admin.list_topics():
            return
        response = await admin.create_topics([NewTopic(LEDGER_TOPIC, 1, _replication(await admin.describe_cluster()),
                                                       topic_configs={"cleanup.policy": "compact"})])
        for name, code, message, *_ in response.topic_errors:
            if code not in (0, TopicAlreadyExistsError.errno):
                raise ReplayRefused(f"cannot create the replay ledger {name} as {connection.username or 'anonymous'}: "
                                    f"{for_code(code).__name__} {message or ''} (replay as the admin principal)")
    finally:
        await admin.close()


def _replication(cluster: dict) -> int:
    return min(3, max(1, len(cluster.get("brokers", ()))))


# --- replay --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replay:
    record: Seen
    skipped: str | None = None          # why not sent (already replayed)
    written: str | None = None          # topic:partition:offset of the copy, once sent
    fixed: bool = False
    # DLQ records of the same original record (parked by other consumer groups), not sent
    # again: one copy on the original topic reaches every group.
    twins: tuple[Seen, ...] = ()

    @property
    def to_topic(self) -> str:
        return self.record.original_topic


def _original(record: Seen) -> str | None:
    """The original record's coordinates, when the DLQ headers say them."""
    return record.original_coordinates if "?" not in record.original_coordinates else None


def _plan(records: Sequence[Seen], ledger: dict[str, LedgerEntry], force: bool, fixed: bool) -> list[Replay]:
    """What to send: each original record once; nothing the ledger has (unless forced)."""
    replayed_originals = {e.original: e for e in ledger.values() if e.original}
    plan: list[Replay] = []
    first_of: dict[str, int] = {}
    for r in records:
        original = _original(r)
        done = ledger.get(r.coordinates) or (replayed_originals.get(original) if original else None)
        if done is not None and not force:
            plan.append(Replay(r, skipped=f"already replayed at {done.replayed_at} (to {done.to}); "
                                          "--force sends it again", fixed=fixed))
            continue
        if original is not None and original in first_of:
            i = first_of[original]
            plan[i] = replace(plan[i], twins=(*plan[i].twins, r))
            continue
        if original is not None:
            first_of[original] = len(plan)
        plan.append(Replay(r, fixed=fixed))
    return plan


def checked_fix(record: Seen, fix: bytes) -> bytes:
    """A corrected copy of `record`'s event, held to the contract before it is sent: a
    CloudEvent of the same type and district, with a valid payload and a plausible source."""
    try:
        event = CloudEvent.from_json_bytes(fix)
        validate_payload(event, record.original_topic)
        check_provenance(event, record.original_topic)
    except InvalidEvent as exc:
        raise ReplayRefused(f"the corrected copy is not a valid {record.original_topic} event: {exc}") from None
    if record.key is not None and event.district != record.key:
        raise ReplayRefused(f"the corrected copy is for district {event.district!r}; the record's key is {record.key!r}")
    return fix


async def replay(connection: Connection, records: Sequence[Seen], *, dry_run: bool = False, force: bool = False,
                 fix: bytes | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Replay]:
    """Send `records` back onto their original topics (see the module docstring); returns what
    was (or, with `dry_run`, would be) sent and what was skipped as already replayed."""
    if fix is not None:
        if len(records) != 1:
            raise ReplayRefused(f"--fix replaces one record; the selection has {len(records)}")
        fix = checked_fix(records[0], fix)
    ledger = await read_ledger(connection)
    if ledger is None and not dry_run:
        raise ReplayRefused(f"cannot read the replay ledger {LEDGER_TOPIC} as {connection.username or 'anonymous'} "
                            "(replay as the admin principal)")
    plan = _plan(records, ledger or {}, force, fixed=fix is not None)
    if dry_run or all(p.skipped for p in plan):
        return plan
    await ensure_ledger(connection)
    producer = AIOKafkaProducer(**connection.client_options(), acks="all", enable_idempotence=True,
                                max_request_size=MAX_REQUEST_SIZE, client_id="fourx-ops-replay")
    await producer.start()
    done: list[Replay] = []
    try:
        for step in plan:
            if step.skipped:
                done.append(step)
                continue
            r = step.record
            headers = [("content-type", r.headers.get("original-content-type", CONTENT_TYPE).encode()),
                       (REPLAYED_FROM, r.coordinates.encode())]
            value = fix if fix is not None else r.value
            key = r.key.encode() if r.key is not None else None
            try:
                meta = await producer.send_and_wait(r.original_topic, value, key=key, headers=headers)
            except TopicAuthorizationFailedError:
                raise ReplayRefused(f"{connection.username or 'this client'} may not write {r.original_topic}: "
                                    "replay as the admin principal") from None
            written = f"{meta.topic}:{meta.partition}:{meta.offset}"
            # After the copy is acknowledged: a crash in between replays it once more next
            # time, which the consumers' dedupe by id absorbs; the reverse would lose it.
            entry = {"replayed_at": now().isoformat(), "to": written, "by": connection.username, "fixed": step.fixed,
                     "event_id": r.id, "original": _original(r)}
            await producer.send_and_wait(LEDGER_TOPIC, json.dumps(entry).encode(), key=r.coordinates.encode())
            # The same original parked by other groups: that one copy serves them all.
            for twin in step.twins:
                await producer.send_and_wait(LEDGER_TOPIC, json.dumps({**entry, "event_id": twin.id}).encode(),
                                             key=twin.coordinates.encode())
            done.append(Replay(r, written=written, fixed=step.fixed, twins=step.twins))
    finally:
        await producer.stop()
    return done
