"""Where the system may send on its users' behalf: the outbound-channel rules (SSRF defence).

A person's channels come from an imported directory, i.e. from users, so a webhook URL or an
email address is untrusted input that makes a service connect somewhere. The rules, one
implementation for both services (meetings checks them at import, notify again at send):

- a webhook URL is `https://` (plain `http://` only in dev mode), has a host and no
  user-info, and does not point at a non-public address — loopback, private, link-local
  (cloud metadata 169.254.169.254), carrier-grade NAT (Alibaba Cloud metadata 100.100.100.200),
  unique-local (fd00:ec2::254), multicast, reserved, unspecified — unless the allowlist
  names it. Import sees only the literal host; send time checks every resolved address.
- an email address is one address (`email-validator`, no DNS): a comma, semicolon, angle
  bracket, quote or line break — anything that could add a recipient or a header — is refused.

Pure: no I/O here (resolution is the caller's). Messages are meant for people, in Chinese.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from fourx_platform.devmode import dev_mode

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named for the reader; every one of them is also caught by the non-public test below.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254",
))
_NOT_ONE_ADDRESS = re.compile(r"[,;<>\"'\s\\]")


def _ip(text: str) -> IPAddress | None:
    """An IP literal as a connecting client would read it, including IPv4's old short forms
    (`127.1`, `0x7f.0.0.1`, `2130706433`) that getaddrinfo accepts."""
    text = text.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def non_public_reason(ip: IPAddress) -> str | None:
    """Why an address is not one to send to, or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one (mapped, 6to4) is judged as that IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return non_public_reason(embedded)
    if ip in METADATA_ADDRESSES:
        return "云平台元数据地址"
    if ip.is_loopback:
        return "回环地址"
    if ip.is_link_local:
        return "链路本地地址"
    if ip.is_multicast:
        return "组播地址"
    if ip.is_unspecified:
        return "未指定地址"
    if ip.is_private:
        return "内网地址"
    if ip.is_reserved or not ip.is_global:  # 100.64/10, documentation ranges, 6to4 of the above …
        return "保留或非公网地址"
    return None


@dataclass(frozen=True)
class Allowlist:
    """Targets an operator vouches for: networks (any port) and host:port pairs.

    Written as one string, comma- or space-separated: `127.0.0.1:8026, 10.1.0.0/16,
    hooks.internal:443, [::1]:9000`. A host:port entry with a name trusts that name's DNS.
    """

    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, text: str | None) -> Allowlist:
        networks: list[IPNetwork] = []
        endpoints: set[tuple[str, int]] = set()
        for entry in re.split(r"[,\s]+", (text or "").strip()):
            if not entry:
                continue
            host, sep, port = entry.rpartition(":")
            if sep and port.isdigit() and (host.startswith("[") or ":" not in host):
                endpoints.add((_canonical_host(host), int(port)))
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"webhook 白名单条目无法识别：{entry!r}（应为 IP、CIDR 或 主机:端口）") from None
        return cls(tuple(networks), frozenset(endpoints))

    def allows(self, host: str, port: int, ip: IPAddress | None = None) -> bool:
        if (_canonical_host(host), port) in self.endpoints:
            return True
        if ip is None:
            return False
        if (str(ip), port) in self.endpoints:
            return True
        return any(ip in net for net in self.networks if net.version == ip.version)


def _canonical_host(host: str) -> str:
    host = host.strip("[]").lower().rstrip(".")
    ip = _ip(host)
    return str(ip) if ip is not None else host


@dataclass(frozen=True)
class OutboundPolicy:
    dev_mode: bool = False
    allowlist: Allowlist = Allowlist()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OutboundPolicy:
        """FOURX_DEV_MODE and FOURX_WEBHOOK_ALLOWLIST (see the README's Security section)."""
        env = os.environ if env is None else env
        return cls(dev_mode(env), Allowlist.parse(env.get("FOURX_WEBHOOK_ALLOWLIST")))


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str        # as written, without brackets
    port: int


class Refused(ValueError):
    """A target the policy does not send to. The message says why, never whether it answers."""


def webhook_target(url: str, policy: OutboundPolicy) -> WebhookTarget:
    """The static rule (what the URL itself says); raises Refused. Import runs only this;
    send time runs it and then `check_resolved` on what the host resolves to."""
    if any(c in url for c in "\r\n\t ") or not url.isprintable():
        raise Refused("webhook 地址含有空白或控制字符")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("webhook 地址格式不正确") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and policy.dev_mode):
        raise Refused("webhook 地址必须使用 https（仅开发模式允许 http）")
    if parts.username is not None or parts.password is not None:
        raise Refused("webhook 地址不能包含用户名或密码")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("webhook 地址缺少主机名")
    port = port or (443 if scheme == "https" else 80)
    ip = _ip(host)
    if policy.allowlist.allows(host, port, ip):
        return WebhookTarget(scheme, host, port)
    if ip is not None:
        reason = non_public_reason(ip)
        if reason:
            raise Refused(f"webhook 地址指向{reason}，不允许发送（如确需发送，请由运维加入白名单）")
    elif host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise Refused("webhook 地址指向回环地址，不允许发送（如确需发送，请由运维加入白名单）")
    return WebhookTarget(scheme, host, port)


def check_resolved(target: WebhookTarget, addresses: Iterable[IPAddress], policy: OutboundPolicy) -> IPAddress:
    """Every address the host resolves to must be allowed (one bad answer is enough to
    refuse: a rebinding host mixes them); returns the one to connect to."""
    addresses = list(dict.fromkeys(addresses))
    if not addresses:
        raise Refused("webhook 主机名无法解析")
    if policy.allowlist.allows(target.host, target.port):
        return addresses[0]
    for ip in addresses:
        reason = non_public_reason(ip)
        if reason and not policy.allowlist.allows(target.host, target.port, ip):
            raise Refused(f"webhook 主机解析到{reason}，不允许发送（如确需发送，请由运维加入白名单）")
    return addresses[0]


def check_email(address: str, policy: OutboundPolicy | None = None) -> str:
    """One mailbox, or Refused. Returns the normalised address. No DNS: import must not
    depend on the network, and deliverability is the relay's business."""
    if not isinstance(address, str) or not address.strip():
        raise Refused("邮箱地址为空")
    if _NOT_ONE_ADDRESS.search(address.strip()) or not address.isprintable():
        raise Refused("邮箱地址只能是单个地址，不能含逗号、分号、尖括号、引号、空白或换行")
    try:
        # test_environment admits the reserved `.test` names the demo and tests use.
        result = validate_email(address.strip(), check_deliverability=False,
                                test_environment=bool(policy and policy.dev_mode))
    except EmailNotValidError as exc:
        raise Refused(f"邮箱地址无效：{exc}") from None
    return result.normalized
