"""The JSON Schema of every event payload and of the envelope, generated from the models.

Pydantic and the standard library only (the contracts package's rule). The schemas are what
the contract check (`deploy/checks/contract.py`) compares with the committed copies under
`shared/contracts/schemas/`, and what a document generator (AsyncAPI) may reuse.

Versioned event types: an event type is `<name>` (version 1, the name of the catalog since
v1.0) or `<name>.v<N>` with N >= 2 — e.g. `issue-raised.v2`. A breaking change to a payload
(a field removed, retyped or newly required, an enum narrowed) is made as a new type with the
next version, on its own topic, published beside the old one until every consumer reads the
new one; the old type is retired after that. A type name is also its topic's name.
"""

from __future__ import annotations

import re
from typing import Any

from fourx_contracts.envelope import CloudEvent
from fourx_contracts.events import CATALOG

ENVELOPE = "envelope"   # the key (and file name) of the CloudEvent envelope's schema
_TYPE_NAME = re.compile(r"^(?P<base>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?:\.v(?P<version>[2-9]|[1-9][0-9]+))?$")


def event_schemas() -> dict[str, dict[str, Any]]:
    """{event type: JSON Schema of its payload (validation mode)}, in catalog order."""
    return {event_type: model.model_json_schema(mode="validation") for event_type, model in CATALOG.items()}


def envelope_schema() -> dict[str, Any]:
    return CloudEvent.model_json_schema(mode="validation")


def all_schemas() -> dict[str, dict[str, Any]]:
    """The envelope's schema (key `envelope`) and every event payload's, as committed."""
    return {ENVELOPE: envelope_schema(), **event_schemas()}


def parse_type(event_type: str) -> tuple[str, int]:
    """(base name, version) of an event type: `issue-raised` → ("issue-raised", 1),
    `issue-raised.v2` → ("issue-raised", 2). ValueError for a name that breaks the rule."""
    match = _TYPE_NAME.match(event_type)
    if match is None:
        raise ValueError(f"event type {event_type!r} is not `<name>` or `<name>.v<N>` (N >= 2), "
                         f"name in lowercase words joined by '-'")
    return match["base"], int(match["version"] or 1)


def versioned(base: str, version: int) -> str:
    """The type name of `base` at `version` (1 → the bare name)."""
    return base if version == 1 else f"{base}.v{version}"
