"""The outbound rules (fourx_platform.outbound), pure: what a webhook URL or an email
address may be, and what the addresses a webhook host resolves to may be."""

from __future__ import annotations

import ipaddress

import pytest
from fourx_platform.outbound import (
    Allowlist,
    OutboundPolicy,
    Refused,
    check_email,
    check_resolved,
    dev_mode,
    webhook_target,
)

STRICT = OutboundPolicy()
DEV = OutboundPolicy(dev_mode=True)
LISTED = OutboundPolicy(allowlist=Allowlist.parse("127.0.0.1:8026, 10.1.0.0/16 [::1]:9000 hooks.internal:443"))


@pytest.mark.parametrize("url, policy", [
    ("https://hooks.example.org/robot/send?key=1", STRICT),
    ("http://hooks.example.org/robot/send", DEV),
    ("https://8.8.8.8/x", STRICT),
    ("https://127.0.0.1:8026/r", LISTED),
    ("https://10.1.2.3/r", LISTED),
    ("https://[::1]:9000/r", LISTED),
    ("https://hooks.internal/r", LISTED),
])
def test_accepted_webhooks(url, policy):
    webhook_target(url, policy)


@pytest.mark.parametrize("url, policy, reason", [
    ("http://hooks.example.org/", STRICT, "https"),
    ("ftp://hooks.example.org/", DEV, "https"),
    ("https://127.0.0.1/", DEV, "回环"),
    ("https://127.0.0.1:8027/", LISTED, "回环"),         # the allowlist names a port
    ("https://127.1/", STRICT, "回环"),
    ("https://0x7f.0.0.1/", STRICT, "回环"),
    ("https://2130706433/", STRICT, "回环"),
    ("https://[::1]/", STRICT, "回环"),
    ("https://[::ffff:127.0.0.1]/", STRICT, "回环"),
    ("https://[2002:a9fe:a9fe::]/", STRICT, "元数据"),     # 6to4 of 169.254.169.254
    ("https://localhost/", STRICT, "回环"),
    ("https://api.localhost/", STRICT, "回环"),
    ("https://10.2.0.1/", LISTED, "内网"),
    ("https://192.168.1.1/", STRICT, "内网"),
    ("https://172.16.0.1/", STRICT, "内网"),
    ("https://169.254.169.254/latest/meta-data/", STRICT, "元数据"),
    ("https://[fd00:ec2::254]/", STRICT, "元数据"),
    ("https://100.100.100.200/", STRICT, "元数据"),
    ("https://[fe80::1]/", STRICT, "链路本地"),
    ("https://224.0.0.251/", STRICT, "组播"),
    ("https://0.0.0.0/", STRICT, "未指定"),
    ("https://240.0.0.1/", STRICT, "不允许发送"),
    ("https://100.64.0.1/", STRICT, "保留或非公网"),
    ("https://user:pw@hooks.example.org/", STRICT, "用户名"),
    ("https:///path", STRICT, "主机"),
    ("https://hooks.example.org:99999/", STRICT, "格式"),
    ("https://hooks.example.org/\r\nX: y", STRICT, "控制字符"),
])
def test_refused_webhooks(url, policy, reason):
    with pytest.raises(Refused, match=reason):
        webhook_target(url, policy)


def test_every_resolved_address_is_checked_and_the_first_is_returned():
    target = webhook_target("https://hooks.example.org/x", STRICT)
    public, loopback = ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("127.0.0.1")
    assert check_resolved(target, [public], STRICT) == public
    with pytest.raises(Refused, match="回环"):
        check_resolved(target, [public, loopback], STRICT)
    with pytest.raises(Refused, match="无法解析"):
        check_resolved(target, [], STRICT)
    # An allowlisted address (with its port) may be the answer; a name entry trusts its DNS.
    listed = OutboundPolicy(allowlist=Allowlist.parse("127.0.0.1:443"))
    assert check_resolved(target, [loopback], listed) == loopback
    named = OutboundPolicy(allowlist=Allowlist.parse("hooks.internal:443"))
    assert check_resolved(webhook_target("https://hooks.internal/", named), [loopback], named) == loopback


def test_an_allowlist_entry_that_is_not_an_address_is_an_error():
    with pytest.raises(ValueError, match="白名单"):
        Allowlist.parse("not a network/99")


@pytest.mark.parametrize("address", ["a@b.cn,c@d.cn", "a@b.cn;c@d.cn", "张三 <a@b.cn>", "a@b.cn\r\nBcc: c@d.cn",
                                     '"a,b"@c.cn', "a b@c.cn", "a@[127.0.0.1]", "nobody", ""])
def test_an_email_address_is_one_mailbox(address):
    with pytest.raises(Refused):
        check_email(address, DEV)


def test_good_addresses_and_the_test_domains_of_dev_mode():
    assert check_email("zhoumin@example.org") == "zhoumin@example.org"
    assert check_email("张三@例子.中国") == "张三@例子.中国"
    with pytest.raises(Refused):
        check_email("x@example.test", STRICT)
    assert check_email("x@example.test", DEV) == "x@example.test"


def test_dev_mode_comes_from_fourx_dev_mode():
    assert dev_mode({"FOURX_DEV_MODE": "1"}) and not dev_mode({}) and not dev_mode({"FOURX_DEV_MODE": "0"})
    policy = OutboundPolicy.from_env({"FOURX_DEV_MODE": "1", "FOURX_WEBHOOK_ALLOWLIST": "127.0.0.1:8026"})
    assert policy.dev_mode and policy.allowlist.allows("127.0.0.1", 8026)
