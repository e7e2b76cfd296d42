"""A Kafka record as an operator sees it: the CloudEvent it carries (when it carries one), or
for a DLQ record the original record and why a consumer gave up on it (the `dlq-…` headers
of the contract, `shared/spec/events.md`, "Failures and the DLQ").

Nothing here trusts the value: a DLQ holds records that are not JSON, not CloudEvents or not
valid, and the tool must show them all the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DLQ_SUFFIX = ".dlq"


def is_dlq(topic: str) -> bool:
    return topic.endswith(DLQ_SUFFIX)


def dlq_of(topic: str) -> str:
    return topic if is_dlq(topic) else f"{topic}{DLQ_SUFFIX}"


def original_of(topic: str) -> str:
    return topic[: -len(DLQ_SUFFIX)] if is_dlq(topic) else topic


@dataclass(frozen=True)
class Seen:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: str | None
    value: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    # The value as a JSON object, when it is one (a CloudEvent, or something pretending to be).
    event: dict[str, Any] | None = None

    @classmethod
    def from_record(cls, record: Any) -> "Seen":
        headers = {k: v.decode(errors="replace") if isinstance(v, bytes) else str(v)
                   for k, v in (record.headers or ())}
        key = record.key.decode(errors="replace") if record.key is not None else None
        return cls(record.topic, record.partition, record.offset, record.timestamp, key, record.value,
                   headers, parse_object(record.value))

    @property
    def coordinates(self) -> str:
        """`topic:partition:offset`, how `dlq show/replay --record` names a record."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def time(self) -> datetime:
        """When the record was written (its Kafka timestamp), what `--since` and hop times use."""
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    @property
    def is_dlq(self) -> bool:
        return is_dlq(self.topic)

    def _field(self, name: str) -> str | None:
        value = (self.event or {}).get(name)
        return value if isinstance(value, str) else None

    @property
    def district(self) -> str | None:
        return self._field("district") or self.key

    @property
    def type(self) -> str | None:
        return self._field("type") or (self.original_topic if self.is_dlq else self.topic)

    @property
    def id(self) -> str | None:
        return self._field("id")

    @property
    def source(self) -> str | None:
        return self._field("source")

    @property
    def subject(self) -> str | None:
        return self._field("subject")

    @property
    def correlation_id(self) -> str | None:
        return self._field("correlationid")

    @property
    def data(self) -> dict[str, Any]:
        data = (self.event or {}).get("data")
        return data if isinstance(data, dict) else {}

    # --- DLQ records ------------------------------------------------------------------------
    @property
    def original_topic(self) -> str:
        return self.headers.get("dlq-topic") or original_of(self.topic)

    @property
    def error(self) -> str:
        return self.headers.get("dlq-error", "")

    @property
    def error_class(self) -> str:
        return self.headers.get("dlq-error-class", "")

    @property
    def group(self) -> str:
        return self.headers.get("dlq-group", "")

    @property
    def attempts(self) -> str:
        return self.headers.get("dlq-attempts", "")

    @property
    def original_coordinates(self) -> str:
        return (f"{self.original_topic}:{self.headers.get('dlq-partition', '?')}:"
                f"{self.headers.get('dlq-offset', '?')}")

    def dlq_headers(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k.startswith(("dlq-", "original-"))}

    def as_json_line(self) -> str:
        """One line for `--json`: the CloudEvent itself; a DLQ record's original event with a
        `dlq` object of its headers (its raw text under `value` when it is no JSON object)."""
        if not self.is_dlq and self.event is not None:
            body: dict[str, Any] = self.event
        else:
            body = dict(self.event) if self.event is not None else {
                "value": None if self.value is None else self.value.decode(errors="replace")}
            body["dlq"] = {**self.dlq_headers(), "record": self.coordinates}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def parse_object(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        body = json.loads(value)
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


@dataclass(frozen=True)
class Filter:
    """What `watch` (and `dlq show`) keep; an empty filter keeps everything."""

    districts: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    correlation_id: str | None = None

    def keeps(self, seen: Seen) -> bool:
        if self.districts and seen.district not in self.districts:
            return False
        if self.types and seen.type not in self.types:
            return False
        return self.correlation_id is None or seen.correlation_id == self.correlation_id


def summary(data: dict[str, Any], width: int = 72) -> str:
    """A payload in one short line: its scalar fields as `name=value`, lists by their length."""
    parts: list[str] = []
    for name, value in data.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            parts.append(f"{name}[{len(value)}]")
        elif isinstance(value, dict):
            inner = value.get("id") or value.get("ref") or "…"
            parts.append(f"{name}={value.get('kind', '')}:{inner}" if "kind" in value else f"{name}={{…}}")
        else:
            text = str(value).replace("\n", " ")
            parts.append(f"{name}={text if len(text) <= 32 else text[:31] + '…'}")
    line = " ".join(parts)
    return line if len(line) <= width else line[: width - 1] + "…"
