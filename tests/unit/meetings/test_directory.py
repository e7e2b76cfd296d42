from __future__ import annotations

import json

import pytest
import yaml
from fourx_platform.outbound import Allowlist, OutboundPolicy
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
    assert any(msg == "没有街道 s-north" and "s-north" in lines[line - 1] for line, msg in found)
    assert any(msg.startswith("社区编号 c-1 重复（首次出现在第 6 行）") and line == 7 for line, msg in found)
    assert any(msg == "每人至少要有一个角色" and "赵磊" in lines[line - 1] for line, msg in found)


def test_json_errors_name_their_line_too():
    data = yaml.safe_load(DIRECTORY_YAML)
    data["people"][0]["unit"] = {"kind": "community", "id": "c-404"}
    text = json.dumps(data, ensure_ascii=False, indent=2)
    [(line, msg)] = problems(text)
    assert msg == "没有社区 c-404" and '"c-404"' in text.splitlines()[line - 1]


def test_syntax_errors_name_their_line():
    [(line, msg)] = problems("streets:\n  - {street_id: s1, name: x\npeople: []\n")
    assert line is not None and msg.startswith("不是有效的 YAML")
    [(line, msg)] = problems('{\n  "streets": [\n  ]\n  "people": []\n}')
    assert line == 4 and msg.startswith("不是有效的 JSON")


def test_a_role_must_fit_the_persons_unit_and_channels_are_checked():
    text = DIRECTORY_YAML.replace("roles: [community_secretary], unit: {kind: community, id: c-3}",
                                  "roles: [street_org_member], unit: {kind: community, id: c-3}")
    text = text.replace("address: zhoumin@example.org", "address: nobody")
    found = [m for _, m in problems(text)]
    assert "角色 street_org_member 属于街道，而此人所在单位是社区" in found
    assert any(m.startswith("周敏（p-office）的 email 渠道 address 不可用：邮箱地址无效") for m in found), found


def _with_channel(channel: str) -> str:
    return DIRECTORY_YAML.replace("{kind: email, address: zhoumin@example.org}", channel)


@pytest.mark.parametrize("address", ["a@example.org,b@example.org", "a@example.org;b@example.org",
                                     "周敏 <a@example.org>", "a@example.org\\r\\nBcc: b@example.org"])
def test_an_email_channel_holds_one_address(address):
    text = _with_channel(json.dumps({"kind": "email", "address": address}, ensure_ascii=False))
    [(line, msg)] = problems(text)
    assert "周敏（p-office）" in msg and "单个地址" in msg
    assert "address" in text.splitlines()[line - 1]


@pytest.mark.parametrize("url, reason", [
    ("http://hooks.example.org/x", "https"),
    ("https://127.0.0.1:8026/x", "回环"),
    ("https://localhost/x", "回环"),
    ("https://10.0.0.7/x", "内网"),
    ("https://169.254.169.254/latest/meta-data", "元数据"),
    ("https://[fd00:ec2::254]/", "元数据"),
    ("https://100.100.100.200/", "元数据"),
    ("https://[fe80::1]/", "链路本地"),
    ("https://224.0.0.1/", "组播"),
    ("https://2130706433/", "回环"),          # 127.0.0.1 written as one number
    ("https://user:pw@hooks.example.org/", "用户名"),
])
def test_a_webhook_must_be_https_and_not_internal(url, reason):
    [(_, msg)] = problems(_with_channel(f"{{kind: webhook, url: '{url}'}}"))
    assert msg.startswith("周敏（p-office）的 webhook 渠道 url 不可用") and reason in msg, msg


def test_dev_mode_allows_http_and_the_allowlist_allows_a_named_internal_target():
    text = _with_channel("{kind: webhook, url: 'http://127.0.0.1:8026/robot/send'}")
    with pytest.raises(DirectoryInvalid):   # dev mode alone: http yes, loopback no
        parse_directory(text, OutboundPolicy(dev_mode=True))
    allowed = OutboundPolicy(dev_mode=True, allowlist=Allowlist.parse("127.0.0.1:8026"))
    assert parse_directory(text, allowed).person("p-office").channels[0]["url"].endswith("/robot/send")
    with pytest.raises(DirectoryInvalid):   # the allowlist names a port, not the host
        parse_directory(text.replace(":8026", ":8027"), allowed)
    assert parse_directory(_with_channel("{kind: webhook, url: 'https://hooks.example.org/x'}"))
