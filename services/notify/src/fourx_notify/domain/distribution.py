"""Who gets what on which channel, when to retry, when the weekly bulletin is due. Pure.

Channels come from each person's `channels` in the directory snapshot:
`{"kind": "email", "address": "a@b.cn"}`, `{"kind": "webhook", "url": "https://..."}`,
`{"kind": "inbox"}` (the meetings service writes `"in_app"`, the same thing). Every recipient
also gets the in-app inbox, whatever else they prefer: acknowledgement (签收) happens there and
the office reads who has not signed from it. Kinds notify cannot send (e.g. `sms`) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fourx_contracts.envelope import deterministic_id
from fourx_platform.clock import DEFAULT_TIME_ZONE

from fourx_notify.domain.stats import iso_week

# domain.md, "1": the weekly work-record bulletin goes to these.
BULLETIN_ROLES = frozenset({
    "street_secretary", "street_deputy_secretary", "street_org_member",
    "dept_main_leader", "dept_responsible_leader", "dept_section_chief", "party_office",
})
# A unit's leaders, who hear of a notice or interview addressed to someone of theirs.
LEADER_ROLES = {
    "street": ("street_secretary", "street_deputy_secretary"),
    "community": ("community_secretary",),
    "department": ("dept_main_leader", "dept_responsible_leader"),
    "district": ("party_office",),
}
INBOX = "inbox"
SENDABLE = ("email", "webhook")


@dataclass(frozen=True)
class Channel:
    kind: str            # email | webhook | inbox
    target: str = ""     # address or URL; empty for the inbox


def channels_of(person: dict[str, Any]) -> list[Channel]:
    """The person's preferred channels, each distinct target once, always with the inbox.
    Targets are not judged here: notify's senders check them (the outbound rules) at send time."""
    out: list[Channel] = []
    for raw in person.get("channels") or []:
        if not isinstance(raw, dict):
            continue
        kind = raw.get("kind")
        if kind == "email" and raw.get("address"):
            out.append(Channel("email", str(raw["address"]).strip()))
        elif kind == "webhook" and raw.get("url"):
            out.append(Channel("webhook", str(raw["url"]).strip()))
    out.append(Channel(INBOX))
    return list(dict.fromkeys(out))


def delivery_key(recipient_id: str, channel: str, ref: str, target: str = "") -> str:
    """The idempotency key: one delivery per (recipient, channel, target, source), however
    often asked — a person with two webhooks gets two. The inbox has no target, and its key
    stays what it always was (items already signed for keep their ids)."""
    if not target:
        return deterministic_id("delivery", recipient_id, channel, ref)
    return deterministic_id("delivery", recipient_id, channel, target, ref)


def bulletin_recipients(directory: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not directory:
        return []
    people = [p for p in directory.get("people", []) if BULLETIN_ROLES.intersection(p.get("roles", []))]
    return sorted(people, key=lambda p: p["person_id"])


def street_of(person: dict[str, Any], directory: dict[str, Any] | None) -> str | None:
    """The street a person belongs to (a street's own people, or a community's in that street)."""
    unit = person.get("unit") or {}
    if unit.get("kind") == "street":
        return unit.get("id")
    if unit.get("kind") == "community" and directory:
        return next((c["street_id"] for c in directory.get("communities", [])
                     if c["community_id"] == unit.get("id")), None)
    return None


def leaders_of(unit: dict[str, Any] | None, directory: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not unit or not directory:
        return []
    roles = LEADER_ROLES.get(unit.get("kind", ""), ())
    return [p for p in directory.get("people", [])
            if p.get("unit", {}).get("kind") == unit.get("kind") and p.get("unit", {}).get("id") == unit.get("id")
            and set(roles).intersection(p.get("roles", []))]


def addressed(person_ids: list[str | None], unit: dict[str, Any] | None,
              directory: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The addressed people and their unit's leaders (from the directory), each once.
    A person unknown to the directory still gets the inbox."""
    people = {p["person_id"]: p for p in (directory or {}).get("people", [])}
    chosen: dict[str, dict[str, Any]] = {}
    for pid in person_ids:
        if pid:
            chosen[pid] = people.get(pid, {"person_id": pid, "name": pid, "roles": [], "channels": []})
    units = [unit] if unit else []
    units += [chosen[pid].get("unit") for pid in chosen if chosen[pid].get("unit")]
    for u in units:
        for leader in leaders_of(u, directory):
            chosen.setdefault(leader["person_id"], leader)
    return [chosen[k] for k in sorted(chosen)]


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next try after `attempts` failed ones: base, 2·base, 4·base, ... ≤ cap."""
    return min(cap, base * (2 ** max(attempts - 1, 0)))


# --- the weekly schedule ---------------------------------------------------------------------
RUN_WEEKDAY = 0           # Monday
RUN_AT = time(8, 0)       # 08:00 district time


def due_bulletin(now: datetime, time_zone: str = DEFAULT_TIME_ZONE) -> tuple[datetime, str]:
    """The latest scheduled run at or before `now` (Monday 08:00 local, as UTC) and the ISO
    week it reports on: the week before that Monday."""
    local = now.astimezone(ZoneInfo(time_zone))
    monday: date = local.date() - timedelta(days=local.weekday())
    run = datetime.combine(monday, RUN_AT, tzinfo=ZoneInfo(time_zone))
    if local < run:
        monday -= timedelta(days=7)
        run = datetime.combine(monday, RUN_AT, tzinfo=ZoneInfo(time_zone))
    return run.astimezone(UTC), iso_week(monday - timedelta(days=7))
