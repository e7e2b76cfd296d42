"""Issue 9, outbound: a directory whose channels could send somewhere they must not is
refused at import (422 naming the person and the field), and nothing is stored or published."""

from __future__ import annotations

import copy

import pytest

from tests.integration.meetings.flow import DIRECTORY, auth, operator

pytestmark = pytest.mark.integration


def _with_office_channels(*channels: dict) -> dict:
    directory = copy.deepcopy(DIRECTORY)
    directory["people"][-1]["channels"] = list(channels)
    return directory


@pytest.mark.parametrize("channel, field, reason", [
    ({"kind": "email", "address": "zhoumin@example.test,boss@example.test"}, "address", "单个地址"),
    ({"kind": "email", "address": "周敏 <zhoumin@example.test>"}, "address", "单个地址"),
    # Dev mode (the tests' setting) admits plain http, not loopback: the allowlist names only
    # the demo receiver's port, 8026.
    ({"kind": "webhook", "url": "http://127.0.0.1:8027/robot/send"}, "url", "回环地址"),
    ({"kind": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}, "url", "元数据"),
    ({"kind": "webhook", "url": "https://10.1.2.3/hook"}, "url", "内网地址"),
])
async def test_a_directory_with_an_unsafe_channel_is_refused_naming_person_and_field(
        meetings_http, district, channel, field, reason):
    response = await meetings_http.put(f"/districts/{district}/directory", json=_with_office_channels(
        {"kind": "in_app"}, channel), headers=auth(district, "p-office"))
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]["problems"]
    assert problem["path"] == f"people[7].channels[1].{field}"
    assert problem["message"].startswith("周敏（p-office）的 ") and reason in problem["message"]
    # Nothing stored: an operator (no person of the district is known yet) finds no directory.
    got = await meetings_http.get(f"/districts/{district}/directory", headers=operator(district))
    assert got.status_code == 404


async def test_a_public_https_webhook_and_a_single_address_are_accepted(meetings_http, district):
    response = await meetings_http.put(f"/districts/{district}/directory", json=_with_office_channels(
        {"kind": "email", "address": "zhoumin@example.test"}, {"kind": "webhook", "url": "https://hooks.example.org/x"},
        {"kind": "webhook", "url": "https://hooks.example.org/y"}), headers=auth(district, "p-office"))
    assert response.status_code == 200, response.text
