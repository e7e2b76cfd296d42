"""Who may do what on the broker: one Kafka principal per service, and the ACLs that let it
write only the topics it owns and read only what it consumes.

This is what binds a topic to its producer (the `source` check in `producers.py` only says
a record is consistent with the catalog). Invariants, derived from the catalog, never listed
by hand twice:
- a service writes the topics the catalog names it the producer of, plus the DLQs of the
  topics it consumes (it parks records there); notify also writes `report-requested` (its
  Monday scheduler asks for the bulletin);
- a service reads the topics it consumes, in consumer groups named `fourx-<service>…`;
- every service may describe the catalog's topics (to check they exist at start) and nothing
  else; it may not create, delete or alter topics, nor touch ACLs: the admin principal
  (a super user) creates topics and these ACLs;
- `ops` (operators, the demo, the `fourx-ops` tool) may ask for a report (`report-requested`),
  read every topic, DLQ and the replay ledger, and describe every consumer group (to see its
  lag) — read-only otherwise: replaying a DLQ record writes a service's topic, so it is the
  admin's to do, like any write past the owning service.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest_v1
from aiokafka.protocol.api import Request

from fourx_contracts.events import TOPICS, dlq_topic
from fourx_platform.kafka import KafkaSettings
from fourx_contracts.producers import PRODUCERS, topics_of

ADMIN = "admin"
OPS = "ops"
PORTAL = "portal"
SERVICES = ("meetings", "issues", "notify")
PRINCIPALS = (ADMIN, *SERVICES, OPS, PORTAL)

# What each service consumes (their subscribers; tests/unit/test_access.py checks the code).
CONSUMES: dict[str, tuple[str, ...]] = {
    "meetings": ("issue-raised", "progress-recorded", "issue-resolved", "issue-overdue"),
    # report-requested: the issues service answers each with a `supervision-snapshot`;
    # suggestion-decided: an adopted suggestion's supervision item.
    "issues": ("meeting-held", "activity-held", "directory-updated", "report-requested", "suggestion-decided"),
    # Every topic but its own outputs (it keeps those where it makes them).
    "notify": tuple(t for t in TOPICS if t not in ("report-published", "notification-sent")),
}
# Topics a service may write beyond those it owns: anyone-topics it sends.
ALSO_WRITES: dict[str, tuple[str, ...]] = {"notify": ("report-requested",)}


def group_prefix(service: str) -> str:
    """Every consumer group of a service starts with this (`fourx-notify-reports`, …)."""
    return f"fourx-{service}"


# The ops tool's record of what it replayed (fourx_ops.dlq.LEDGER_TOPIC; created by the admin
# who replays). Spelled here too: the platform does not depend on the ops tool.
REPLAY_LEDGER = "fourx-ops.replayed"
ANY = "*"   # a LITERAL resource named "*" matches every resource of its type

# Kafka's wire codes (org.apache.kafka.common.{resource,acl}).
TOPIC, GROUP = 2, 3
LITERAL, PREFIXED = 3, 4
READ, WRITE, DESCRIBE = 3, 4, 8
ALLOW = 3
_OPERATIONS = {READ: "Read", WRITE: "Write", DESCRIBE: "Describe"}


@dataclass(frozen=True, order=True)
class Acl:
    principal: str        # "User:notify"
    resource_type: int
    name: str
    pattern: int
    operation: int

    def __str__(self) -> str:
        kind = {TOPIC: "topic", GROUP: "group"}[self.resource_type]
        star = "*" if self.pattern == PREFIXED else ""
        return f"{self.principal} {_OPERATIONS[self.operation]} {kind} {self.name}{star}"


def writes(service: str) -> tuple[str, ...]:
    own = topics_of(service) + ALSO_WRITES.get(service, ())
    return own + tuple(dlq_topic(t) for t in CONSUMES[service])


def acls(principal: str) -> list[Acl]:
    """The ALLOW entries of one principal (the admin is a super user and needs none)."""
    user = f"User:{principal}"
    everything = [*TOPICS, *(dlq_topic(t) for t in TOPICS)]
    if principal == OPS:
        return sorted([Acl(user, TOPIC, "report-requested", LITERAL, WRITE)]
                      + [Acl(user, TOPIC, t, LITERAL, READ) for t in (*everything, REPLAY_LEDGER)]
                      + [Acl(user, GROUP, ANY, LITERAL, DESCRIBE)])
    if principal == PORTAL:
        # READ implies DESCRIBE (metadata, offsets): all a group-less reader needs.
        return sorted(Acl(user, TOPIC, t, LITERAL, READ) for t in TOPICS)
    if principal not in SERVICES:
        return []
    entries = [Acl(user, TOPIC, t, LITERAL, DESCRIBE) for t in everything]
    entries += [Acl(user, TOPIC, t, LITERAL, WRITE) for t in writes(principal)]
    entries += [Acl(user, TOPIC, t, LITERAL, READ) for t in CONSUMES[principal]]
    entries.append(Acl(user, GROUP, group_prefix(principal), PREFIXED, READ))
    return sorted(set(entries))


def all_acls() -> list[Acl]:
    return [entry for principal in PRINCIPALS for entry in acls(principal)]


assert all(PRODUCERS[t] is None for t in ALSO_WRITES.get("notify", ())), "extra writes are anyone-topics only"


class _CreateAcls(CreateAclsRequest):
    """aiokafka 0.14 has the CreateAcls protocol but no admin method for it (and its request
    carries one entry); this one carries many."""

    def __init__(self, entries: list[Acl]):
        self._entries = entries

    def build(self, request_struct_class):  # type: ignore[override]
        if request_struct_class.API_VERSION < 1:
            raise RuntimeError("the broker does not speak CreateAcls v1 (Kafka ≥ 2.0 does)")
        return request_struct_class([(a.resource_type, a.name, a.pattern, a.principal, "*", a.operation, ALLOW)
                                     for a in self._entries])


class _DescribeAllAcls(Request[DescribeAclsRequest_v1]):
    """Every ACL the broker's authorizer holds (v1: the version aiokafka's schema matches)."""

    API_KEY = 29

    def build(self, request_struct_class):  # type: ignore[override]
        any_ = 1
        return request_struct_class(any_, None, any_, None, None, any_, any_)


async def _visible(admin: AIOKafkaAdminClient, entries: list[Acl]) -> bool:
    response = await admin._send_to_controller(_DescribeAllAcls())
    if response.error_code:
        raise for_code(response.error_code)(response.error_message)
    seen = {Acl(principal, rtype, name, pattern, operation)
            for rtype, name, pattern, acls_ in response.resources
            for principal, _host, operation, _permission in acls_}
    return set(entries) <= seen


async def ensure_acls(admin_settings: KafkaSettings, entries: list[Acl] | None = None,
                      timeout: float = 30.0) -> int:
    """Create the ACLs (as the admin principal) and wait until the broker enforces them; an
    existing entry is left as it is, so this runs at every start. Returns how many entries."""
    entries = all_acls() if entries is None else entries
    admin = AIOKafkaAdminClient(**admin_settings.client_options(), client_id="fourx-acls")
    await admin.start()
    try:
        response = await admin._send_to_controller(_CreateAcls(entries))
        failed = [(entry, code, message) for entry, (code, message) in zip(entries, response.creation_responses)
                  if code != 0]
        if failed:
            raise RuntimeError("creating ACLs failed: " + "; ".join(
                f"{entry}: {for_code(code).__name__} {message or ''}".strip() for entry, code, message in failed[:5]))
        # The controller commits them to the metadata log; the broker's authorizer applies
        # them a moment later. A service started in between would be refused.
        deadline = time.monotonic() + timeout
        while not await _visible(admin, entries):
            if time.monotonic() > deadline:
                raise RuntimeError(f"ACLs created but not visible on the broker within {timeout:.0f}s")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    return len(entries)
