"""The committed AsyncAPI document is what the code gives (regenerate: `make asyncapi`), it is
valid AsyncAPI 3.0.0, and each service serves its own part — its channels only."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import jsonschema_rs
import pytest
from pydantic import create_model
from fourx_contracts.events import CATALOG, TOPICS, TopicSelected, dlq_topic
from fourx_platform import asyncapi
from fourx_platform.access import AccessTable
from fourx_platform.auth import TokenVerifier
from fourx_platform.http import service_app
from fourx_platform.kafka_acl import CONSUMES, SERVICES, writes

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.json"
SCHEMA = ROOT / "docs" / "schemas" / "asyncapi-3.0.0.json"


@pytest.fixture(scope="module")
def validator():
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))


def _errors(validator, doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_committed_document_is_what_the_code_gives():
    assert COMMITTED.read_text() == asyncapi.render(asyncapi.document()), \
        "docs/asyncapi.json is stale: a contract model, the catalog or the ACL tables changed; run `make asyncapi`"


def test_a_changed_contract_model_makes_it_stale(monkeypatch):
    # The same model with one more (additive) field, as a developer would add it.
    changed = create_model("TopicSelected", __base__=TopicSelected, chosen_by=(str | None, None))
    monkeypatch.setitem(CATALOG, "topic-selected", changed)
    assert asyncapi.render(asyncapi.document()) != COMMITTED.read_text()


def test_the_committed_document_is_valid_asyncapi_3(validator):
    doc = json.loads(COMMITTED.read_text())
    assert doc["asyncapi"] == "3.0.0"
    assert _errors(validator, doc) == []


def test_the_validator_does_refuse_a_broken_document(validator):
    doc = json.loads(COMMITTED.read_text())
    doc["operations"]["issues.receive.meeting-held"]["action"] = "publish"
    assert _errors(validator, doc)


def test_every_topic_and_its_dlq_is_a_channel_with_its_payload_schema():
    doc = asyncapi.document()
    assert set(doc["channels"]) == set(TOPICS) | {dlq_topic(t) for t in TOPICS}
    schemas = doc["components"]["schemas"]
    for topic, model in CATALOG.items():
        [message] = doc["channels"][topic]["messages"].values()
        payload = doc["components"]["messages"][message["$ref"].rsplit("/", 1)[1]]["payload"]
        event = schemas[payload["$ref"].rsplit("/", 1)[1]]
        assert event["allOf"][1]["properties"]["data"] == {"$ref": f"#/components/schemas/{model.__name__}"}
        assert event["allOf"][1]["properties"]["type"] == {"const": topic}
    envelope = schemas["CloudEvent"]["properties"]
    assert {"traceparent", "tracestate", "correlationid", "district"} <= set(envelope)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_document_holds_its_channels_only(validator, service):
    doc = asyncapi.document(service)
    assert _errors(validator, doc) == []
    assert set(doc["channels"]) == set(writes(service)) | set(CONSUMES[service])
    sends = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in doc["operations"].values() if op["action"] == "send"}
    receives = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in doc["operations"].values() if op["action"] == "receive"}
    assert sends == set(writes(service)) and receives == set(CONSUMES[service])


class OneService:
    runtime = SimpleNamespace(service="issues", tracing=None)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def directory_people(self, district: str) -> list[dict] | None:
        return None


async def test_each_service_serves_its_own_at_get_asyncapi():
    app = service_app(OneService(), title="t", access_table=AccessTable({}), verifier=TokenVerifier(dev=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://issues") as client:
        response = await client.get("/asyncapi")
    assert response.status_code == 200
    assert response.json() == asyncapi.document("issues")
