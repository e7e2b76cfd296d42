from __future__ import annotations

import json

import pytest
import yaml
from fourx_meetings.domain.directory import DirectoryInvalid, parse_directory

from tests.unit.meetings.fixtures import DIRECTORY_YAML


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(DirectoryInvalid) as info:
        parse_directory(text)
    return [(p.line, p.message) for p in info.value.problems]


def test_a_valid_directory_parses_from_yaml_and_json_alike():
    from_yaml = parse_directory(DIRECTORY_YAML)
    from_json = parse_directory(json.dumps(yaml.safe_load(DIRECTORY_YAML), ensure_ascii=False, indent=2))
    assert from_yaml == from_json
    assert [c.community_id for c in from_yaml.communities] == ["c-1", "c-2", "c-3"]
    assert from_yaml.content_hash() == from_json.content_hash()


def test_unknown_street_duplicate_id_and_person_without_role_each_name_their_line():
    text = DIRECTORY_YAML.replace("{community_id: c-3, street_id: s-west", "{community_id: c-3, street_id: s-north")
    text = text.replace("{community_id: c-2,", "{community_id: c-1,")
    text = text.replace("name: 赵磊, roles: [dept_responsible_leader]", "name: 赵磊, roles: []")
    found = problems(text)
    lines = text.splitlines()
    assert any(msg == "unknown street 's-north'" and "s-north" in lines[line - 1] for line, msg in found)
    assert any(msg.startswith("duplicate community id 'c-1' (first at line 6)") and line == 7 for line, msg in found)
    assert any(msg == "a person needs at least one role" and "赵磊" in lines[line - 1] for line, msg in found)


def test_json_errors_name_their_line_too():
    data = yaml.safe_load(DIRECTORY_YAML)
    data["people"][0]["unit"] = {"kind": "community", "id": "c-404"}
    text = json.dumps(data, ensure_ascii=False, indent=2)
    [(line, msg)] = problems(text)
    assert msg == "unknown community 'c-404'" and '"c-404"' in text.splitlines()[line - 1]


def test_syntax_errors_name_their_line():
    [(line, msg)] = problems("streets:\n  - {street_id: s1, name: x\npeople: []\n")
    assert line is not None and msg.startswith("not valid YAML")
    [(line, msg)] = problems('{\n  "streets": [\n  ]\n  "people": []\n}')
    assert line == 4 and msg.startswith("not valid JSON")


def test_a_role_must_fit_the_persons_unit_and_channels_are_checked():
    text = DIRECTORY_YAML.replace("roles: [community_secretary], unit: {kind: community, id: c-3}",
                                  "roles: [street_org_member], unit: {kind: community, id: c-3}")
    text = text.replace("address: zhoumin@example.test", "address: nobody")
    found = [m for _, m in problems(text)]
    assert "role street_org_member belongs to a street, but this person's unit is a community" in found
    assert "an email channel needs an address like name@example.org" in found
