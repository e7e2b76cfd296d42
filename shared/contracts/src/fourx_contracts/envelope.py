"""The CloudEvents 1.0 envelope every fourx event travels in (structured JSON mode)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_serializer

CONTENT_TYPE = "application/cloudevents+json"
# The CloudEvents distributed-tracing extension's attributes (W3C Trace Context).
TRACE_ATTRIBUTES = ("traceparent", "tracestate")


class InvalidEvent(ValueError):
    """A record that is not JSON, not a CloudEvent, or whose data fails validation."""


class UndeclaredField(ValueError):
    """A producer put a field into a contract model that the model does not declare."""


class CloudEvent(BaseModel):
    # Extension attributes other producers add are kept, not rejected.
    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    type: str = Field(min_length=1)
    source: str = Field(min_length=1)
    time: datetime
    subject: str | None = None
    district: str = Field(min_length=1)
    correlationid: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    # Additive (v1.1): the span the event was created in, so a trace survives the outbox and
    # the hop to the next service. Only a hint: a malformed value starts a new trace, it never
    # sends an event to the DLQ; an absent one is left out of the JSON, not sent as null.
    traceparent: str | None = None
    tracestate: str | None = None

    @field_validator("time")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset (RFC 3339)")
        return value.astimezone(UTC)

    @model_serializer(mode="wrap")
    def _without_absent_trace(self, handler: Any) -> dict[str, Any]:
        body = handler(self)
        for name in TRACE_ATTRIBUTES:
            if body.get(name, "") is None:
                del body[name]
        return body

    def to_json_bytes(self) -> bytes:
        body = self.model_dump(mode="json", exclude_none=False)
        body["time"] = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json_bytes(cls, raw: bytes | None) -> "CloudEvent":
        if raw is None:
            raise InvalidEvent("record has no value")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidEvent(f"value is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise InvalidEvent("value is JSON but not an object, so not a CloudEvent")
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            raise InvalidEvent(f"not a valid CloudEvent: {_short(exc)}") from exc


def new_event(
    *,
    type: str,
    source: str,
    district: str,
    data: BaseModel | dict[str, Any],
    subject: str | None = None,
    correlationid: str | None = None,
    id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
) -> CloudEvent:
    """A new event. A payload given as a contract model must carry only declared fields:
    every field fourx sends is typed in `events.py`, so consumers validate it (a dict payload,
    as ops tools and tests send, is validated by the consumer alone)."""
    if isinstance(data, BaseModel):
        if extras := undeclared_fields(data):
            raise UndeclaredField(f"{type}: the contract model does not declare {', '.join(extras)}; "
                                  f"declare it in fourx_contracts.events")
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    event_id = id or str(uuid.uuid4())
    return CloudEvent(
        id=event_id,
        type=type,
        source=source,
        time=time or datetime.now(UTC),
        subject=subject,
        district=district,
        correlationid=correlationid or event_id,
        data=payload,
        traceparent=traceparent,
        tracestate=tracestate,
    )


def caused_event(source: str, type: str, district: str, subject: str, data: BaseModel | dict[str, Any],
                 cause: tuple[str, ...], correlationid: str | None) -> CloudEvent:
    """A producer's event whose id is derived from its type, district and what caused it
    (`event_id`), so doing the same thing twice yields the same id and consumers drop it."""
    return new_event(type=type, source=source, district=district, subject=subject, data=data,
                     id=event_id(source, type, district, *cause), correlationid=correlationid)


def undeclared_fields(model: BaseModel, path: str = "") -> list[str]:
    """Dotted paths of the extra (undeclared) fields of a model and the models inside it."""
    found = [f"{path}{name}" for name in (model.model_extra or {})]
    for name in type(model).model_fields:
        found += _undeclared_in(getattr(model, name), f"{path}{name}.")
    return found


def _undeclared_in(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return undeclared_fields(value, path)
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _undeclared_in(v, f"{path}{i}.")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _undeclared_in(v, f"{path}{k}.")]
    return []


def deterministic_id(*parts: str) -> str:
    """An event id derived from what caused it, so a retried or duplicated command (or a
    second replica doing the same scheduled job) yields the same id and consumers drop it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "fourx:" + "/".join(parts)))


def event_id(source: str, *parts: str) -> str:
    """A deterministic *event* id in its producer's own namespace: uuid5 under a namespace
    derived from the producer's `source` (public, secret-free). Two producers never derive
    the same id, so an honest producer cannot pre-empt another's future event by accident or
    by replaying what it derives. It is not a proof of origin — anyone can compute it — so
    what stops a hostile writer is the broker: only the owning service's principal may write
    the topic (fourx_platform.kafka_acl), and consumers refuse a `source` that is not the
    topic's producer (fourx_contracts.producers). See README, "Kafka: SASL and ACLs"."""
    return str(uuid.uuid5(producer_namespace(source), "/".join(parts)))


def producer_namespace(source: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "fourx-producer:" + source)


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
