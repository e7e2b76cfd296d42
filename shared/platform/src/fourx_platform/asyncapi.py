"""The event catalog as an AsyncAPI 3.0 document, generated from the code that enforces it.

Nothing here is written by hand twice: channels are the catalog's topics and their DLQs
(`fourx_contracts.events`), each message is the CloudEvent envelope (`envelope.CloudEvent`)
with the topic's payload model as `data`, both as the JSON Schema pydantic derives from them;
who sends and who receives what comes from the producer column (`fourx_contracts.producers`)
and from the broker's ACLs (`kafka_acl.CONSUMES`, `writes`) — the same tables the broker
enforces, which tests/unit/test_access.py checks against every service's subscribers.

`document()` is the whole catalog, committed as `docs/asyncapi.json` (regenerate with
`make asyncapi`; tests/unit/test_asyncapi.py fails when it is stale and validates it against
the AsyncAPI 3.0.0 JSON Schema); `document(service)` is one service's part, its channels only,
served at `GET /asyncapi`.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from fourx_contracts.envelope import CONTENT_TYPE, CloudEvent
from fourx_contracts.events import CATALOG, COMPACTED_TOPICS, TOPICS, dlq_topic
from fourx_contracts.producers import PRODUCERS, SERVICE_SOURCES, expected_source
from fourx_platform.kafka_acl import CONSUMES, SERVICES, writes

SCHEMAS = "#/components/schemas/"
KAFKA_BINDING = "0.5.0"
DLQ_HEADERS = {
    "dlq-error": "the error message (at most 4000 characters)",
    "dlq-error-class": "the exception class, or Invalid for a record that is no valid event",
    "dlq-group": "the consumer group that gave up",
    "dlq-attempts": "how many times it was tried",
    "dlq-topic": "the original topic",
    "dlq-partition": "the original partition",
    "dlq-offset": "the original offset",
}


def _message_name(topic: str) -> str:
    return CATALOG[topic].__name__


def _schemas() -> dict[str, Any]:
    models: list[type[BaseModel]] = [CloudEvent, *CATALOG.values()]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=SCHEMAS + "{model}")
    schemas: dict[str, Any] = dict(sorted(top["$defs"].items()))
    for topic, model in CATALOG.items():
        envelope: dict[str, Any] = {"type": {"const": topic}, "data": {"$ref": SCHEMAS + model.__name__}}
        if (source := expected_source(topic)) is not None:
            envelope["source"] = {"const": source}
        schemas[f"{model.__name__}Event"] = {
            "title": f"{topic} (CloudEvent)",
            "allOf": [{"$ref": SCHEMAS + "CloudEvent"}, {"type": "object", "properties": envelope}],
        }
    return schemas


def _consumers(topic: str) -> list[str]:
    return [s for s in SERVICES if topic in CONSUMES[s]]


def _channel(topic: str) -> dict[str, Any]:
    producer = PRODUCERS[topic]
    consumers = _consumers(topic)
    binding: dict[str, Any] = {"topic": topic, "bindingVersion": KAFKA_BINDING}
    if topic in COMPACTED_TOPICS:
        binding["topicConfiguration"] = {"cleanup.policy": ["compact"]}
    return {
        "address": topic,
        "title": topic,
        "description": f"Producer: {producer or 'anyone (ops, scheduler, tests)'}; consumers: "
                       f"{', '.join(consumers) or 'none'}. Key: the district id. Value: a CloudEvent "
                       "(structured JSON mode).",
        "messages": {_message_name(topic): {"$ref": f"#/components/messages/{_message_name(topic)}"}},
        "bindings": {"kafka": binding},
        "x-fourx-producer": producer,
        "x-fourx-consumers": consumers,
    }


def _dlq_channel(topic: str) -> dict[str, Any]:
    parking = _consumers(topic)
    return {
        "address": dlq_topic(topic),
        "title": dlq_topic(topic),
        "description": f"Records of `{topic}` that a consumer could not act on, with their original key and "
                       f"value and the error in `dlq-…` headers. Written by: {', '.join(parking) or 'none'}; "
                       "read by operators (`fourx-dev dlq`), replayed onto the original topic.",
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        "bindings": {"kafka": {"topic": dlq_topic(topic), "bindingVersion": KAFKA_BINDING}},
        "x-fourx-written-by": parking,
    }


def _messages() -> dict[str, Any]:
    key = {"type": "string", "description": "the district id (equal to the CloudEvent's `district`)"}
    messages: dict[str, Any] = {}
    for topic, model in CATALOG.items():
        messages[model.__name__] = {
            "name": topic,
            "title": f"{topic} event",
            "contentType": CONTENT_TYPE,
            "headers": {"type": "object", "properties": {"content-type": {"const": CONTENT_TYPE}}},
            "payload": {"$ref": f"{SCHEMAS}{model.__name__}Event"},
            "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
        }
    messages["DeadLetter"] = {
        "name": "dead-letter",
        "title": "a record parked in a DLQ",
        "summary": "The original record's value, unchanged (it may be no valid event at all).",
        "headers": {"type": "object", "required": list(DLQ_HEADERS),
                    "properties": {h: {"type": "string", "description": d} for h, d in DLQ_HEADERS.items()}},
        "payload": {"description": "the original value, byte for byte"},
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
    }
    return messages


def _channel_id(topic: str) -> str:
    return topic  # DLQs: `<topic>.dlq`, as their address


def _operation(service: str, action: str, channel: str, message: str) -> tuple[str, dict[str, Any]]:
    return f"{service}.{action}.{channel}", {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
        "summary": f"{service} {'publishes to' if action == 'send' else 'consumes'} {channel}",
    }


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _reachable(doc: dict[str, Any]) -> dict[str, Any]:
    """Only the components the channels use (a service's document names its own events only)."""
    components = doc["components"]
    kept: dict[str, dict[str, Any]] = {"messages": {}, "schemas": {}}
    todo = _refs({k: v for k, v in doc.items() if k != "components"})
    while todo:
        ref = todo.pop()
        parts = ref.removeprefix("#/components/").split("/")
        if len(parts) != 2 or parts[0] not in kept or parts[1] in kept[parts[0]]:
            continue
        kept[parts[0]][parts[1]] = components[parts[0]][parts[1]]
        todo |= _refs(kept[parts[0]][parts[1]])
    doc["components"] = {kind: dict(sorted(items.items())) for kind, items in kept.items()}
    return doc


def document(service: str | None = None) -> dict[str, Any]:
    """The whole catalog (service None), or what `service` sends and receives."""
    services = SERVICES if service is None else (service,)
    if service is not None and service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    channels: dict[str, Any] = {}
    for topic in TOPICS:
        channels[_channel_id(topic)] = _channel(topic)
        channels[_channel_id(dlq_topic(topic))] = _dlq_channel(topic)
    operations: dict[str, Any] = {}
    used: set[str] = set()
    for name in services:
        for channel in writes(name):
            topic = channel.removesuffix(".dlq")
            message = "DeadLetter" if channel.endswith(".dlq") else _message_name(topic)
            key, operation = _operation(name, "send", channel, message)
            operations[key] = operation
            used.add(channel)
        for topic in CONSUMES[name]:
            key, operation = _operation(name, "receive", topic, _message_name(topic))
            operations[key] = operation
            used.add(topic)
    if service is not None:
        channels = {k: v for k, v in channels.items() if k in used}
    title = "fourx events" if service is None else f"fourx {service}: the events it sends and receives"
    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": version("fourx-contracts"),
            "description": "Generated from the code (fourx_platform.asyncapi): do not edit; `make asyncapi`. "
                           "One Kafka topic per event type; key = district; value = a CloudEvents 1.0 event in "
                           "structured JSON mode, whose optional `traceparent`/`tracestate` carry the W3C trace "
                           "context. The contract in prose: shared/spec/events.md.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {"host": "127.0.0.1:9092", "protocol": "kafka",
                      "description": "KAFKA_BOOTSTRAP; SASL/SCRAM, one principal per service (README, "
                                     "\"Kafka: SASL and ACLs\")",
                      "security": [{"$ref": "#/components/securitySchemes/scram"}]},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": _messages(), "schemas": _schemas()},
        "x-fourx-sources": SERVICE_SOURCES,
    }
    doc = _reachable(doc)
    doc["components"]["securitySchemes"] = {
        "scram": {"type": "scramSha256", "description": "SCRAM-SHA-256 (or -512) over SASL_PLAINTEXT / SASL_SSL"}}
    return doc


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fourx_platform.asyncapi", description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=SERVICES, help="one service's part (default: the whole catalog)")
    parser.add_argument("--output", type=Path, help="write here (default: standard output)")
    parser.add_argument("--check", action="store_true", help="exit 1 if --output differs from what the code gives")
    args = parser.parse_args(argv)
    text = render(document(args.service))
    if args.output is None:
        sys.stdout.write(text)
    elif args.check:
        if not args.output.exists() or args.output.read_text() != text:
            print(f"{args.output} is stale: run `make asyncapi`", file=sys.stderr)
            return 1
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
