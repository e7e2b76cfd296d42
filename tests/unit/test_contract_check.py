"""Acceptance (issue 14): the committed JSON Schemas of the events are the code's, and the contract
check fails on a backward-incompatible change and passes on an additive one. The changes are
made the two ways a developer makes them: by editing a schema dict, and by changing a model
(a copy of a contract model, as the catalog would hold it)."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import Field, create_model

from deploy.checks import contract
from fourx_contracts import events
from fourx_contracts.events import CATALOG, IssueRaised
from fourx_contracts.schemas import ENVELOPE, all_schemas, event_schemas, parse_type, versioned


@pytest.fixture(scope="module")
def committed():
    return contract.load_committed()


def _with(schemas, name, schema):
    changed = copy.deepcopy(schemas)
    changed[name] = schema
    return changed


def _whats(report):
    return {finding.what for finding in report.breaking}


def test_every_catalog_type_and_the_envelope_have_a_committed_schema_equal_to_the_code(committed):
    assert set(committed) == {ENVELOPE, *CATALOG}
    current = all_schemas()
    assert {name: contract.dump(s) for name, s in committed.items()} == {n: contract.dump(s) for n, s in current.items()}
    report = contract.check(committed, current)
    assert report.ok and report.stale == [] and report.compatible == []


def test_event_schemas_is_pure_and_in_catalog_order():
    assert list(event_schemas()) == list(events.TOPICS)
    assert json.loads(json.dumps(event_schemas())) == event_schemas()


def test_a_removed_field_fails(committed):
    schema = copy.deepcopy(committed["issue-raised"])
    del schema["properties"]["description"]
    schema["required"].remove("description")
    report = contract.check(committed, _with(committed, "issue-raised", schema))
    assert not report.ok
    assert [str(f) for f in report.breaking] == ["issue-raised: description: removed field"]


def test_a_removed_field_of_a_nested_model_fails(committed):
    schema = copy.deepcopy(committed["meeting-held"])
    del schema["$defs"]["Comment"]["properties"]["text"]
    report = contract.check(committed, _with(committed, "meeting-held", schema))
    assert "removed field" in _whats(report)
    assert any("comments[].text" in f.where for f in report.breaking)


def test_an_added_optional_field_passes_and_leaves_the_schema_stale(committed):
    schema = copy.deepcopy(committed["issue-raised"])
    schema["properties"]["priority"] = {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None}
    report = contract.check(committed, _with(committed, "issue-raised", schema))
    assert report.ok
    assert [str(f) for f in report.compatible] == ["issue-raised: priority: added optional field"]
    assert report.stale == ["issue-raised"]


def _catalog_with(model, name="issue-raised"):
    current = all_schemas()
    current[name] = model.model_json_schema(mode="validation")
    return current


def test_a_model_with_an_added_optional_field_passes(committed):
    IssueRaisedPlus = create_model("IssueRaised", __base__=IssueRaised,
                                   priority=(int | None, Field(None, ge=1, le=5)))
    report = contract.check(committed, _catalog_with(IssueRaisedPlus))
    assert report.ok, [str(f) for f in report.breaking]
    assert [f.what for f in report.compatible] == ["added optional field"]


def test_a_model_with_a_new_required_field_fails(committed):
    IssueRaisedPlus = create_model("IssueRaised", __base__=IssueRaised, priority=(int, ...))
    report = contract.check(committed, _catalog_with(IssueRaisedPlus))
    assert _whats(report) == {"newly required field"}


def test_a_retyped_field_fails(committed):
    Retyped = create_model("IssueRaised", __base__=IssueRaised, title=(int, ...))
    assert _whats(contract.check(committed, _catalog_with(Retyped))) == {"retyped field"}
    Widened = create_model("IssueRaised", __base__=IssueRaised, title=(str | int, ...))
    assert _whats(contract.check(committed, _catalog_with(Widened))) == {"retyped field"}


def test_an_optional_field_made_required_and_a_required_one_made_optional_fail(committed):
    schema = copy.deepcopy(committed["issue-raised"])
    schema["required"].append("raised_on")
    assert _whats(contract.check(committed, _with(committed, "issue-raised", schema))) == {"newly required field"}
    schema = copy.deepcopy(committed["issue-raised"])
    schema["required"].remove("title")
    assert _whats(contract.check(committed, _with(committed, "issue-raised", schema))) == {"required field made optional"}


def test_a_narrowed_enum_fails_and_a_widened_one_passes(committed):
    schema = copy.deepcopy(committed["issue-raised"])
    kinds = schema["$defs"]["Unit"]["properties"]["kind"]["enum"]
    narrowed = _with(committed, "issue-raised", copy.deepcopy(schema))
    narrowed["issue-raised"]["$defs"]["Unit"]["properties"]["kind"]["enum"] = kinds[:-1]
    report = contract.check(committed, narrowed)
    assert _whats(report) == {"narrowed enum"}
    widened = _with(committed, "issue-raised", copy.deepcopy(schema))
    widened["issue-raised"]["$defs"]["Unit"]["properties"]["kind"]["enum"] = [*kinds, "province"]
    report = contract.check(committed, widened)
    assert report.ok and any(f.what == "widened enum" for f in report.compatible)


def test_a_changed_constraint_fails(committed):
    schema = copy.deepcopy(committed["progress-recorded"])
    schema["properties"]["percent"]["maximum"] = 90
    assert _whats(contract.check(committed, _with(committed, "progress-recorded", schema))) == {"changed constraint"}


def test_a_removed_event_type_fails_unless_a_newer_version_supersedes_it(committed):
    current = copy.deepcopy(committed)
    del current["issue-raised"]
    assert _whats(contract.check(committed, current)) == {"removed event type"}
    current["issue-raised.v2"] = committed["issue-raised"]
    report = contract.check(committed, current)
    assert report.ok
    assert {f.what for f in report.compatible} == {"event type retired", "new event type"}


def test_a_breaking_change_passes_as_a_new_versioned_type(committed):
    """The old type stays as it was; the breaking shape is published as `issue-raised.v2`."""
    schema = copy.deepcopy(committed["issue-raised"])
    del schema["properties"]["description"]
    schema["required"].remove("description")
    report = contract.check(committed, _with(committed, "issue-raised.v2", schema))
    assert report.ok
    assert [str(f) for f in report.compatible] == ["issue-raised.v2: new event type"]


def test_event_type_names():
    assert parse_type("issue-raised") == ("issue-raised", 1)
    assert parse_type("issue-raised.v2") == ("issue-raised", 2)
    assert parse_type("issue-raised.v12") == ("issue-raised", 12)
    assert versioned("issue-raised", 1) == "issue-raised" and versioned("issue-raised", 3) == "issue-raised.v3"
    for bad in ("issue-raised.v1", "issue-raised.v0", "Issue-Raised", "issue_raised", "issue-raised.dlq"):
        with pytest.raises(ValueError):
            parse_type(bad)
    report = contract.check({}, {"issue_raised": {"type": "object"}})
    assert _whats(report) == {"bad event type name"}


def test_the_command_fails_on_a_breaking_change_and_updates_after_a_compatible_one(tmp_path, monkeypatch):
    contract.write_schemas(all_schemas(), tmp_path)
    lines: list[str] = []
    assert contract.run(strict=True, directory=tmp_path, out=lines.append) == 0
    changed = all_schemas()
    changed["issue-raised"]["properties"]["priority"] = {"type": "integer"}   # optional: not required
    monkeypatch.setattr(contract, "all_schemas", lambda: changed)
    assert contract.run(strict=True, directory=tmp_path, out=lines.append) == 1      # stale
    assert contract.run(directory=tmp_path, out=lines.append) == 0                  # compatible
    monkeypatch.setattr(contract, "ROOT", tmp_path.parent)
    assert contract.run(update=True, directory=tmp_path, out=lines.append) == 0
    assert json.loads((tmp_path / "issue-raised.json").read_text())["properties"]["priority"] == {"type": "integer"}
    assert contract.run(strict=True, directory=tmp_path, out=lines.append) == 0
    broken = copy.deepcopy(changed)
    del broken["issue-raised"]["properties"]["title"]
    monkeypatch.setattr(contract, "all_schemas", lambda: broken)
    assert contract.run(update=True, directory=tmp_path, out=lines.append) == 1   # --update never writes a break
    assert "title" in json.loads((tmp_path / "issue-raised.json").read_text())["properties"]
    assert any("BREAKING issue-raised: title: removed field" in line for line in lines)
